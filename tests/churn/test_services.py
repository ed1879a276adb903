"""Model versions in the database: training stores everything scoring and checking need,
one version is active at a time, drift and backtests are recorded per month."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from telcrm.analytics.churn_dataset import FEATURES, LABEL
from telcrm.churn import services
from telcrm.churn.models import ChurnModel, ModelCheck
from telcrm.churn.training import evaluate
from telcrm.core.errors import PermissionDenied, ValidationFailed


@pytest.fixture(scope="module")
def trained(operator, django_db_setup, django_db_blocker):
    """One version trained through the service, kept for the module's tests."""
    lake, snapshot, _ = operator
    with django_db_blocker.unblock():
        actor = services.modelling_actor()
        model = services.train_model(actor, lake_dir=lake, snapshot_dir=snapshot)
        yield model
        ModelCheck.objects.filter(model=model).delete()
        model.delete()
        actor.delete()


def _version(name: str) -> ChurnModel:
    return ChurnModel.objects.create(version=name, train_start=dt.date(2025, 1, 1), train_end=dt.date(2025, 6, 30),
                                     horizon_months=3, features=[], artifact=b"")


@pytest.mark.django_db
class TestTraining:
    def test_a_version_records_its_windows_features_metrics_and_baselines(self, trained, dataset):
        split = dataset[0]
        assert trained.version.startswith("churn-") and not trained.active
        assert trained.train_start == dt.date.fromisoformat(f"{split.fit_months[0]}-01")
        assert trained.train_end < trained.test_start == dt.date.fromisoformat(f"{split.test_months[0]}-01")
        assert trained.test_end == dt.date(2026, 10, 31) and trained.horizon_months == 3
        assert trained.features == list(FEATURES)
        assert trained.params["split"] == split.as_dict() and trained.params["n_estimators"] == 400
        assert trained.metrics["rows"] == {name: len(part) for name, part in dataset[1].items()}
        assert 0.58 < trained.metrics["roc_auc"] < 1 and len(trained.metrics["reliability"]) == 10
        assert set(trained.baseline["features"]) == set(FEATURES)

    def test_the_stored_version_scores_the_test_months_to_its_recorded_metrics(self, trained, dataset):
        stored = ChurnModel.objects.get(pk=trained.pk)  # artifact read back from the database
        test = dataset[1]["test"]
        scores = services.score_lines(stored, test)
        assert list(scores.columns) == ["msisdn", "probability", "reasons"]
        again = evaluate(test[LABEL].to_numpy(dtype=int), scores.probability.to_numpy())
        assert again["roc_auc"] == pytest.approx(stored.metrics["roc_auc"], abs=1e-6)
        assert again["brier"] == pytest.approx(stored.metrics["brier"], abs=1e-9)

    def test_scoring_in_batches_equals_scoring_at_once(self, trained, dataset):
        test = dataset[1]["test"]
        whole = services.score_lines(trained, test)
        parts = [services.score_lines(trained, test.iloc[i:i + 1000]) for i in range(0, len(test), 1000)]
        assert np.array_equal(np.concatenate([p.probability for p in parts]), whole.probability.to_numpy())
        assert [r for p in parts for r in p.reasons] == whole.reasons.tolist()

    def test_a_user_without_the_permission_may_not_train(self, operator):
        lake, snapshot, _ = operator
        with pytest.raises(PermissionDenied):
            services.train_model(User.objects.create(username="clerk"), lake_dir=lake, snapshot_dir=snapshot)

    def test_a_lake_too_short_is_refused_with_the_months_it_needs(self, operator):
        lake, snapshot, _ = operator
        with pytest.raises(ValidationFailed, match="needs at least 22"):
            services.train_model(services.modelling_actor(), lake_dir=lake, snapshot_dir=snapshot, as_of="2026-06")

    def test_a_missing_snapshot_is_refused(self, operator, tmp_path):
        with pytest.raises(ValidationFailed, match=r"subscribers\.parquet"):
            services.train_model(services.modelling_actor(), lake_dir=operator[0], snapshot_dir=tmp_path)


