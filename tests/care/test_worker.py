"""The outbox worker against the local SMSC (a real SMPP peer on 127.0.0.1): sends after
commit, receipts marking delivery, a TD reply opting out at once, retries with backoff,
permanent refusals, the contact window at send time, recovery after a dead worker, and
the rate limit."""

from __future__ import annotations

import datetime as dt

import pytest

from telcrm.care import outbox
from telcrm.care.channels.smpp import SmppSender
from telcrm.care.channels.smsc import LocalSmsc
from telcrm.care.choices import CampaignStatus, OutboxStatus, SuppressionReason
from telcrm.care.models import Consent, OptOut, OutboxMessage, ProviderPart, Suppression
from telcrm.care.worker import RateLimiter, Worker, backoff
from telcrm.core.errors import Conflict
from telcrm.core.roles import Role
from tests import factories as f

from .engine import NOON, campaign, texted_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def smsc():
    with LocalSmsc() as peer:
        yield peer


def worker_for(smsc: LocalSmsc, *, at: dt.datetime = NOON, **options) -> Worker:  # type: ignore[no-untyped-def]
    receipts = outbox.ReceiptBuffer()
    sender = SmppSender(
        "127.0.0.1", smsc.port, "telcrm", "", "10086", timeout=5, on_receipt=receipts.handler("sms"),
        on_reply=lambda msisdn, text, when: outbox.record_reply(msisdn=msisdn, text=text, at=when),
    )
    clock = options.pop("clock", lambda: at)
    return Worker(senders={"sms": sender}, clock=clock, receipts=receipts, **options)


def queue(body: str = "您好，{n}", n: int = 1, *, purpose: str = "care", at: dt.datetime = NOON,
          running: bool = True) -> list[OutboxMessage]:
    made = campaign(purpose=purpose)
    if running:
        made.status = CampaignStatus.RUNNING
        made.save()
    drafts = [outbox.Draft(customer=texted_customer(), channel="sms", purpose=purpose, body=body.format(n=i),
                           campaign=made) for i in range(n)]
    outbox.enqueue(drafts, at=at)
    return list(OutboxMessage.objects.order_by("id"))


def settle(worker: Worker, done: callable, rounds: int = 20) -> None:  # type: ignore[valid-type]
    for _ in range(rounds):
        if done():
            return
        worker.poll(0.2)
    raise AssertionError("the receipts did not come")


class TestSending:
    def test_each_message_reaches_the_smsc_once_and_its_receipt_marks_it_delivered(self, smsc):
        messages = queue(n=3)
        worker = worker_for(smsc)
        counts = worker.run_once()
        assert counts.sent == 3 and len(smsc.received) == 3
        assert sorted(r.destination_addr[-11:] for r in smsc.received) == sorted(m.to for m in messages)
        settle(worker, lambda: OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == 3)
        assert worker.run_once().sent == 0 and len(smsc.received) == 3
        worker.close()

    def test_a_long_chinese_message_is_delivered_when_every_part_is(self, smsc):
        [message] = queue(body="尊敬的客户，" + "感谢您多年来对我们的支持与厚爱。" * 6 + "{n}")
        worker = worker_for(smsc)
        worker.run_once()
        parts = ProviderPart.objects.filter(message=message)
        assert parts.count() == len(smsc.received) >= 2
        assert {r.data_coding for r in smsc.received} == {8}
        settle(worker, lambda: OutboxMessage.objects.get().status == OutboxStatus.DELIVERED)
        assert set(parts.values_list("state", flat=True)) == {"delivered"}
        worker.close()

    def test_a_paused_campaign_keeps_its_messages(self, smsc):
        queue(running=False)
        worker = worker_for(smsc)
        assert worker.run_once().sent == 0 and not smsc.received
        assert OutboxMessage.objects.get().status == OutboxStatus.QUEUED
        worker.close()


class TestReplies:
    def test_a_td_reply_opts_out_at_once_and_stops_the_next_marketing_sms(self, smsc):
        first, second = queue(purpose="marketing", n=2)
        customer = first.customer
        OutboxMessage.objects.filter(pk=second.pk).update(customer=customer, to=first.to)
        Consent.objects.create(customer=customer, channel="sms", granted=True, source="contract", at=NOON)
        OutboxMessage.objects.filter(pk=second.pk).update(next_attempt_at=NOON + dt.timedelta(hours=1))
        worker = worker_for(smsc)
        worker.run_once()
        assert len(smsc.received) == 1
        smsc.inject_mo("86" + first.to, "退订")
        settle(worker, lambda: OptOut.objects.filter(customer=customer, channel="sms").exists())
        later = worker_for(smsc, at=NOON + dt.timedelta(hours=2))
        counts = later.run_once()
        assert counts.suppressed == 1 and len(smsc.received) == 1
        assert Suppression.objects.get(customer=customer).reason == SuppressionReason.OPTED_OUT
        worker.close()
        later.close()


