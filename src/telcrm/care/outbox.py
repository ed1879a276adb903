"""The outbox (architecture.md, convention 4; issue 4, "All sends go through an outbox").

A decision to contact writes its message here, in the deciding transaction: the contact
policy is asked first, and a refused contact is written as a Suppression with its reason
instead. The worker (care/worker.py) sends what is due after commit.

Each message has an idempotency key (customer, campaign or trigger firing, step) that is
unique in the table, so deciding the same contact twice writes one row, and a row is sent
at most once: a worker claims rows with a status update in a transaction, records the
moment it hands one to the channel, and records the outcome after. A worker killed
between those two moments leaves the message "uncertain": it is not sent again, because a
customer who gets the same SMS twice is the worse error, and a person settles it from
the receipts. Rows it had claimed but not yet handed over are simply queued again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from telcrm.care import contacts
from telcrm.care.choices import Channel, OutboxStatus, Purpose, ResponseKind, SuppressionReason
from telcrm.care.contacts import User
from telcrm.care.models import (
    CallTask,
    Campaign,
    CampaignResponse,
    OutboxMessage,
    ProviderPart,
    Suppression,
    TriggerFiring,
)
from telcrm.care.policy import Action, ContactRequest, CustomerFacts, Decider, PriorContact
from telcrm.core.errors import Conflict
from telcrm.customers.models import Customer

#: Replies that opt the customer out of marketing SMS (issue 4: "TD or 退订"); a few
#: common variants of the same request are taken too.
OPT_OUT_REPLIES = frozenset({"TD", "T", "退订", "取消", "UNSUBSCRIBE", "STOP"})
#: A reply counts as a response to the newest campaign that texted the customer within.
REPLY_WINDOW = dt.timedelta(days=30)


def message_key(customer_id: int, *, step: int, campaign_id: int | None = None, firing_id: int | None = None) -> str:
    """The idempotency key: customer, campaign or trigger firing, step."""
    source = f"c{campaign_id}" if campaign_id is not None else f"f{firing_id}"
    return f"{source}:u{customer_id}:s{step}"


@dataclass
class Draft:
    """A message decided for one customer, before the policy has had its say."""

    customer: Customer
    channel: str
    purpose: str
    body: str
    step: int = 1
    subject: str = ""
    campaign: Campaign | None = None
    firing: TriggerFiring | None = None
    not_before: dt.datetime | None = None
    has_offer: bool = False
    to: str | None = None

    @property
    def key(self) -> str:
        return message_key(self.customer.pk, step=self.step, campaign_id=self.campaign.pk if self.campaign else None,
                           firing_id=self.firing.pk if self.firing else None)


@dataclass
class Enqueued:
    queued: int = 0
    deferred: int = 0
    duplicates: int = 0
    suppressed: Counter = field(default_factory=Counter)


def enqueue(drafts: list[Draft], *, at: dt.datetime) -> Enqueued:
    """Ask the policy about each draft and write the message or the suppression. The
    caller holds the transaction; a draft whose key is already in the outbox is skipped,
    so running the same decision twice sends nothing twice."""
    result = Enqueued()
    decide = Decider(contacts.policy_config())
    by_channel: dict[str, list[Draft]] = defaultdict(list)
    for draft in drafts:
        by_channel[draft.channel].append(draft)
    for channel, group in by_channel.items():
        existing = set(OutboxMessage.objects.filter(key__in=[d.key for d in group]).values_list("key", flat=True))
        customers = list({d.customer.pk: d.customer for d in group}.values())
        facts = contacts.facts_for(customers, channel=channel, at=at)
        added: dict[int, list[PriorContact]] = defaultdict(list)
        messages, suppressions, calls = [], [], []
        for draft in group:
            if draft.key in existing:
                result.duplicates += 1
                continue
            when = max(at, draft.not_before) if draft.not_before else at
            priority = draft.campaign.priority if draft.campaign else 5
            request = ContactRequest(purpose=draft.purpose, channel=channel, at=when,
                                     campaign_id=draft.campaign.pk if draft.campaign else None, priority=priority,
                                     has_offer=draft.has_offer)
            known = facts[draft.customer.pk]
            if draft.to is not None:
                known = _with(known, address=draft.to)
            if added[draft.customer.pk]:
                known = _with(known, prior=(*known.prior, *added[draft.customer.pk]))
            decision = decide(request, known)
            if decision.action is Action.SUPPRESS:
                suppressions.append(Suppression(
                    customer=draft.customer, campaign=draft.campaign, firing=draft.firing, step=draft.step,
                    channel=channel, reason=decision.reason, at=at))  # type: ignore[misc]  # set when suppressing
                result.suppressed[decision.reason] += 1
                continue
            if decision.action is Action.DEFER:
                result.deferred += 1
            else:
                result.queued += 1
            if draft.purpose == Purpose.MARKETING:
                added[draft.customer.pk].append(PriorContact(channel, when, request.campaign_id, priority))
            existing.add(draft.key)
            if channel == Channel.CALL:  # a call is made by an agent: it goes on the work list
                calls.append(CallTask(customer=draft.customer, campaign=draft.campaign, firing=draft.firing,
                                      script=draft.body, due_at=decision.not_before or when))
                continue
            messages.append(OutboxMessage(
                key=draft.key, customer=draft.customer, campaign=draft.campaign, firing=draft.firing, step=draft.step,
                purpose=draft.purpose, channel=channel, to=known.address, subject=draft.subject, body=draft.body,
                next_attempt_at=decision.not_before or when, created_at=at,
            ))
        OutboxMessage.objects.bulk_create(messages, batch_size=500)
        Suppression.objects.bulk_create(suppressions, batch_size=500)
        CallTask.objects.bulk_create(calls, batch_size=500)
    return result


def _with(facts: CustomerFacts, **changes: object) -> CustomerFacts:
    return dataclasses.replace(facts, **changes)  # type: ignore[arg-type]


def suppress_queued(*, campaign: Campaign, reason: SuppressionReason, at: dt.datetime) -> int:
    """Withdraw a campaign's messages not yet handed to a channel (it was finished)."""
    queued = OutboxMessage.objects.filter(campaign=campaign, status=OutboxStatus.QUEUED)
    Suppression.objects.bulk_create([
        Suppression(customer_id=m.customer_id, campaign=campaign, step=m.step, channel=m.channel, reason=reason, at=at)
        for m in queued.only("customer_id", "step", "channel")
    ], batch_size=500)
    return queued.update(status=OutboxStatus.SUPPRESSED, error=str(SuppressionReason(reason).label))


