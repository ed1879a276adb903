"""The demo's nightly analytics: the last months oldest first, rules alone when the lake is
too short for a churn model, nothing run twice on the same data."""

from __future__ import annotations

import io

from telcrm.churn.models import ChurnModel
from telcrm.core.roles import Role
from telcrm.nightly.demo import run_demo_nightly
from telcrm.nightly.models import NightlyRun, RunStatus
from telcrm.nightly.services import active_run_rules, current_run, lake_digest
from telcrm.value.models import RuleKind, TierChange
from telcrm.value.rules import save_rules
from tests import factories

from .conftest import END_MONTH, first_day


class TestDemoNightly:
    def test_last_months_oldest_first_then_nothing_again_on_the_same_data(self, operator):
        out = io.StringIO()
        runs = run_demo_nightly(out=out, months=3, progress=False)
        assert [r.month.strftime("%Y-%m") for r in runs] == ["2026-08", "2026-09", "2026-10"]
        assert all(r.status == RunStatus.DONE for r in runs)
        assert "No churn model (training window: the lake spans 12 months" in out.getvalue()
        assert not ChurnModel.objects.exists()
        assert set(TierChange.objects.dates("month", "month")) == {runs[1].month, runs[2].month}
        again = io.StringIO()
        assert [r.pk for r in run_demo_nightly(out=again, months=3, progress=False)] == [r.pk for r in runs]
        assert again.getvalue().count("done before on the same data") == 3
        assert NightlyRun.objects.count() == 3

    def test_months_run_again_once_the_rules_change(self, operator):
        first = run_demo_nightly(out=io.StringIO(), months=2, progress=False)
        save_rules(factories.user(Role.ADMINISTRATOR), kind=RuleKind.WARNINGS, settings={"min_complaints": 1})
        second = run_demo_nightly(out=io.StringIO(), months=2, progress=False)
        assert not {r.pk for r in first} & {r.pk for r in second}
        assert {r.rule_versions["warnings"] for r in second} == {"warnings-2"}

    def test_a_run_older_than_the_active_model_is_not_current_even_under_its_version_name(self, operator,
                                                                                          settings):
        def done_run() -> NightlyRun:
            return NightlyRun.objects.create(
                month=first_day(END_MONTH), engine="duckdb", status=RunStatus.DONE, model_version="churn-1",
                rule_versions=active_run_rules().versions(), data_digest=lake_digest(settings.LAKE_DIR))

        before = done_run()  # scored by an earlier model of that name, since deleted
        ChurnModel.objects.create(version="churn-1", active=True, train_start=before.month, train_end=before.month,
                                  horizon_months=1, features=[], artifact=b"")
        assert current_run(END_MONTH) is None
        after = done_run()
        assert current_run(END_MONTH) == after
