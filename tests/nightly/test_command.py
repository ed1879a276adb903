"""``telcrm nightly``: its stages as it runs them, and plain errors for a month the lake
does not hold."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from telcrm.nightly.models import NightlyRun, RunStatus
from telcrm.nightly.stages import STAGES

from .conftest import END_MONTH, PREVIOUS_MONTH


class TestCommand:
    def test_prints_each_stage_with_its_counts_and_defaults_to_the_newest_month(self, operator):
        out = io.StringIO()
        call_command("nightly", "--no-progress", "--threads", "1", stdout=out)
        lines = out.getvalue().splitlines()
        assert [line.split()[0] for line in lines[:len(STAGES)]] == list(STAGES)
        assert "subscribers 300" in lines[0] and "line values" in lines[len(STAGES) - 1]
        assert lines[-1].startswith(f"Nightly run {END_MONTH} on duckdb done in")
        assert NightlyRun.objects.get().month.strftime("%Y-%m") == END_MONTH

    def test_runs_the_month_asked_for(self, operator):
        call_command("nightly", "--as-of", PREVIOUS_MONTH, "--no-progress", stdout=io.StringIO())
        run = NightlyRun.objects.get()
        assert (run.month.strftime("%Y-%m"), run.status) == (PREVIOUS_MONTH, RunStatus.DONE)

    def test_a_month_outside_the_lake_is_refused_before_anything_runs(self, operator):
        with pytest.raises(CommandError, match="the lake holds 2025-11 to 2026-10, not 2027-01"):
            call_command("nightly", "--as-of", "2027-01", stdout=io.StringIO())
        with pytest.raises(CommandError, match="month must be YYYY-MM"):
            call_command("nightly", "--as-of", "2026-13", stdout=io.StringIO())
        assert not NightlyRun.objects.exists()

    @pytest.mark.django_db
    def test_an_empty_lake_is_refused(self):
        with pytest.raises(CommandError, match="no bills"):
            call_command("nightly", stdout=io.StringIO())