def settle_uncertain(actor: User, *, message: OutboxMessage, sent: bool, at: dt.datetime | None = None
                     ) -> OutboxMessage:
    """A person's verdict on a message a killed worker left uncertain (from the channel's
    records, or the customer): it went out (sent), or it did not and is queued again."""
    contacts.require(actor, "care.run_campaign")
    if message.status != OutboxStatus.UNCERTAIN:
        raise Conflict(f"message {message.key} is {message.get_status_display()}, not uncertain")
    at = at or timezone.now()
    if sent:
        message.status, message.sent_at = OutboxStatus.SENT, message.sending_at or at
    else:
        message.status, message.next_attempt_at, message.claimed_by = OutboxStatus.QUEUED, at, ""
    message.error = ""
    message.save(update_fields=["status", "sent_at", "next_attempt_at", "claimed_by", "error"])
    return message


# --- receipts and replies ------------------------------------------------------------


@transaction.atomic
def record_receipts(*, channel: str, receipts: list[tuple[str, str, dt.datetime]]) -> int:
    """Delivery receipts ``(provider id, "delivered" or "failed", at)`` of parts, in one
    transaction: a message is delivered when every part is, failed as soon as one part
    failed. A receipt for an id this outbox never recorded (another system's message)
    is ignored. Returns how many parts were known."""
    latest = {provider_id: (state, at) for provider_id, state, at in receipts}
    parts = list(ProviderPart.objects.filter(channel=channel, provider_id__in=list(latest)).values_list(
        "pk", "provider_id", "message_id"))
    # Receipts carry times to the second: grouped by (state, time), a poll's receipts are
    # a few updates rather than one per part.
    groups: dict[tuple[str, dt.datetime], list[int]] = defaultdict(list)
    for pk, provider_id, _message in parts:
        groups[latest[provider_id]].append(pk)
    for (state, at), pks in groups.items():
        ProviderPart.objects.filter(pk__in=pks).update(state=state, updated_at=at)
    states: dict[int, set[str]] = defaultdict(set)
    for message_id, state in ProviderPart.objects.filter(message_id__in={m for _p, _i, m in parts}).values_list(
            "message_id", "state"):
        states[message_id].add(state)
    when = {message: latest[provider_id][1] for _pk, provider_id, message in parts}
    failed = [m for m, seen in states.items() if "failed" in seen]
    OutboxMessage.objects.filter(pk__in=failed).update(status=OutboxStatus.FAILED, error="receipt: not delivered")
    delivered: dict[dt.datetime, list[int]] = defaultdict(list)
    for message, seen in states.items():
        if seen == {"delivered"}:
            delivered[when[message]].append(message)
    for at, messages in delivered.items():
        OutboxMessage.objects.filter(pk__in=messages).update(status=OutboxStatus.DELIVERED, delivered_at=at)
    return len(parts)


