"""The nightly run with an active churn model: every open line scored with reasons, the
inbox taking lines above the alert probability, expected loss from the probability, and a
drift check of the month against training time."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from telcrm.churn import services as churn_services
from telcrm.churn.models import ChurnModel, LineRisk, ModelCheck, Warning
from telcrm.churn.scoring import load_estimator
from telcrm.ingest.services import import_actor, import_directory
from telcrm.nightly.pipeline import ALERT_PROBABILITY
from telcrm.nightly.services import run_nightly, snapshot_dir
from telcrm.nightly.snapshot import export_snapshot
from telcrm.simulate.demo_users import ACCOUNT_MANAGERS
from telcrm.simulate.generator import SimulationConfig, simulate
from telcrm.value.models import LineValue

from .conftest import END_MONTH, first_day, open_line_ids

# The shortest lake a one-month horizon trains on (analytics.churn_dataset.time_split).
MONTHS = 18


@pytest.fixture(scope="module")
def long_operator_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nightly-long-operator")
    simulate(SimulationConfig(subscribers=1_500, months=MONTHS, seed=3, out=out, end_month=END_MONTH),
             progress=False)
    return out


@pytest.fixture
def model(db, settings, long_operator_files: Path) -> ChurnModel:
    for name in ACCOUNT_MANAGERS:
        User.objects.create(username=name)
    import_directory(import_actor(), directory=long_operator_files, progress=False)
    directory = export_snapshot(snapshot_dir(END_MONTH), as_of=END_MONTH).directory
    return churn_services.train_model(churn_services.modelling_actor(), lake_dir=settings.LAKE_DIR,
                                      snapshot_dir=directory, horizon=1, activate=True)


class TestWithAModel:
    def test_every_open_line_is_scored_with_its_reasons(self, model):
        run = run_nightly(as_of=END_MONTH, progress=False)
        assert run.model_version == model.version and run.counts["scored"] == len(open_line_ids(END_MONTH))
        risks = LineRisk.objects.filter(month=first_day(END_MONTH))
        assert risks.count() == len(open_line_ids(END_MONTH))
        assert not risks.filter(probability__isnull=True).exists()
        assert set(risks.values_list("model_id", flat=True)) == {model.pk}
        threshold = load_estimator(bytes(model.artifact)).reason_threshold_  # the riskiest get reasons
        for risk in risks.filter(probability__gte=threshold)[:30]:
            assert 0 <= risk.probability <= 1
            reasons = risk.reasons
            assert isinstance(reasons, list) and reasons
            assert all(set(r) == {"feature", "value", "contribution"} for r in reasons)
            assert {r["feature"] for r in reasons} <= set(model.features)

    def test_the_inbox_takes_fired_rules_and_probabilities_above_the_threshold(self, model):
        run_nightly(as_of=END_MONTH, progress=False)
        month = first_day(END_MONTH)
        risks = LineRisk.objects.filter(month=month)
        expected = {r.subscription_id for r in risks if r.warning_rules or r.probability >= ALERT_PROBABILITY}
        warned = Warning.objects.filter(month=month)
        assert set(warned.values_list("subscription_id", flat=True)) == expected
        for warning in warned[:30]:
            risk = risks.get(subscription_id=warning.subscription_id)
            line = LineValue.objects.get(subscription_id=warning.subscription_id, month=month)
            value = line.lifetime_value if line.lifetime_value is not None else 12 * line.margin
            assert warning.probability == risk.probability
            assert abs(warning.expected_loss - Decimal(f"{max(float(value) * risk.probability, 0):.2f}")) <= Decimal(
                "0.01")

    def test_the_month_gets_a_drift_check_replaced_by_a_rerun(self, model):
        run_nightly(as_of=END_MONTH, progress=False)
        run_nightly(as_of=END_MONTH, progress=False)
        check = ModelCheck.objects.get(model=model, kind="drift")
        assert check.month == first_day(END_MONTH)
        assert check.metrics["lines"] == len(open_line_ids(END_MONTH))
        assert set(check.metrics["psi"]) >= {"spend_mean_3m", "tenure_months"}
