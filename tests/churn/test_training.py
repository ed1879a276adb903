"""The churn estimator on a simulated operator: it ranks churners, its calibration holds,
its reasons add up to its score, and it survives being stored."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from telcrm.analytics.churn_dataset import FEATURES, LABEL
from telcrm.churn.scoring import score_frame
from telcrm.churn.training import ChurnEstimator, evaluate, expected_calibration_error, model_matrix, reliability

from .conftest import fit_estimator
from .operator import truth_probability


def _test_part(dataset) -> tuple[pd.DataFrame, np.ndarray]:
    test = dataset[1]["test"]
    return test, test[LABEL].to_numpy(dtype=int)


class TestRanking:
    def test_beats_chance_and_nears_the_simulators_own_hazard(self, dataset, estimator, operator):
        test, y = _test_part(dataset)
        metrics = evaluate(y, estimator.predict_proba(model_matrix(test)))
        oracle = roc_auc_score(y, truth_probability(operator[2], test, dataset[0].horizon))
        assert metrics["roc_auc"] > 0.58
        assert metrics["top_decile_lift"] > 1.8
        # The simulator's hazards know each line's frailty and the future: the model, which
        # sees neither, still gets most of the way.
        assert metrics["roc_auc"] > oracle - 0.05
        assert metrics["pr_auc"] > 1.5 * metrics["base_rate"]

    def test_shuffled_labels_learn_nothing(self, dataset):
        parts = {name: part.copy() for name, part in dataset[1].items()}
        rng = np.random.default_rng(0)
        for part in parts.values():
            part[LABEL] = rng.permutation(part[LABEL].to_numpy())
        test = parts["test"]
        auc = roc_auc_score(test[LABEL], fit_estimator(parts, "sigmoid").predict_proba(model_matrix(test)))
        assert abs(auc - 0.5) < 0.05


class TestCalibration:
    @pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
    def test_calibration_keeps_the_brier_score_on_the_test_months(self, dataset, method):
        test, y = _test_part(dataset)
        model = fit_estimator(dataset[1], method)
        x = model_matrix(test)
        metrics = evaluate(y, model.predict_proba(x), uncalibrated=model.uncalibrated_proba(x))
        assert metrics["brier"] <= metrics["brier_uncalibrated"] * 1.01
        assert metrics["ece"] < 0.02

    @pytest.mark.parametrize(("method", "tolerance"), [("isotonic", 1e-9), ("sigmoid", 1e-4)])
    def test_calibrated_mean_is_the_calibration_months_churn_rate(self, dataset, method, tolerance):
        """Both calibrators preserve the mean on the data they are fitted to (isotonic
        regression's pooled blocks average their outcomes; a logistic fit's score equation
        sets the predicted sum to the observed)."""
        cal = dataset[1]["calibration"]
        model = fit_estimator(dataset[1], method)
        assert model.predict_proba(model_matrix(cal)).mean() == pytest.approx(cal[LABEL].mean(), abs=tolerance)

    def test_isotonic_calibration_is_monotone_in_the_raw_score(self, dataset, estimator):
        x = model_matrix(dataset[1]["test"])
        order = np.argsort(estimator.raw_log_odds(x))
        assert np.all(np.diff(estimator.predict_proba(x)[order]) >= 0)


class TestReasons:
    def test_contributions_and_base_value_sum_to_the_raw_log_odds(self, dataset, estimator):
        x = model_matrix(dataset[1]["test"])
        contrib = estimator.contributions(x)
        assert list(contrib.columns) == [*FEATURES, "base_value"]
        np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), estimator.raw_log_odds(x), atol=1e-9)
        assert contrib.base_value.nunique() == 1

    def test_reasons_are_the_three_largest_positive_contributions_with_the_lines_values(self, dataset, estimator):
        test = dataset[1]["test"].head(300)
        x = model_matrix(test)
        contrib = estimator.contributions(x).drop(columns="base_value")
        reasons = estimator.reasons(x)
        for i, line in enumerate(reasons):
            row = contrib.iloc[i]
            expected = row[row > 0].sort_values(ascending=False, kind="stable").head(3)
            assert [r["feature"] for r in line] == list(expected.index)
            assert [r["contribution"] for r in line] == pytest.approx(list(expected.to_numpy()), abs=5e-5)
            for r in line:
                value = test.iloc[i][r["feature"]]
                assert r["value"] == (None if pd.isna(value) else pytest.approx(value, abs=5e-5)
                                      if r["feature"] not in ("payment_type", "brand", "region") else value)
        assert sum(len(line) == 3 for line in reasons) > 250
        json.dumps(reasons)


class TestExplainedLines:
    def test_reasons_go_to_the_riskiest_fifth_at_training_time(self, dataset, estimator):
        fit, test = dataset[1]["fit"], dataset[1]["test"]
        explained = score_frame(estimator, fit).reasons.map(bool)
        # At least a fifth: isotonic calibration is a step function, and the step the 80th
        # percentile falls on is explained whole.
        assert 0.2 <= explained.mean() < 0.26
        scores = score_frame(estimator, test)
        above = scores.probability >= estimator.reason_threshold_
        assert (scores.reasons.map(len)[~above] == 0).all()
        assert scores.reasons[above].tolist() == estimator.reasons(model_matrix(test)[above.to_numpy()])

    def test_a_share_of_one_explains_every_line(self, dataset):
        fit, cal, test = dataset[1]["fit"], dataset[1]["calibration"], dataset[1]["test"].head(500)
        model = ChurnEstimator(explained_share=1.0).fit(
            model_matrix(fit), fit[LABEL].to_numpy(dtype=int), model_matrix(cal), cal[LABEL].to_numpy(dtype=int))
        reasons = score_frame(ChurnEstimator.from_bytes(model.to_bytes()), test).reasons
        assert reasons.tolist() == model.reasons(model_matrix(test))
        assert reasons.map(bool).mean() > 0.95


class TestArtifact:
    def test_a_stored_model_scores_exactly_as_the_fitted_one(self, dataset, estimator):
        test = dataset[1]["test"]
        again = ChurnEstimator.from_bytes(estimator.to_bytes())
        a, b = score_frame(estimator, test), score_frame(again, test)
        pd.testing.assert_frame_equal(a, b)
        assert list(a.msisdn) == list(test.msisdn)

    def test_a_category_unseen_in_training_scores_like_a_missing_one(self, dataset, estimator):
        rows = dataset[1]["test"].head(20).copy()
        missing = rows.assign(region=None)
        rows["region"] = "SH-NEW"
        np.testing.assert_allclose(score_frame(estimator, rows).probability,
                                   score_frame(estimator, missing).probability)

    def test_scoring_needs_the_models_columns(self, dataset, estimator):
        with pytest.raises(ValueError, match="spend_mean_3m"):
            score_frame(estimator, dataset[1]["test"].drop(columns="spend_mean_3m"))


class TestMetrics:
    def test_figures_on_a_hand_worked_case(self):
        y = np.array([0, 0, 1, 1, 0, 0, 0, 0, 0, 0])
        p = np.array([0.1, 0.4, 0.35, 0.8, 0.05, 0.05, 0.1, 0.2, 0.15, 0.3])
        m = evaluate(y, p)
        # Positives 0.35 and 0.8 against 8 negatives: 0.8 beats all 8, 0.35 all but 0.4.
        assert m["roc_auc"] == pytest.approx(15 / 16)
        assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
        assert m["top_decile_lift"] == pytest.approx(1 / 0.2)  # the top line (0.8) churned
        assert m["base_rate"] == 0.2

    def test_calibration_error_is_the_weighted_gap_of_the_reliability_bins(self):
        y = np.array([0, 0, 0, 1] * 5 + [1, 1, 0, 0] * 5)
        p = np.array([0.25] * 20 + [0.7] * 20)
        table = reliability(y, p, bins=2)
        assert table.lines.tolist() == [20, 20]
        assert table.predicted.tolist() == pytest.approx([0.25, 0.7])
        assert table.observed.tolist() == pytest.approx([0.25, 0.5])
        assert expected_calibration_error(y, p, bins=2) == pytest.approx((0 + 20 * 0.2) / 40)
