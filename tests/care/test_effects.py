"""A campaign's measured effect on groups built with known answers: responses, retention
and spend change against control (the statistics themselves are checked in
tests/stats/test_tests.py), the programme measures, the ROI and the verdict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from telcrm.billing.models import BillSummary, Payment
from telcrm.care.choices import Group
from telcrm.care.effects import campaign_effect, compare_programmes
from telcrm.care.models import CampaignMember, CampaignResponse, OutboxMessage, ProgrammeFeedback
from telcrm.customers.models import Interaction
from telcrm.stats.tests import two_proportions

from .engine import NOON, campaign, texted_customer

pytestmark = pytest.mark.django_db


def build(n_treatment: int, n_control: int, **fields):  # type: ignore[no-untyped-def]
    made = campaign(**fields)
    made.drawn_at = NOON
    made.save()
    members = {Group.TREATMENT: [], Group.CONTROL: []}
    for group, n in ((Group.TREATMENT, n_treatment), (Group.CONTROL, n_control)):
        for _ in range(n):
            customer = texted_customer(consent=False)
            CampaignMember.objects.create(campaign=made, customer=customer, group=group, drawn_at=NOON)
            members[group].append(customer)
    return made, members


def respond(made, customers, kind: str = "redemption", at: dt.datetime = NOON + dt.timedelta(days=2)) -> None:  # type: ignore[no-untyped-def]
    for c in customers:
        CampaignResponse.objects.create(campaign=made, customer=c, kind=kind, at=at)


class TestResponse:
    def test_the_response_rate_is_compared_with_control(self):
        made, members = build(60, 40)
        respond(made, members[Group.TREATMENT][:18])
        respond(made, members[Group.CONTROL][:4])
        respond(made, members[Group.TREATMENT][:3], kind="reply")  # a second response counts the customer once
        effect = campaign_effect(made, today=NOON.date())
        assert (effect.treatment, effect.control) == (60, 40)
        assert effect.response == two_proportions(18, 60, 4, 40)
        assert effect.by_kind["reply"] == two_proportions(3, 60, 0, 40)

    def test_responses_before_the_draw_do_not_count(self):
        made, members = build(5, 5)
        respond(made, members[Group.TREATMENT], at=NOON - dt.timedelta(days=1))
        assert campaign_effect(made, today=NOON.date()).response.difference == 0

    def test_nothing_to_measure_before_the_draw(self):
        assert campaign_effect(campaign(), today=NOON.date()) is None


class TestRetention:
    def test_retention_counts_customers_with_a_line_still_open_at_each_horizon(self):
        made, members = build(10, 10)
        start = NOON.date()
        for customer, days in zip(members[Group.TREATMENT][:2] + members[Group.CONTROL][:5],
                                  [40, 40, 20, 20, 70, 70, 70], strict=True):
            customer.subscriptions.update(status="closed", status_date=start + dt.timedelta(days=days))
        effect = campaign_effect(made, today=start + dt.timedelta(days=75))
        assert sorted(effect.retention) == [30, 60]  # the 90-day horizon has not passed
        assert effect.retention[30] == two_proportions(10, 10, 8, 10)
        assert effect.retention[60] == two_proportions(8, 10, 8, 10)


class TestSpend:
    def test_spend_change_is_after_minus_before_per_member(self):
        made, members = build(3, 3)
        # Drawn 2026-11-20: before = Aug-Oct, after = Dec-Feb (only December has passed).
        changes = {Group.TREATMENT: [30, 10, 20], Group.CONTROL: [0, 5, -5]}
        for group, deltas in changes.items():
            for customer, delta in zip(members[group], deltas, strict=True):
                line = customer.subscriptions.get()
                for month, total in ((8, 100), (9, 100), (10, 100), (12, 100 + delta)):
                    year = 2026
                    BillSummary.objects.create(subscription=line, month=dt.date(year, month, 1), total=Decimal(total),
                                               plan_fee=total, voice=0, data=0, sms=0, vas=0, roaming=0, discount=0)
        effect = campaign_effect(made, today=dt.date(2027, 1, 5))
        assert effect.spend.treatment == pytest.approx(20.0) and effect.spend.control == pytest.approx(0.0)
        assert effect.spend.difference == pytest.approx(20.0)

    def test_no_spend_figure_before_a_month_after_the_start_has_passed(self):
        made, _members = build(3, 3)
        assert campaign_effect(made, today=dt.date(2026, 12, 20)).spend is None


class TestProgramme:
    def test_coverage_participation_awareness_satisfaction_cost_and_return(self):
        made, members = build(40, 40, cost_per_contact=Decimal("0.50"), value_per_response=Decimal("20.00"))
        treated = members[Group.TREATMENT]
        for i, customer in enumerate(treated[:30]):
            OutboxMessage.objects.create(key=f"k{i}", customer=customer, campaign=made, purpose="marketing",
                                         channel="sms", to="13800000000", body="x", status="delivered",
                                         next_attempt_at=NOON, created_at=NOON)
        respond(made, treated[:12])
        respond(made, members[Group.CONTROL][:2])
        for customer, aware, score in ((treated[0], True, 5), (treated[1], True, 4), (treated[2], False, 2),
                                       (treated[3], True, None)):
            ProgrammeFeedback.objects.create(campaign=made, customer=customer, aware=aware, satisfaction=score,
                                             at=NOON)
        effect = campaign_effect(made, today=NOON.date())
        p = effect.programme
        assert (p.target, p.contacted, p.responders, p.surveyed) == (40, 30, 12, 4)
        assert p.coverage == 0.75 and p.participation == 0.3 and p.awareness == 0.75
        assert p.satisfaction == pytest.approx(11 / 3)
        # 30 contacts at 0.50 = 15.00; uplift (12/40 - 2/40) x 40 = 10 responses at 20.00 = 200.00.
        assert effect.cost == Decimal("15.00") and effect.value == Decimal("200.00")
        assert effect.roi == pytest.approx((200 - 15) / 15)
        assert effect.verdict == "keep"

    def test_a_programme_that_neither_works_nor_pays_is_dropped(self):
        made, members = build(40, 40, cost_per_contact=Decimal("1.00"), value_per_response=Decimal("1.00"))
        for i, customer in enumerate(members[Group.TREATMENT]):
            OutboxMessage.objects.create(key=f"d{i}", customer=customer, campaign=made, purpose="marketing",
                                         channel="sms", to="13800000000", body="x", status="sent",
                                         next_attempt_at=NOON, created_at=NOON)
        respond(made, members[Group.TREATMENT][:4])
        respond(made, members[Group.CONTROL][:4])
        [row] = compare_programmes(today=NOON.date())
        assert row.campaign == made and row.effect.verdict == "drop" and row.effect.roi < 0

    def test_too_small_groups_get_no_verdict(self):
        made, members = build(5, 5)
        respond(made, members[Group.TREATMENT])
        assert campaign_effect(made, today=NOON.date()).verdict == ""


class TestObservedResponses:
    def test_top_ups_and_plan_changes_count_in_both_groups_within_the_window(self):
        made, members = build(4, 4)
        treated, control = members[Group.TREATMENT], members[Group.CONTROL]
        for customer in (treated[0], treated[1], control[0]):
            customer.subscriptions.update(payment_type="prepaid")
            Payment.objects.create(payment_no=f"P{customer.pk}", account=customer.accounts.get(),
                                   paid_at=NOON + dt.timedelta(days=3), amount=Decimal("50"), method="prepaid_card")
        Payment.objects.create(payment_no="late", account=treated[2].accounts.get(), method="prepaid_card",
                               paid_at=NOON + dt.timedelta(days=31), amount=Decimal("50"))
        Interaction.objects.create(customer=treated[3], channel="business_hall", direction="in",
                                   occurred_at=NOON + dt.timedelta(days=1), topic="plan_change")
        effect = campaign_effect(made, today=NOON.date())
        assert effect.by_kind["top_up"] == two_proportions(2, 4, 1, 4)
        assert effect.by_kind["plan_change"] == two_proportions(1, 4, 0, 4)
        assert effect.response == two_proportions(3, 4, 1, 4)