@pytest.mark.django_db
class TestActivation:
    def test_activating_a_version_deactivates_the_others(self):
        actor = services.modelling_actor()
        versions = [_version(f"v{i}") for i in range(3)]
        for model in [*versions, versions[0]]:
            services.activate_model(actor, model=model)
            assert list(ChurnModel.objects.filter(active=True)) == [model]
            assert services.active_model() == model

    def test_a_trained_version_once_activated_is_the_one_scoring_uses(self, trained):
        _version("older")
        services.activate_model(services.modelling_actor(), model=ChurnModel.objects.get(version="older"))
        services.activate_model(services.modelling_actor(), model=trained)
        assert services.active_model() == trained
        assert ChurnModel.objects.filter(active=True).count() == 1

    def test_the_database_refuses_two_active_versions(self):
        _version("a")
        ChurnModel.objects.filter(version="a").update(active=True)
        with pytest.raises(IntegrityError), transaction.atomic():
            ChurnModel.objects.create(version="b", train_start=dt.date(2025, 1, 1), train_end=dt.date(2025, 6, 30),
                                      horizon_months=3, features=[], artifact=b"", active=True)

    def test_no_active_version_means_none(self):
        _version("idle")
        assert services.active_model() is None

    def test_activation_needs_the_permission(self):
        with pytest.raises(PermissionDenied):
            services.activate_model(User.objects.create(username="clerk"), model=_version("v"))


@pytest.mark.django_db
class TestChecks:
    def test_drift_of_the_training_months_is_zero_and_of_a_shifted_month_flagged(self, trained, dataset):
        fit = dataset[1]["fit"]
        same = services.check_drift(trained, fit, services.score_lines(trained, fit), month="2025-09")
        # Zero but for lines on a decile edge, which float sums in another order may move.
        assert max(same.metrics["psi"].values()) < 1e-4 and same.metrics["psi_score"] < 1e-4
        shifted = fit.assign(spend_mean_3m=fit.spend_mean_3m * 3, competitor_share_3m=fit.competitor_share_3m + 0.3)
        check = services.check_drift(trained, shifted, services.score_lines(trained, shifted), month="2025-09")
        assert check.pk == same.pk and ModelCheck.objects.filter(kind="drift").count() == 1  # replaced
        assert {"spend_mean_3m", "competitor_share_3m"} <= set(check.metrics["flagged"])
        assert check.metrics["psi"]["tenure_months"] < 1e-4

    def test_a_backtest_measures_a_month_against_its_realised_closures(self, trained, dataset, operator):
        month = dataset[0].test_months[0]
        check = services.backtest(trained, month=month, lake_dir=operator[0], snapshot_dir=operator[1])
        rows = dataset[1]["test"][lambda f: f.as_of == month]
        model = services.score_lines(trained, rows)
        expected = evaluate(rows[LABEL].to_numpy(dtype=int), model.probability.to_numpy())
        assert check.kind == "backtest" and check.month == dt.date.fromisoformat(f"{month}-01")
        assert check.metrics["roc_auc"] == pytest.approx(expected["roc_auc"], abs=1e-6)
        assert check.metrics["lines"] == len(rows) and check.metrics["horizon_end"] == "2026-09"

    def test_a_month_whose_horizon_has_not_passed_cannot_be_backtested(self, trained, operator):
        with pytest.raises(ValidationFailed, match="2027-01"):
            services.backtest(trained, month="2026-10", lake_dir=operator[0], snapshot_dir=operator[1])

    def test_known_months_are_backtested_from_the_test_window_to_the_last_with_outcomes(self, trained, operator):
        checks = services.backtest_known_months(trained, lake_dir=operator[0], snapshot_dir=operator[1])
        months = [c.month for c in checks]
        horizon_ends = [c.metrics["horizon_end"] for c in checks]
        assert months[0] == trained.test_start and months == sorted(months)
        assert horizon_ends[-1] == "2026-10"  # the lake's last month: no later month's outcome is known
        assert all(0.5 < c.metrics["roc_auc"] <= 1 for c in checks)
