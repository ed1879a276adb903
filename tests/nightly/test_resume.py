"""A run that fails leaves the previous results and says why; a rerun keeps the warnings
people already work on."""

from __future__ import annotations

import pytest
from django.db import connection

from telcrm.churn.models import FollowUp, FollowUpAction, LineRisk, Warning, WarningStatus
from telcrm.core.roles import Role
from telcrm.nightly.models import NightlyRun, RunStatus
from telcrm.nightly.services import run_nightly
from telcrm.value.models import EnterpriseValue, LineValue, RuleKind, RuleSet, TierChange
from telcrm.value.rules import save_rules
from tests import factories

from .conftest import END_MONTH, PREVIOUS_MONTH, first_day, rows

RESULTS = (LineValue, EnterpriseValue, TierChange, LineRisk, Warning)


def run(month: str = END_MONTH) -> NightlyRun:
    return run_nightly(as_of=month, progress=False)


def stored() -> dict[str, list[tuple]]:
    """Every result row of both months, ids included: a rolled-back rerun must leave the
    very same rows, not equal copies."""
    return {f"{m.__name__} {month}": rows(m, month, with_ids=True) for m in RESULTS
            for month in (PREVIOUS_MONTH, END_MONTH)}


def failed_run() -> NightlyRun:
    run_record = NightlyRun.objects.latest("id")
    assert run_record.status == RunStatus.FAILED and run_record.finished_at is not None
    return run_record


def refuse_line_risks() -> None:
    """A database that refuses the write-back's last table, as a full disk would: a real
    trigger, so the failure comes after line values, enterprise values and tier changes of
    the month have already been replaced inside the transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("CREATE TRIGGER refuse_risks BEFORE INSERT ON churn_linerisk "
                           "BEGIN SELECT RAISE(ABORT, 'no space left on device'); END")
        else:
            cursor.execute("CREATE FUNCTION refuse_risks() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'no space left on device'; END $$")
            cursor.execute("CREATE TRIGGER refuse_risks BEFORE INSERT ON churn_linerisk "
                           "FOR EACH ROW EXECUTE FUNCTION refuse_risks()")


class TestFailure:
    def test_a_failure_while_writing_rolls_back_the_whole_month(self, operator):
        run(PREVIOUS_MONTH)
        run(END_MONTH)
        before = stored()
        # new rules change segments, so a half-written month would show
        save_rules(factories.user(Role.ADMINISTRATOR), kind=RuleKind.SEGMENTS,
                   settings={"vip_min_spend": 100.0, "vip_min_tenure_months": 3})
        refuse_line_risks()
        with pytest.raises(Exception, match="no space left on device"):
            run(END_MONTH)
        assert stored() == before
        record = failed_run()
        assert record.stage == "write" and "no space left on device" in record.error
        assert record.rule_versions["segments"] == "segments-2"

    def test_a_corrupted_lake_file_fails_the_run_and_keeps_the_previous_results(self, operator, settings):
        run(END_MONTH)
        before = stored()
        victim = sorted((settings.LAKE_DIR / "bills").glob(f"month={PREVIOUS_MONTH}/*.parquet"))[0]
        victim.write_bytes(b"PAR1 this is not a parquet file any more")
        with pytest.raises(Exception, match=victim.name):
            run(END_MONTH)
        assert stored() == before
        record = failed_run()
        assert record.stage == "features" and record.error
        assert "write" not in record.stage_seconds and "snapshot" in record.stage_seconds

    def test_a_stored_rule_set_that_no_longer_validates_fails_the_run(self, operator):
        run(END_MONTH)
        before = stored()
        # stored by hand, as an older release without today's checks might have
        RuleSet.objects.create(kind=RuleKind.WARNINGS, version="warnings-2", rules={"spend_decline_share": 1.5})
        with pytest.raises(ValueError, match="decline shares"):
            run(END_MONTH)
        assert stored() == before
        assert "decline shares" in failed_run().error


class TestFollowUps:
    def test_warnings_with_follow_ups_survive_a_rerun_and_the_rest_are_replaced(self, operator):
        run(END_MONTH)
        manager = factories.user(Role.ACCOUNT_MANAGER)
        month = first_day(END_MONTH)
        worked = Warning.objects.filter(month=month).order_by("id").first()
        FollowUp.objects.create(warning=worked, action=FollowUpAction.CALL, assigned_to=manager,
                                assigned_by=manager, note="call before the contract ends")
        worked.status = WarningStatus.ASSIGNED
        worked.save(update_fields=["status"])
        untouched = set(Warning.objects.filter(month=month).exclude(pk=worked.pk).values_list("pk", flat=True))
        count = Warning.objects.filter(month=month).count()
        run(END_MONTH)
        kept = Warning.objects.get(pk=worked.pk)
        assert kept.status == WarningStatus.ASSIGNED and kept.follow_ups.get().note == "call before the contract ends"
        assert (kept.rules, kept.details, kept.expected_loss) == (worked.rules, worked.details, worked.expected_loss)
        assert Warning.objects.filter(month=month).count() == count
        assert not untouched & set(Warning.objects.filter(month=month).values_list("pk", flat=True))

    def test_a_followed_up_warning_stays_when_its_rule_no_longer_fires(self, operator):
        run(END_MONTH)
        month = first_day(END_MONTH)
        manager = factories.user(Role.ACCOUNT_MANAGER)
        always = {"suspension", "contract_end"}  # facts no threshold can switch off entirely
        warnings = Warning.objects.filter(month=month).order_by("id")
        worked = next(w for w in warnings if not set(w.rules.split(",")) & always)
        FollowUp.objects.create(warning=worked, action=FollowUpAction.VISIT, assigned_to=manager, assigned_by=manager)
        save_rules(factories.user(Role.ADMINISTRATOR), kind=RuleKind.WARNINGS, settings={
            "spend_decline_share": 0.01, "usage_decline_share": 0.01, "competitor_shift_points": 0.99,
            "min_complaints": 99, "contract_end_days": 0, "min_termination_requests": 99, "min_baseline_months": 9,
        })
        run(END_MONTH)
        remaining = Warning.objects.filter(month=month).exclude(pk=worked.pk)
        assert Warning.objects.get(pk=worked.pk).rules == worked.rules
        assert all(set(rules.split(",")) <= always for rules in remaining.values_list("rules", flat=True))
        assert not remaining.filter(rule_version="warnings-1").exists()

    def test_a_followed_up_warning_that_fires_again_gets_the_new_figures(self, operator):
        run(END_MONTH)
        month = first_day(END_MONTH)
        manager = factories.user(Role.ACCOUNT_MANAGER)
        worked = Warning.objects.filter(month=month).order_by("id").first()
        FollowUp.objects.create(warning=worked, action=FollowUpAction.OFFER, assigned_to=manager, assigned_by=manager)
        Warning.objects.filter(pk=worked.pk).update(details="figures of an older run", rule_version="warnings-0")
        run(END_MONTH)
        refreshed = Warning.objects.get(pk=worked.pk)
        assert (refreshed.details, refreshed.rule_version) == (worked.details, "warnings-1")
