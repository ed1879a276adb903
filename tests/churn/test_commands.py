"""``telcrm churn train``, ``models`` and ``backtest`` from the command line."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from telcrm.churn.models import ChurnModel, ModelCheck


def churn(*args: str) -> tuple[dict | list, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("churn", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


@pytest.mark.django_db
class TestTrainCommand:
    def test_train_shows_its_stages_prints_metrics_and_activates(self, operator):
        lake, snapshot, _ = operator
        dirs = ["--lake-dir", str(lake), "--snapshot-dir", str(snapshot)]
        result, stages = churn("train", *dirs, "--activate")
        assert [line.split("] ")[1] for line in stages.splitlines()] == [
            "1/5 reading the lake", "2/5 building the training set", "3/5 fitting and calibrating",
            "4/5 measuring on the test months", "5/5 saving the version", "done: churn-1",
        ]
        assert result["version"] == "churn-1" and result["active"]
        assert result["split"]["test"] == ["2026-06", "2026-07"] and result["split"]["labels_end"] == "2026-10"
        assert result["metrics"]["roc_auc"] > 0.58
        assert ChurnModel.objects.get(active=True).version == "churn-1"

        listed, _ = churn("models")
        assert [(m["version"], m["active"]) for m in listed] == [("churn-1", True)]
        assert listed[0]["roc_auc"] == result["metrics"]["roc_auc"] and listed[0]["test"][1] == "2026-10-31"

        second, _ = churn("train", *dirs, "--calibration", "sigmoid")
        assert second["version"] == "churn-2" and not second["active"]
        assert churn("activate", "churn-2")[0] == {"version": "churn-2", "active": True}
        assert ChurnModel.objects.get(active=True).version == "churn-2"
        with pytest.raises(CommandError, match="no model version 'churn-9'"):
            churn("activate", "churn-9")

        check, _ = churn("backtest", "--month", "2026-07", "--version", "churn-1", *dirs)
        assert check["version"] == "churn-1" and check["month"] == "2026-07" and check["roc_auc"] > 0.5
        assert ModelCheck.objects.filter(kind="backtest").count() == 1

    def test_train_refuses_a_month_that_is_not_one(self, operator):
        with pytest.raises(CommandError, match="YYYY-MM"):
            churn("train", "--as-of", "2026-13", "--lake-dir", str(operator[0]), "--snapshot-dir", str(operator[1]))

    def test_backtest_without_an_active_model_says_so(self, operator):
        with pytest.raises(CommandError, match="no active model"):
            churn("backtest", "--month", "2026-06")

    def test_the_newest_nightly_snapshot_is_the_default(self, operator, settings):
        for month in ("2026-09", "2026-10"):
            target = settings.DATA_DIR / "nightly" / month
            target.mkdir(parents=True)
            if month == "2026-10":
                shutil.copy(operator[1] / "subscribers.parquet", target)
        result, _ = churn("train", "--lake-dir", str(operator[0]), "--horizon", "1")
        assert result["split"]["test"] == ["2026-08", "2026-09"]

    def test_without_any_snapshot_train_says_what_to_run(self, operator):
        with pytest.raises(CommandError, match="telcrm nightly"):
            churn("train", "--lake-dir", str(operator[0]))
