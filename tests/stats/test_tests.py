"""The campaign significance tests against published figures and SciPy's own tests on the
raw rows (a different computation path: contingency tables, sample arrays)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from telcrm.stats.tests import difference_of_means, two_proportions


class TestTwoProportions:
    def test_wald_interval_matches_newcombes_published_example(self):
        # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 against 48/80,
        # method 1 (simple asymptotic): 0.0575 to 0.3425.
        result = two_proportions(56, 70, 48, 80)
        assert result.difference == pytest.approx(0.2)
        assert result.ci_low == pytest.approx(0.0575, abs=5e-5)
        assert result.ci_high == pytest.approx(0.3425, abs=5e-5)

    @pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(56, 70, 48, 80), (30, 1000, 18, 1000), (5, 12, 9, 40)])
    def test_p_value_is_pearsons_chi_square_without_correction(self, x1, n1, x2, n2):
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        chi2 = stats.chi2_contingency(table, correction=False)
        result = two_proportions(x1, n1, x2, n2)
        assert result.p_value == pytest.approx(chi2.pvalue, rel=1e-10)
        assert result.statistic**2 == pytest.approx(chi2.statistic, rel=1e-10)

    def test_sign_follows_treatment_minus_control(self):
        assert two_proportions(10, 100, 20, 100).statistic < 0
        assert two_proportions(20, 100, 10, 100).difference == pytest.approx(0.1)

    def test_a_wider_confidence_gives_a_wider_interval(self):
        narrow, wide = two_proportions(40, 200, 25, 200), two_proportions(40, 200, 25, 200, confidence=0.99)
        assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high

    def test_identical_all_or_nothing_groups_show_no_evidence(self):
        result = two_proportions(0, 50, 0, 30)
        assert result.p_value == 1.0 and result.difference == 0.0 and not result.significant

    def test_an_empty_group_gives_no_test(self):
        result = two_proportions(3, 10, 0, 0)
        assert math.isnan(result.p_value) and math.isnan(result.ci_low) and not result.significant

    @pytest.mark.parametrize("args", [(11, 10, 1, 10), (-1, 10, 1, 10)])
    def test_impossible_counts_are_refused(self, args):
        with pytest.raises(ValueError):
            two_proportions(*args)

    def test_confidence_outside_zero_one_is_refused(self):
        with pytest.raises(ValueError, match="confidence"):
            two_proportions(1, 10, 1, 10, confidence=95)


class TestDifferenceOfMeans:
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_matches_scipys_welch_test_on_the_rows(self, seed):
        rng = np.random.default_rng(seed)
        treated, control = rng.normal(52, 12, 80), rng.normal(48, 6, 35)
        expected = stats.ttest_ind(treated, control, equal_var=False)
        interval = expected.confidence_interval(0.95)
        result = difference_of_means(
            treated.mean(), treated.std(ddof=1), len(treated), control.mean(), control.std(ddof=1), len(control)
        )
        assert result.difference == pytest.approx(treated.mean() - control.mean())
        assert result.statistic == pytest.approx(expected.statistic, rel=1e-10)
        assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
        assert (result.ci_low, result.ci_high) == pytest.approx((interval.low, interval.high), rel=1e-9)

    def test_closed_form_for_equal_groups(self):
        # n = 50 each, sd 10 each: se = 2, df = 98; t = 5 / 2.
        result = difference_of_means(105.0, 10.0, 50, 100.0, 10.0, 50)
        assert result.statistic == pytest.approx(2.5)
        assert result.p_value == pytest.approx(2 * stats.t.sf(2.5, 98))
        half = stats.t.ppf(0.975, 98) * 2
        assert (result.ci_low, result.ci_high) == pytest.approx((5 - half, 5 + half))
        assert result.significant

    def test_a_group_of_one_gives_no_test(self):
        result = difference_of_means(10.0, 0.0, 1, 8.0, 2.0, 30)
        assert math.isnan(result.p_value) and result.difference == 2.0

    def test_no_spread_and_no_difference_is_no_evidence(self):
        result = difference_of_means(5.0, 0.0, 10, 5.0, 0.0, 10)
        assert result.p_value == 1.0 and not result.significant