def record_receipt(*, channel: str, provider_id: str, state: str, at: dt.datetime) -> bool:
    """One receipt (a sender's ``on_receipt`` handler as it is); False for an unknown id."""
    return record_receipts(channel=channel, receipts=[(provider_id, state, at)]) == 1


class ReceiptBuffer:
    """Collects the receipts a channel hands over while the worker polls it, so they are
    recorded together (one transaction per poll, not one per receipt)."""

    def __init__(self) -> None:
        self._pending: dict[str, list[tuple[str, str, dt.datetime]]] = defaultdict(list)

    def handler(self, channel: str) -> Callable[[str, str, dt.datetime], None]:
        return lambda provider_id, state, at: self._pending[channel].append((provider_id, state, at))

    def flush(self) -> int:
        recorded = 0
        for channel in list(self._pending):
            receipts = self._pending.pop(channel)
            if receipts:
                recorded += record_receipts(channel=channel, receipts=receipts)
        return recorded


@transaction.atomic
def record_reply(*, msisdn: str, text: str, at: dt.datetime | None = None) -> list[int]:
    """A text from a customer's phone. "TD" or "退订" opts every customer holding that
    number out of marketing SMS at once; any other reply counts as a response to the
    newest campaign that texted them. Returns the ids of the customers it concerned."""
    at = at or timezone.now()
    customers = contacts.customers_by_msisdn(msisdn)
    word = "".join(text.split()).upper()
    for customer in customers:
        if word in OPT_OUT_REPLIES:
            contacts.record_opt_out(customer, channel=Channel.SMS, source="sms", at=at)
            continue
        last = (OutboxMessage.objects.filter(customer=customer, channel=Channel.SMS, campaign__isnull=False,
                                             sent_at__gte=at - REPLY_WINDOW, sent_at__lte=at)
                .order_by("-sent_at").first())
        if last is not None:
            CampaignResponse.objects.create(campaign=last.campaign, customer=customer,  # type: ignore[misc]  # filtered
                                            kind=ResponseKind.REPLY, at=at)
    return [c.pk for c in customers]


def counts_by_status(*, campaign: Campaign) -> dict[str, int]:
    rows = OutboxMessage.objects.filter(campaign=campaign).values("status").annotate(n=Count("id")).order_by()
    counts = {row["status"]: row["n"] for row in rows}
    return {status: counts.get(status, 0) for status in OutboxStatus.values}
