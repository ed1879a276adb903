"""The outbox worker: sends what is due, after commit, through the channel senders
(care/channels/), and feeds their delivery receipts and replies back (issue 4, "All sends
go through an outbox"). See care/outbox.py for why a message is never sent twice.

Per channel: claim a batch (one status update in a transaction), ask the contact policy
again (a withdrawal since the decision still stops it; a message that reached the
contact window's end waits for the next morning), then, a few messages at a time
(``in_flight``), mark them handed over, send them, record their outcomes. Transient
failures are retried with exponential backoff; each channel is held to its rate.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from telcrm.analytics.lake import process_alive
from telcrm.care import contacts, outbox
from telcrm.care.channels.base import ChannelError, OutgoingMessage, PermanentError, Sender
from telcrm.care.channels.email import unsubscribe_url
from telcrm.care.choices import CampaignStatus, Channel, OutboxStatus, Purpose, SuppressionReason
from telcrm.care.models import OutboxMessage, ProviderPart, Suppression
from telcrm.care.policy import Action, ContactRequest, decide

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=6)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failed ones: 30 s, 1 min, 2 min, ...
    doubling up to six hours, so a peer that is down is not hammered."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


class RateLimiter:
    """At most ``per_second`` sends, spaced evenly (the SMSC's agreed throughput)."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if per_second <= 0:
            raise ValueError("a rate must be positive")
        self.interval, self.clock, self.sleep = 1.0 / per_second, clock, sleep
        self._next = 0.0

    def wait(self) -> None:
        now = self.clock()
        if now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


@dataclass
class Counts:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    suppressed: int = 0
    requeued: int = 0
    uncertain: int = 0

    def total(self) -> int:
        return self.sent + self.retried + self.failed + self.deferred + self.suppressed


@dataclass
class Worker:
    """``senders`` by channel; ``rates`` in messages per second by channel (none: as fast
    as the peer answers). ``lease`` is how long another host's claim is trusted.
    ``in_flight`` messages are handed over between two records of the outbox: more is
    faster, and is also how many a killed worker can leave uncertain.
    ``receipts`` is where the senders' receipt handlers put what they hear
    (``receipts.handler(channel)``); the worker records it after each poll."""

    senders: Mapping[str, Sender]
    rates: Mapping[str, float] = field(default_factory=dict)
    batch: int = 100
    in_flight: int = 10
    lease: dt.timedelta = dt.timedelta(minutes=10)
    clock: Callable[[], dt.datetime] = timezone.now
    receipts: outbox.ReceiptBuffer = field(default_factory=outbox.ReceiptBuffer)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")

    def __post_init__(self) -> None:
        self._limiters = {channel: RateLimiter(rate) for channel, rate in self.rates.items()}
        self._config = contacts.policy_config()

    # -- recovery -----------------------------------------------------------------------
    def _dead(self, claimed_by: str, claimed_at: dt.datetime | None, now: dt.datetime) -> bool:
        host, _sep, rest = claimed_by.partition(":")
        pid = rest.partition(":")[0]
        if host == socket.gethostname() and pid.isdigit():
            return int(pid) != os.getpid() and not process_alive(int(pid))
        return claimed_at is None or claimed_at < now - self.lease

    def recover(self) -> Counts:
        """Settle the rows a dead worker left claimed: never handed over -> queued again;
        handed over -> uncertain (not resent)."""
        counts, now = Counts(), self.clock()
        stale = OutboxMessage.objects.filter(status=OutboxStatus.SENDING).exclude(claimed_by=self.worker_id)
        for claimer, claimed_at in stale.values_list("claimed_by", "claimed_at").distinct():
            if not self._dead(claimer, claimed_at, now):
                continue
            with transaction.atomic():
                mine = stale.filter(claimed_by=claimer)
                counts.uncertain += mine.filter(sending_at__isnull=False).update(
                    status=OutboxStatus.UNCERTAIN,
                    error=f"worker {claimer} stopped after handing the message to the channel; not resent")
                counts.requeued += mine.filter(sending_at__isnull=True).update(
                    status=OutboxStatus.QUEUED, claimed_by="", claimed_at=None)
        return counts

    # -- sending ------------------------------------------------------------------------
    def claim(self, channel: str) -> list[OutboxMessage]:
        now = self.clock()
        due = (OutboxMessage.objects.filter(channel=channel, status=OutboxStatus.QUEUED, next_attempt_at__lte=now)
               .filter(Q(campaign__isnull=True) | Q(campaign__status=CampaignStatus.RUNNING))
               .order_by("next_attempt_at", "id"))
        with transaction.atomic():
            ids = list(due.values_list("pk", flat=True)[: self.batch])
            OutboxMessage.objects.filter(pk__in=ids, status=OutboxStatus.QUEUED).update(
                status=OutboxStatus.SENDING, claimed_by=self.worker_id, claimed_at=now, sending_at=None)
        return list(OutboxMessage.objects.filter(pk__in=ids, claimed_by=self.worker_id, status=OutboxStatus.SENDING)
                    .select_related("customer__region").order_by("next_attempt_at", "id"))

    def _recheck(self, messages: list[OutboxMessage], channel: str, counts: Counts) -> list[OutboxMessage]:
        """The policy asked again just before sending (``at_send``)."""
        now = self.clock()
        facts = contacts.facts_for([m.customer for m in messages], channel=channel, at=now)
        ready = []
        for message in messages:
            known = facts[message.customer_id]
            request = ContactRequest(purpose=message.purpose, channel=channel, at=now, campaign_id=message.campaign_id)
            decision = decide(request, dataclasses.replace(known, address=message.to), self._config, at_send=True)
            if decision.action is Action.SEND:
                ready.append(message)
            elif decision.action is Action.DEFER:
                OutboxMessage.objects.filter(pk=message.pk).update(
                    status=OutboxStatus.QUEUED, next_attempt_at=decision.not_before, claimed_by="", claimed_at=None)
                counts.deferred += 1
            else:
                with transaction.atomic():
                    Suppression.objects.create(customer_id=message.customer_id, campaign_id=message.campaign_id,
                                               firing_id=message.firing_id, step=message.step, channel=channel,
                                               reason=decision.reason, at=now)  # type: ignore[misc]  # set when suppressing
                    OutboxMessage.objects.filter(pk=message.pk).update(
                        status=OutboxStatus.SUPPRESSED, error=str(SuppressionReason(decision.reason).label))  # type: ignore[arg-type]
                counts.suppressed += 1
        return ready

    def _outgoing(self, message: OutboxMessage) -> OutgoingMessage:
        unsubscribe = ""
        if message.purpose == Purpose.MARKETING and message.channel == Channel.EMAIL:
            unsubscribe = unsubscribe_url(message.customer_id, message.channel)
        return OutgoingMessage(key=message.key, to=message.to, body=message.body, subject=message.subject,
                               unsubscribe_url=unsubscribe)

    def send_chunk(self, sender: Sender, messages: list[OutboxMessage], counts: Counts) -> None:
        """Hand ``messages`` (at most ``in_flight``) to the channel: marked handed over in
        one update before the first is sent, their outcomes recorded in one transaction
        after the last. A worker killed in between leaves at most these uncertain."""
        now = self.clock()
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(sending_at=now, attempts=F("attempts") + 1)
        limiter = self._limiters.get(messages[0].channel)
        sent: list[tuple[OutboxMessage, list[str]]] = []
        failed: list[tuple[OutboxMessage, ChannelError]] = []
        for message in messages:
            if limiter is not None:
                limiter.wait()
            try:
                sent.append((message, sender.send(self._outgoing(message))))
            except ChannelError as error:
                failed.append((message, error))
        done = self.clock()
        with transaction.atomic():
            OutboxMessage.objects.filter(pk__in=[m.pk for m, _ids in sent]).update(
                status=OutboxStatus.SENT, sent_at=done, error="")
            ProviderPart.objects.bulk_create([
                ProviderPart(message_id=m.pk, channel=m.channel, provider_id=pid, updated_at=done)
                for m, ids in sent for pid in ids
            ], ignore_conflicts=True, batch_size=500)
            for message, failure in failed:
                attempts = message.attempts + 1
                final = isinstance(failure, PermanentError) or attempts >= MAX_ATTEMPTS
                OutboxMessage.objects.filter(pk=message.pk).update(
                    status=OutboxStatus.FAILED if final else OutboxStatus.QUEUED, error=failure.reason,
                    next_attempt_at=now + backoff(attempts), claimed_by="", sending_at=None)
                if final:
                    counts.failed += 1
                else:
                    counts.retried += 1
        counts.sent += len(sent)

    def run_once(self, channels: Iterable[str] | None = None) -> Counts:
        """One batch per channel; then the channels' receipts and replies."""
        counts = self.recover()
        for channel in channels or self.senders:
            sender = self.senders.get(channel)
            if sender is None:
                continue
            claimed = self.claim(channel)
            ready = self._recheck(claimed, channel, counts) if claimed else []
            for start in range(0, len(ready), self.in_flight):
                self.send_chunk(sender, ready[start:start + self.in_flight], counts)
        self.poll()
        return counts

    def poll(self, timeout: float = 0.0) -> int:
        handled = 0
        for sender in self.senders.values():
            poll = getattr(sender, "poll", None)
            if poll is not None:
                # A dropped link: the next send reconnects, and the SMSC delivers again.
                with contextlib.suppress(ChannelError):
                    handled += poll(timeout)
        self.receipts.flush()
        return handled

    def run(self, *, stop: Callable[[], bool], idle: float = 0.5) -> Counts:
        """Until ``stop()``: batches while there is work, polling receipts when idle."""
        total = Counts()
        while not stop():
            counts = self.run_once()
            for name in vars(total):
                setattr(total, name, getattr(total, name) + getattr(counts, name))
            if counts.total() == 0:
                self.poll(idle)
        return total

    def close(self) -> None:
        for sender in self.senders.values():
            sender.close()