class TestFailures:
    def test_a_throttled_send_is_retried_after_a_backoff(self, smsc):
        [message] = queue()
        smsc.throttle(1)
        worker = worker_for(smsc)
        assert worker.run_once().retried == 1
        message.refresh_from_db()
        assert message.status == OutboxStatus.QUEUED and message.attempts == 1
        assert message.next_attempt_at == NOON + backoff(1)
        assert worker.run_once().sent == 0
        later = worker_for(smsc, at=NOON + backoff(1))
        assert later.run_once().sent == 1
        message.refresh_from_db()
        assert message.status in (OutboxStatus.SENT, OutboxStatus.DELIVERED) and message.attempts == 2
        worker.close()
        later.close()

    def test_a_refused_number_fails_for_good(self, smsc):
        [message] = queue()
        smsc.reject("86" + message.to)
        smsc.reject(message.to)
        worker = worker_for(smsc)
        assert worker.run_once().failed == 1
        message.refresh_from_db()
        assert message.status == OutboxStatus.FAILED and "refused" in message.error
        worker.close()

    def test_backoff_doubles_up_to_a_cap(self):
        assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
        assert backoff(30) == dt.timedelta(hours=6)


class TestContactWindow:
    def test_marketing_reaching_the_evening_waits_for_the_morning(self, smsc):
        [message] = queue(purpose="marketing")
        Consent.objects.create(customer=message.customer, channel="sms", granted=True, source="contract", at=NOON)
        evening = NOON.replace(hour=21, minute=30)
        worker = worker_for(smsc, at=evening)
        assert worker.run_once().deferred == 1 and not smsc.received
        message.refresh_from_db()
        assert message.status == OutboxStatus.QUEUED
        assert message.next_attempt_at == (NOON + dt.timedelta(days=1)).replace(hour=8)
        worker.close()


class TestRecovery:
    def test_a_dead_workers_claims_are_requeued_or_left_uncertain(self, smsc):
        untried, handed = queue(n=2)
        dead = "somewhere-else:1:abc"
        OutboxMessage.objects.filter(pk=untried.pk).update(status=OutboxStatus.SENDING, claimed_by=dead,
                                                           claimed_at=NOON - dt.timedelta(hours=1))
        OutboxMessage.objects.filter(pk=handed.pk).update(status=OutboxStatus.SENDING, claimed_by=dead,
                                                          claimed_at=NOON - dt.timedelta(hours=1), sending_at=NOON)
        worker = worker_for(smsc)
        counts = worker.run_once()
        assert (counts.requeued, counts.uncertain, counts.sent) == (1, 1, 1)
        handed.refresh_from_db()
        assert handed.status == OutboxStatus.UNCERTAIN and len(smsc.received) == 1
        worker.close()

    def test_a_live_claim_on_another_host_is_left_alone(self, smsc):
        [message] = queue()
        OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.SENDING, claimed_by="other:1:x",
                                                           claimed_at=NOON - dt.timedelta(minutes=1))
        worker = worker_for(smsc)
        assert worker.run_once().total() == 0
        assert OutboxMessage.objects.get().status == OutboxStatus.SENDING
        worker.close()


class TestRateLimiter:
    def test_sends_are_spaced_evenly(self):
        now = [0.0]
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            now[0] += seconds

        limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
        for _ in range(5):
            limiter.wait()
        assert slept == [0.25, 0.25, 0.25, 0.25]

    def test_no_wait_when_the_sender_is_slower_than_the_rate(self):
        now = [0.0]
        limiter = RateLimiter(10, clock=lambda: now[0], sleep=lambda s: pytest.fail("slept"))
        for _ in range(3):
            limiter.wait()
            now[0] += 1.0


class TestSettling:
    def test_a_person_settles_an_uncertain_message_either_way(self, smsc):
        went, did_not = queue(n=2)
        OutboxMessage.objects.update(status=OutboxStatus.UNCERTAIN, sending_at=NOON)
        manager = f.user(Role.MANAGER)
        outbox.settle_uncertain(manager, message=OutboxMessage.objects.get(pk=went.pk), sent=True)
        outbox.settle_uncertain(manager, message=OutboxMessage.objects.get(pk=did_not.pk), sent=False, at=NOON)
        worker = worker_for(smsc)
        assert worker.run_once().sent == 1 and len(smsc.received) == 1
        assert smsc.received[0].destination_addr.endswith(did_not.to)
        assert OutboxMessage.objects.get(pk=went.pk).sent_at == NOON
        with pytest.raises(Conflict):
            outbox.settle_uncertain(manager, message=OutboxMessage.objects.get(pk=went.pk), sent=False)
        worker.close()
