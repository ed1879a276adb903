"""Triggers fire from the data and from events, once per customer per occurrence, and
their message waits for the trigger's delay; suspension care gives VIPs grace days."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from telcrm.billing.models import BillSummary
from telcrm.care import triggers
from telcrm.care.choices import TriggerKind
from telcrm.care.models import CallTask, OutboxMessage, Trigger, TriggerFiring
from telcrm.core.events import ticket_resolved
from telcrm.value.models import LineValue

from .engine import NOON, nightly, template, texted_customer

pytestmark = pytest.mark.django_db
TODAY = NOON.date()


def trigger(kind: str, body: str = "尊敬的{{ name }}，祝您生日快乐！", **fields) -> Trigger:  # type: ignore[no-untyped-def]
    fields.setdefault("channel", "sms")
    return Trigger.objects.create(name=f"{kind} {Trigger.objects.count()}", kind=kind,
                                  template=template(body, name=f"t {kind} {Trigger.objects.count()}", purpose="care"),
                                  **fields)


def fired() -> set[int]:
    return set(TriggerFiring.objects.values_list("customer_id", flat=True))


class TestBirthday:
    def test_fires_on_the_day_once_however_often_it_runs(self):
        born_today = texted_customer(birth_date=dt.date(1988, TODAY.month, TODAY.day))
        texted_customer(birth_date=dt.date(1988, TODAY.month, TODAY.day) + dt.timedelta(days=1))
        trigger(TriggerKind.BIRTHDAY)
        triggers.fire_triggers(as_of=TODAY, at=NOON)
        triggers.fire_triggers(as_of=TODAY, at=NOON + dt.timedelta(hours=3))
        assert fired() == {born_today.pk}
        [message] = OutboxMessage.objects.all()
        assert message.customer == born_today and message.body == f"尊敬的{born_today.name}，祝您生日快乐！"

    def test_next_year_is_a_new_occurrence(self):
        texted_customer(birth_date=dt.date(1988, TODAY.month, TODAY.day))
        trigger(TriggerKind.BIRTHDAY)
        triggers.fire_triggers(as_of=TODAY, at=NOON)
        next_year = TODAY.replace(year=TODAY.year + 1)
        triggers.fire_triggers(as_of=next_year, at=NOON + dt.timedelta(days=365))
        assert TriggerFiring.objects.count() == 2 == OutboxMessage.objects.count()

    def test_a_29_february_birthday_is_greeted_on_the_28th_in_other_years(self):
        leapling = texted_customer(birth_date=dt.date(1996, 2, 29))
        trigger(TriggerKind.BIRTHDAY)
        triggers.fire_triggers(as_of=dt.date(2027, 2, 28), at=NOON)
        assert fired() == {leapling.pk}

    def test_the_message_waits_for_the_delay(self):
        texted_customer(birth_date=dt.date(1988, TODAY.month, TODAY.day))
        trigger(TriggerKind.BIRTHDAY, delay_days=2)
        triggers.fire_triggers(as_of=TODAY, at=NOON)
        assert OutboxMessage.objects.get().next_attempt_at == NOON + dt.timedelta(days=2)


class TestSuspensionCare:
    def in_arrears(self, segment: str):  # type: ignore[no-untyped-def]
        customer = texted_customer()
        line = customer.subscriptions.get()
        line.account.balance, line.account.arrears_since = Decimal("-88.50"), TODAY - dt.timedelta(days=3)
        line.account.save()
        LineValue.objects.create(subscription=line, customer=customer, month=dt.date(2026, 10, 1), segment=segment,
                                 rule_version="t", revenue=Decimal("300"), margin=Decimal("100"))
        return customer

    def test_a_vip_in_arrears_is_notified_and_given_grace_days(self):
        vip, mass = self.in_arrears("vip"), self.in_arrears("mass")
        trigger(TriggerKind.SUSPENSION_CARE, "{{ name }}，您欠费{{ amount_due }}元，{{ grace_days }}天内不会停机。",
                conditions={"grace_days": 10})
        triggers.fire_triggers(as_of=TODAY, at=NOON)
        assert fired() == {vip.pk}
        assert OutboxMessage.objects.get().body == f"{vip.name}，您欠费88.50元，10天内不会停机。"
        assert triggers.in_grace(customer_id=vip.pk, on=TODAY + dt.timedelta(days=10))
        assert not triggers.in_grace(customer_id=vip.pk, on=TODAY + dt.timedelta(days=11))
        assert not triggers.in_grace(customer_id=mass.pk, on=TODAY)


class TestFromTheData:
    def test_contract_end_within_the_window(self):
        soon, later = texted_customer(), texted_customer()
        soon.subscriptions.update(contract_end=TODAY + dt.timedelta(days=20))
        later.subscriptions.update(contract_end=TODAY + dt.timedelta(days=45))
        trigger(TriggerKind.CONTRACT_END, "{{ name }}，您的合约即将到期。", conditions={"days_before": 30})
        triggers.fire_triggers(as_of=TODAY, at=NOON)
        triggers.fire_triggers(as_of=TODAY + dt.timedelta(days=1), at=NOON + dt.timedelta(days=1))
        assert fired() == {soon.pk} and TriggerFiring.objects.count() == 1

    def test_bill_shock_against_the_customers_own_normal(self):
        shocked, steady = texted_customer(), texted_customer()
        for customer, newest in ((shocked, "450.00"), (steady, "150.00")):
            line = customer.subscriptions.get()
            for month in range(4, 11):
                total = Decimal(newest) if month == 10 else Decimal("100.00")
                BillSummary.objects.create(subscription=line, month=dt.date(2026, month, 1), plan_fee=total,
                                           voice=0, data=0, sms=0, vas=0, roaming=0, discount=0, total=total)
        trigger(TriggerKind.BILL_SHOCK, "{{ name }}，本月账单{{ amount_due }}元，明显高于平时。")
        triggers.fire_triggers(as_of=TODAY, at=NOON)
        assert fired() == {shocked.pk}
        assert "450.00" in OutboxMessage.objects.get().body

    def test_churn_warning_from_the_nightly_results(self):
        risky, safe = texted_customer(), texted_customer()
        nightly([risky, safe], **{risky.customer_no: {"risk": 0.7}, safe.customer_no: {"risk": 0.2}})
        trigger(TriggerKind.CHURN_WARNING, "{{ name }}，感谢您一直以来的支持。", channel="call",
                conditions={"min_risk": 0.5})
        triggers.fire_triggers(as_of=TODAY, at=NOON)
        assert fired() == {risky.pk}
        assert CallTask.objects.get().customer == risky and not OutboxMessage.objects.exists()

    def test_a_date_campaign_fires_on_its_day(self):
        customers = [texted_customer() for _ in range(3)]
        trigger(TriggerKind.DATE, "{{ name }}，新春快乐！", conditions={"month": 1, "day": 28})
        triggers.fire_triggers(as_of=dt.date(2027, 1, 27), at=NOON)
        assert not fired()
        triggers.fire_triggers(as_of=dt.date(2027, 1, 28), at=NOON)
        assert fired() == {c.pk for c in customers}


class TestTicketResolved:
    def send(self, customer, ticket_id: int = 7, kind: str = "complaint") -> None:  # type: ignore[no-untyped-def]
        ticket_resolved.send(sender=None, ticket_id=ticket_id, ticket_no=f"T{ticket_id}", customer_id=customer.pk,
                             subscription_id=None, kind=kind, category="network", resolved_at=NOON)

    def test_the_event_fires_once_per_ticket(self):
        customer = texted_customer()
        trigger(TriggerKind.TICKET_RESOLVED, "{{ name }}，您的问题已解决，感谢耐心等待。",
                conditions={"kinds": ["complaint"]})
        self.send(customer)
        self.send(customer)
        self.send(customer, ticket_id=8, kind="inquiry")
        assert list(TriggerFiring.objects.values_list("occurrence", flat=True)) == ["ticket:7"]
        assert OutboxMessage.objects.get().purpose == "care"


class TestCommand:
    def test_the_daily_command_fires_the_days_triggers(self):
        born = texted_customer(birth_date=dt.date(1990, 5, 17))
        trigger(TriggerKind.BIRTHDAY)
        out = io.StringIO()
        call_command("care", "triggers", "--as-of", "2027-05-17", stdout=out)
        assert fired() == {born.pk} and ": 1" in out.getvalue()

    def test_a_bad_date_is_a_clear_error(self):
        with pytest.raises(CommandError, match="YYYY-MM-DD"):
            call_command("care", "triggers", "--as-of", "17/05/2027")
