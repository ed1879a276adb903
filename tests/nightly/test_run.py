"""The nightly run on an imported operator: one result per open line and per enterprise,
warnings from the rules, tier changes against the month before with their rule version,
identical reruns."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User

from telcrm.churn.models import LineRisk, Warning
from telcrm.core.roles import Role
from telcrm.nightly.models import NightlyRun, RunStatus
from telcrm.nightly.pipeline import RULE_PRIOR
from telcrm.nightly.services import run_nightly
from telcrm.nightly.stages import STAGES
from telcrm.value.models import EnterpriseValue, LineValue, RuleKind, TierChange
from telcrm.value.rules import save_rules
from tests import factories

from .conftest import END_MONTH, PREVIOUS_MONTH, enterprise_ids, first_day, open_line_ids, rows


def run(month: str = END_MONTH, **options) -> NightlyRun:  # type: ignore[no-untyped-def]
    return run_nightly(as_of=month, progress=False, **options)


class TestOneMonth:
    def test_one_line_value_and_one_line_risk_per_open_line(self, operator):
        done = run()
        expected = open_line_ids(END_MONTH)
        values = LineValue.objects.filter(month=first_day(END_MONTH))
        risks = LineRisk.objects.filter(month=first_day(END_MONTH))
        assert len(expected) > 200
        assert sorted(values.values_list("subscription_id", flat=True)) == sorted(expected)
        assert sorted(risks.values_list("subscription_id", flat=True)) == sorted(expected)
        assert done.counts["line values"] == done.counts["line risks"] == len(expected)

    def test_each_line_carries_its_customer_and_the_segment_rule_version(self, operator):
        run()
        for value in LineValue.objects.filter(month=first_day(END_MONTH)).select_related("subscription")[:50]:
            assert value.customer_id == value.subscription.customer_id
            assert value.rule_version == "segments-1"
            assert value.segment in {"vip", "growth", "mass"}

    def test_one_grade_per_enterprise_with_its_stars(self, operator):
        run()
        graded = EnterpriseValue.objects.filter(month=first_day(END_MONTH))
        assert set(graded.values_list("customer_id", flat=True)) == enterprise_ids()
        stars = {"1A": 5, "2A": 4, "3A": 3, "4A": 2, "5A": 1}
        assert all(stars[grade] == n for grade, n in graded.values_list("grade", "stars"))
        assert all(v.revenue == v.lines_revenue + v.circuits_revenue for v in graded)

    def test_without_a_model_warnings_are_the_lines_a_rule_fired_for(self, operator):
        run()
        month = first_day(END_MONTH)
        fired = LineRisk.objects.filter(month=month).exclude(warning_rules="")
        warned = Warning.objects.filter(month=month)
        assert fired.exists()
        assert set(warned.values_list("subscription_id", flat=True)) == set(fired.values_list("subscription_id",
                                                                                               flat=True))
        assert not LineRisk.objects.filter(month=month, probability__isnull=False).exists()
        for warning in warned.select_related("subscription")[:20]:
            assert warning.rules and warning.details and warning.probability is None
            line = LineValue.objects.get(subscription=warning.subscription, month=month)
            value = line.lifetime_value if line.lifetime_value is not None else 12 * line.margin
            prior = 1 - (1 - RULE_PRIOR) ** len(warning.rules.split(","))
            assert abs(warning.expected_loss - Decimal(f"{float(value) * prior:.2f}")) <= Decimal("0.01")

    def test_the_run_is_recorded_with_each_stage_and_the_rule_versions(self, operator):
        done = run()
        assert done.status == RunStatus.DONE and done.error == "" and done.finished_at is not None
        assert list(done.stage_seconds) == list(STAGES)
        assert done.rule_versions == {"segments": "segments-1", "grades": "grades-1", "warnings": "warnings-1",
                                      "values": "value-1"}
        assert done.model_version == ""


class TestRerun:
    def test_a_rerun_of_the_month_gives_identical_rows_and_counts(self, operator):
        first = run()
        before = {model: rows(model, END_MONTH) for model in (LineValue, EnterpriseValue, LineRisk, Warning)}
        second = run()
        for model, stored in before.items():
            assert rows(model, END_MONTH) == stored, model.__name__
        assert {k: v for k, v in second.counts.items()} == first.counts
        assert NightlyRun.objects.filter(status=RunStatus.DONE).count() == 2


class TestTierChanges:
    def test_a_first_month_records_no_changes(self, operator):
        run(PREVIOUS_MONTH)
        assert not TierChange.objects.exists()

    def test_changes_against_the_previous_month_carry_the_rule_version_that_made_them(self, operator):
        run(PREVIOUS_MONTH)
        admin: User = factories.user(Role.ADMINISTRATOR)
        save_rules(admin, kind=RuleKind.SEGMENTS, settings={"vip_min_spend": 120.0, "vip_min_tenure_months": 6})
        save_rules(admin, kind=RuleKind.GRADES, settings={"floors": [20_000.0, 5_000.0, 1_000.0, 200.0]})
        run(END_MONTH)
        before = dict(LineValue.objects.filter(month=first_day(PREVIOUS_MONTH)).values_list("subscription_id",
                                                                                           "segment"))
        after = dict(LineValue.objects.filter(month=first_day(END_MONTH)).values_list("subscription_id", "segment"))
        expected = {(s, before.get(s, ""), tier) for s, tier in after.items() if before.get(s) != tier}
        lines = TierChange.objects.filter(month=first_day(END_MONTH), subscription__isnull=False)
        assert set(lines.values_list("subscription_id", "previous", "tier")) == expected
        assert any(tier == "vip" for _, _, tier in expected)
        assert set(lines.values_list("rule_version", flat=True)) == {"segments-2"}
        grades = TierChange.objects.filter(month=first_day(END_MONTH), subscription__isnull=True)
        assert grades.exists()
        assert set(grades.values_list("rule_version", flat=True)) == {"grades-2"}
        old = dict(EnterpriseValue.objects.filter(month=first_day(PREVIOUS_MONTH)).values_list("customer_id", "grade"))
        for change in grades:
            assert old[change.customer_id] == change.previous and change.previous != change.tier

    def test_a_rerun_replaces_the_months_changes(self, operator):
        run(PREVIOUS_MONTH)
        run(END_MONTH)
        changes = sorted(TierChange.objects.values_list("customer_id", "subscription_id", "previous", "tier"))
        run(END_MONTH)
        assert sorted(TierChange.objects.values_list("customer_id", "subscription_id", "previous", "tier")) == changes


class TestValueRules:
    def test_a_stored_value_rule_set_sets_the_margins_and_its_version_is_recorded(self, operator):
        first = run()
        month = first_day(END_MONTH)
        before = dict(LineValue.objects.filter(month=month).values_list("subscription_id", "margin"))
        save_rules(factories.user(Role.ADMINISTRATOR), kind=RuleKind.VALUE,
                   settings={f"cost_{name}": 0.0 for name in ("plan_fee", "voice", "data", "sms", "vas", "roaming")})
        second = run()
        after = LineValue.objects.filter(month=month).values_list("subscription_id", "revenue", "margin")
        assert first.rule_versions["values"] == "value-1" and second.rule_versions["values"] == "value-2"
        assert all(margin == revenue for _, revenue, margin in after)
        assert any(before[line] < margin for line, _, margin in after)
