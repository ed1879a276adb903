"""Population stability against training time: near zero for the same distribution, the
closed-form value for a known shift, and every bin counted as the docstrings say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from telcrm.churn import drift

N = 50_000


class TestBins:
    def test_right_closed_bins_then_the_missing_share(self):
        shares = drift.numeric_shares(np.array([0, 1, 1.5, 2, 3, np.nan]), [1.0, 2.0])
        assert shares == pytest.approx([2 / 6, 2 / 6, 1 / 6, 1 / 6])

    def test_training_deciles_hold_a_tenth_each(self):
        base = drift.numeric_baseline(np.random.default_rng(1).normal(size=N))
        assert len(base["edges"]) == 9
        assert base["shares"] == pytest.approx([0.1] * 10 + [0.0], abs=1e-3)

    def test_unknown_categories_share_one_bin(self):
        shares = drift.categorical_shares(pd.Series(["a", "b", "x", "y"]), ["a", "b"])
        assert shares == {"a": 0.25, "b": 0.25, "(other)": 0.5}


class TestPsi:
    def test_the_same_distribution_is_stable(self):
        rng = np.random.default_rng(2)
        base = drift.baseline(pd.DataFrame({"x": rng.normal(size=N), "c": rng.choice(["a", "b"], N)}),
                              rng.uniform(size=N), categorical=["c"])
        report = drift.drift_report(base, pd.DataFrame({"x": rng.normal(size=N), "c": rng.choice(["a", "b"], N)}),
                                    rng.uniform(size=N))
        assert report["psi"]["x"] < 0.01 and report["psi"]["c"] < 0.001 and report["psi_score"] < 0.01
        assert report["flagged"] == [] and not report["score_flagged"]

    def test_a_one_deviation_shift_matches_the_closed_form_and_is_flagged(self):
        rng = np.random.default_rng(3)
        base = drift.baseline(pd.DataFrame({"x": rng.normal(size=N)}), rng.uniform(size=N), categorical=[])
        report = drift.drift_report(base, pd.DataFrame({"x": rng.normal(loc=1.0, size=N)}),
                                    rng.uniform(0.5, 1.0, size=N))
        edges = np.concatenate([[-np.inf], norm.ppf(np.linspace(0.1, 0.9, 9)), [np.inf]])
        shifted = np.diff(norm.cdf(edges - 1.0))
        closed_form = float(np.sum((shifted - 0.1) * np.log(shifted / 0.1)))
        assert report["psi"]["x"] == pytest.approx(closed_form, rel=0.05)
        assert closed_form > 0.25
        assert report["flagged"] == ["x"] and report["score_flagged"]

    def test_a_vanished_category_and_a_new_one_are_flagged(self):
        base = drift.baseline(pd.DataFrame({"c": ["a", "b"] * 100}), np.zeros(200), categorical=["c"])
        report = drift.drift_report(base, pd.DataFrame({"c": ["a", "z"] * 100}), np.zeros(200))
        assert report["flagged"] == ["c"]

    def test_psi_of_two_share_lists_by_hand(self):
        expected, actual = [0.5, 0.5], [0.25, 0.75]
        by_hand = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
        assert drift.psi(expected, actual) == pytest.approx(by_hand)
