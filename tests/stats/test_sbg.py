"""The sBG fitter against Fader and Hardie's published figures, and DERL in closed form."""

import numpy as np
import pytest

from telcrm.stats.sbg import (
    ShiftedBetaGeometricFitter,
    derl,
    log_likelihood,
    retention_rates,
    survival,
)

# Fader and Hardie (2007), table 1: survivors of 1,000 customers over years 0-12.
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]


class TestPublishedFits:
    @pytest.mark.parametrize(("data", "alpha", "beta", "ll"), [
        (HIGH_END, 0.668, 3.806, -1611.2),
        (REGULAR, 0.704, 1.182, -1680.3),
    ])
    def test_seven_year_fit_matches_the_paper(self, data, alpha, beta, ll):
        fit = ShiftedBetaGeometricFitter().fit(data[:8])
        assert fit.alpha_ == pytest.approx(alpha, abs=5e-4)
        assert fit.beta_ == pytest.approx(beta, abs=5e-4)
        assert fit.log_likelihood_ == pytest.approx(ll, abs=0.05)

    @pytest.mark.parametrize("data", [HIGH_END, REGULAR])
    def test_projection_of_years_8_to_12_is_close_to_what_happened(self, data):
        fit = ShiftedBetaGeometricFitter().fit(data[:8])
        projected = 1000 * fit.survival_function(12)[8:]
        actual = np.array(data[8:])
        assert np.max(np.abs(projected - actual) / actual) < 0.06

    def test_maximum_is_a_maximum(self):
        fit = ShiftedBetaGeometricFitter().fit(REGULAR[:8])
        for da, db in [(0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01)]:
            assert log_likelihood(fit.alpha_ + da, fit.beta_ + db, REGULAR[:8]) < fit.log_likelihood_


class TestModelIdentities:
    def test_survival_is_the_beta_function_ratio(self):
        from scipy.special import beta as B

        a, b = 0.7, 1.2
        t = np.arange(0, 20)
        assert survival(a, b, 19) == pytest.approx(B(a, b + t) / B(a, b), rel=1e-12)

    def test_retention_rises_with_tenure(self):
        r = retention_rates(0.7, 1.2, 10)
        assert np.all(np.diff(r) > 0)
        s = survival(0.7, 1.2, 10)
        assert r == pytest.approx(s[1:] / s[:-1], rel=1e-12)


class TestDerl:
    @pytest.mark.parametrize("n", [1, 2, 5, 12])
    def test_closed_form_equals_the_discounted_sum(self, n):
        a, b, d = 0.704, 1.182, 0.10
        s = survival(a, b, 5000)
        t = np.arange(n, 5001)
        direct = np.sum(s[t] / s[n - 1] / (1 + d) ** (t - n))
        assert derl(a, b, n, d) == pytest.approx(direct, rel=1e-9)

    def test_homogeneous_limit_is_the_geometric_series(self):
        # With no heterogeneity (alpha, beta large, theta fixed) every customer renews with
        # r = 1 - theta: DERL = sum_k r^k / (1+d)^(k-1) = r (1 + d) / (1 + d - r).
        theta, d, big = 0.2, 0.1, 1e8
        r = 1 - theta
        assert derl(big * theta, big * (1 - theta), 3, d) == pytest.approx(r * (1 + d) / (1 + d - r), rel=1e-5)

    def test_longer_tenure_means_longer_residual_life(self):
        values = derl(0.668, 3.806, np.arange(1, 10), 0.1)
        assert np.all(np.diff(values) > 0)

    def test_rejects_nonsense(self):
        with pytest.raises(ValueError):
            derl(1, 1, 0, 0.1)
        with pytest.raises(ValueError):
            derl(1, 1, 1, 0)


    def test_series_matches_scipy_where_scipy_is_accurate(self):
        from scipy.special import hyp2f1

        from telcrm.stats.sbg import hyp2f1_unit_a

        b, c, z = np.array([1.5, 4.8, 9.0]), np.array([2.2, 5.5, 9.7]), 1 / 1.1
        assert hyp2f1_unit_a(b, c, z) == pytest.approx(hyp2f1(1, b, c, z), rel=1e-12)


class TestFitterInput:
    @pytest.mark.parametrize("bad", [[1000, 900], [1000, 1100, 900], [1000, 1000, 1000]])
    def test_rejects_unusable_counts(self, bad):
        with pytest.raises(ValueError):
            ShiftedBetaGeometricFitter().fit(bad)

    def test_summary_is_a_frame(self):
        fit = ShiftedBetaGeometricFitter().fit(HIGH_END[:8])
        assert fit.summary.loc["alpha", "value"] == pytest.approx(fit.alpha_)
