"""China Mobile's three complaint cases (domain.md section 5), each taken from the call to
the return visit through the services, verified against the line's records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from telcrm.billing.models import Promotion, SpSubscription
from telcrm.core.roles import Role
from telcrm.tickets import services as s
from telcrm.tickets.complaints import attach_evidence, cancel_sp_service, restore_discount, verification_records
from telcrm.tickets.models import ReturnVisit, TicketStatus
from telcrm.tickets.refunds import decide_refund, request_refund
from telcrm.tickets.return_visits import record_outcome
from telcrm.tickets.source_cases import SPAM_SMS_PER_HOUR, promotion_case, sp_charge_case, spam_stop_case
from tests import factories as f

from .desk import agent, at, fresh, team, ticket

pytestmark = pytest.mark.django_db
CALL = at("2025-06-10T10:00")


@pytest.fixture
def desk():  # type: ignore[no-untyped-def]
    worker, boss = agent(), agent()
    team(worker, supervisor=boss, manager=agent(Role.MANAGER))
    line = f.subscription(f.customer())
    return worker, boss, line


def close_by_return_visit(worker, t) -> None:  # type: ignore[no-untyped-def]
    visit = ReturnVisit.objects.get(ticket=t, status="scheduled")
    assert visit.due_at == t.resolved_at + dt.timedelta(days=3)
    record_outcome(worker, visit_id=visit.pk, reachable=True, satisfaction=9, solved=True,
                   at=t.resolved_at + dt.timedelta(days=2))
    assert fresh(t).status == TicketStatus.CLOSED


def test_sp_charge_not_trusted(desk) -> None:  # type: ignore[no-untyped-def]
    worker, boss, line = desk
    case = sp_charge_case(line, ordered_at=at("2025-03-02T20:15"), months=3, fee=Decimal("20.00"))
    t = ticket(worker, customer=line.customer, subscription=line, category_code="vas_sp.unrequested",
               opened=CALL, subject="每月多扣20元信息费")
    records = verification_records(worker, ticket=t)
    assert [sp["ordered_via"] for sp in records.sp_services] == ["sms_reply"]
    assert [b["vas"] for b in records.bills] == ["20.00"] * 3
    attach_evidence(worker, ticket=t, kind="sp_subscription", record_id=case.record_id, at=CALL)
    for bill_id in case.bill_ids:
        attach_evidence(worker, ticket=t, kind="bill", record_id=bill_id, at=CALL)
    cancel_sp_service(worker, ticket=t, sp_subscription_id=case.record_id, at=CALL)
    assert SpSubscription.objects.get(pk=case.record_id).cancelled_at == CALL
    refund = request_refund(worker, ticket=t, amount=case.overcharge, reason="SP charges not knowingly ordered",
                            at=CALL)
    assert (refund.amount, refund.status, refund.needs_level) == (Decimal("60.00"), "pending", "supervisor")
    decide_refund(boss, refund_id=refund.pk, approve=True, at=CALL + dt.timedelta(hours=1))
    s.resolve_ticket(worker, ticket=t, version=fresh(t).version, resolution="sp_cancelled",
                     note="SP service cancelled, 60 yuan refunded", at=CALL + dt.timedelta(hours=2))
    assert fresh(t).evidence.count() == 4
    close_by_return_visit(worker, fresh(t))


def test_line_stopped_by_the_spam_sms_monitor(desk) -> None:  # type: ignore[no-untyped-def]
    worker, _, line = desk
    case = spam_stop_case(line, stopped_at=at("2025-06-09T22:40"), sms_in_hour=236)
    t = ticket(worker, customer=line.customer, subscription=line, category_code="suspension_credit.monitor_stop",
               opened=CALL, subject="没到信用额度就停机")
    stop = verification_records(worker, ticket=t).suspensions[0]
    # What the agent explains: not the credit limit (arrears 35 within 200) but the monitor.
    assert stop["cause"] == "spam_sms_monitor"
    assert stop["detail"]["sms_in_hour"] > SPAM_SMS_PER_HOUR
    assert -Decimal(stop["detail"]["balance"]) < Decimal(stop["detail"]["credit_limit"])
    evidence = attach_evidence(worker, ticket=t, kind="suspension", record_id=case.record_id, at=CALL)
    assert "spam_sms_monitor" in evidence.name and evidence.data["detail"]["sms_in_hour"] == 236
    s.add_note(worker, ticket=t, kind="reply", at=CALL + dt.timedelta(minutes=5),
               text="停机由垃圾短信监控触发（一小时内发送236条，超过200条），并非欠费超过信用额度")
    s.resolve_ticket(worker, ticket=t, version=fresh(t).version, resolution="explanation",
                     at=CALL + dt.timedelta(minutes=10))
    assert fresh(t).first_contact_resolution
    close_by_return_visit(worker, fresh(t))


def test_promotion_silently_cancelled_a_discount(desk) -> None:  # type: ignore[no-untyped-def]
    worker, _, line = desk
    case = promotion_case(line, since=dt.date(2024, 1, 1), switched=dt.date(2025, 4, 1))
    t = ticket(worker, customer=line.customer, subscription=line, category_code="billing.promotion",
               opened=CALL, subject="优惠没了")
    promos = verification_records(worker, ticket=t).promotions
    ended = next(p for p in promos if p["id"] == case.record_id)
    assert (ended["ends_on"], ended["ended_by__code"]) == ("2025-04-01", "DATA10G")
    attach_evidence(worker, ticket=t, kind="promotion", record_id=case.record_id, at=CALL)
    restore_discount(worker, ticket=t, promotion_id=case.record_id, at=CALL)
    assert Promotion.objects.get(pk=case.record_id).ends_on is None
    refund = request_refund(worker, ticket=t, amount=case.overcharge, kind="credit", reason="two months' discount",
                            at=CALL)
    assert (refund.amount, refund.status) == (Decimal("40.00"), "approved")  # within the agent's 50 yuan
    s.resolve_ticket(worker, ticket=t, version=fresh(t).version, resolution="discount_restored", at=CALL)
    close_by_return_visit(worker, fresh(t))
