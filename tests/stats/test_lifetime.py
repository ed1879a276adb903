"""The sBG on life tables (left-truncated, censored), per-cohort fits with their fallbacks,
and the residual-lifetime lookup against hand-computed sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telcrm.stats.lifetime import ALL_BRANDS, derl_lookup, group_fits, log_survival, residual_months
from telcrm.stats.sbg import (
    PARAMETER_BOUNDS,
    ShiftedBetaGeometricFitter,
    derl,
    hyp2f1_unit_a,
    life_table_log_likelihood,
    log_likelihood,
    retention_rates,
)
from tests.stats.test_sbg import REGULAR


def expected_table(alpha: float, beta: float, periods, entering: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exactly the counts the model expects: ``entering`` lines in each period, of which
    a share 1 - r(t) is lost."""
    t = np.asarray(periods)
    n = np.full(len(t), float(entering))
    return t, n, n * (1 - retention_rates(alpha, beta, int(t.max()))[t - 1])


def counts_frame(groups: dict[tuple[str, int, str], tuple[float, float, list[int], float]]) -> pd.DataFrame:
    rows = []
    for (payment_type, cohort, brand), (alpha, beta, periods, entering) in groups.items():
        for t, n, d in zip(*expected_table(alpha, beta, periods, entering), strict=True):
            rows.append({"payment_type": payment_type, "cohort": cohort, "brand": brand, "period": int(t),
                         "at_risk": n, "churned": d})
    return pd.DataFrame(rows)


class TestLifeTableFit:
    def test_a_complete_cohort_is_the_survivor_count_fit(self):
        survivors = np.array(REGULAR[:8], dtype=float)
        t, n, d = np.arange(1, 8), survivors[:-1], survivors[:-1] - survivors[1:]
        assert life_table_log_likelihood(0.7, 1.2, t, n, d) == pytest.approx(log_likelihood(0.7, 1.2, survivors))
        fit = ShiftedBetaGeometricFitter().fit_life_table(t, n, d)
        assert (fit.alpha_, fit.beta_) == pytest.approx((0.704, 1.182), abs=5e-4)
        assert fit.log_likelihood_ == pytest.approx(-1680.3, abs=0.05)

    def test_lines_first_seen_in_mid_life_recover_the_parameters(self):
        # Only periods 6 to 11 observed (the database began late): the expected counts of
        # sBG(0.5, 2.5) are fitted exactly by the model that generated them.
        fit = ShiftedBetaGeometricFitter().fit_life_table(*expected_table(0.5, 2.5, range(6, 12), 10_000))
        assert (fit.alpha_, fit.beta_) == pytest.approx((0.5, 2.5), rel=1e-4)

    def test_customers_all_alike_stop_at_the_bounds_with_finite_lifetimes(self):
        # Every customer renews with 0.8: no heterogeneity, the likelihood rises without
        # end towards alpha, beta -> infinity at alpha / (alpha + beta) = 0.2.
        t = np.arange(3, 9)
        n = np.full(len(t), 10_000.0)
        fit = ShiftedBetaGeometricFitter().fit_life_table(t, n, 0.2 * n)
        assert fit.alpha_ / (fit.alpha_ + fit.beta_) == pytest.approx(0.2, rel=1e-3)
        assert max(fit.alpha_, fit.beta_) <= PARAMETER_BOUNDS[1]
        values = residual_months(fit.alpha_, fit.beta_, np.array([40]), period_months=12, annual_discount=0.1,
                                 horizon_months=12)
        # Geometric by hand: 41 months completed, so 6 more months of the fourth year are
        # sure; its last month (a leaver's closing month) and each later year's months
        # come with 0.8 ** i, discounted monthly.
        delta, k = 1.1 ** (-1 / 12), np.arange(1, 3001)
        direct = np.sum(0.8 ** ((41 + k) // 12 - 3) * delta**k)
        assert values["expected_lifetime_months"] == pytest.approx([direct], rel=1e-3)
        assert values["alive_months"] == pytest.approx([6 + 6 * 0.8], rel=1e-3)

    @pytest.mark.parametrize("bad", [
        ([1, 2], [10, 10], [0, 0]),  # nobody lost
        ([1, 2], [10, 10], [10, 10]),  # nobody kept
        ([0, 1], [10, 10], [1, 1]),  # no period 0
        ([1, 2], [10, 10], [11, 1]),  # more lost than entered
    ])
    def test_rejects_unusable_tables(self, bad):
        with pytest.raises(ValueError):
            ShiftedBetaGeometricFitter().fit_life_table(*bad)


class TestGroupFits:
    COUNTS = counts_frame({
        # Three gotone cohorts on one curve, seen at different tenures.
        ("postpaid", 2015, "gotone"): (0.6, 3.0, list(range(8, 12)), 5_000),
        ("postpaid", 2016, "gotone"): (0.6, 3.0, list(range(5, 9)), 5_000),
        ("postpaid", 2019, "gotone"): (0.6, 3.0, [5, 6], 5_000),  # too few periods anyway
        # Two mzone cohorts on different curves.
        ("postpaid", 2017, "mzone"): (1.5, 2.0, list(range(5, 9)), 5_000),
        ("postpaid", 2018, "mzone"): (0.6, 3.0, list(range(5, 9)), 5_000),
        ("postpaid", 2019, "easyown"): (1.0, 1.0, [1, 2, 3], 100),  # too few lines: everyone's fit
    })

    def fits(self) -> pd.DataFrame:
        return group_fits(self.COUNTS, min_lines=1_000, min_periods=3, cohorts=range(2015, 2021)).set_index(
            ["payment_type", "brand", "cohort"], drop=False
        )

    def test_cohorts_whose_curves_differ_recover_their_own_parameters(self):
        fits = self.fits()
        for cohort, params in [(2017, [1.5, 2.0]), (2018, [0.6, 3.0])]:
            row = fits.loc[("postpaid", "mzone", cohort)]
            assert row.fit_level == "cohort"
            assert [row.alpha, row.beta] == pytest.approx(params, rel=1e-4)

    def test_cohorts_that_follow_their_brands_curve_borrow_it(self):
        # Each gotone cohort alone is fitted as well by the brand's curve, so none gets a
        # (noisier) curve of its own; the brand's is the one that generated them.
        fits = self.fits()
        gotone = fits[fits.brand == "gotone"]
        assert set(gotone.fit_level) == {"brand"}
        assert gotone[["alpha", "beta"]].values == pytest.approx(np.array([[0.6, 3.0]] * len(gotone)), rel=1e-4)
        assert fits.loc[("postpaid", "mzone", 2020)].fit_level == "brand"  # no lines at all yet

    def test_a_brand_too_small_borrows_everyones_fit(self):
        fits = self.fits()
        easyown = fits.loc[("postpaid", "easyown", 2019)]
        pooled = fits[fits.brand == ALL_BRANDS].iloc[0]
        assert easyown.fit_level == "payment_type"
        assert (easyown.alpha, easyown.beta) == (pooled.alpha, pooled.beta)
        table = self.COUNTS.groupby("period")[["at_risk", "churned"]].sum()
        fit = ShiftedBetaGeometricFitter().fit_life_table(table.index, table.at_risk, table.churned)
        assert (pooled.alpha, pooled.beta) == pytest.approx((fit.alpha_, fit.beta_), rel=1e-6)

    def test_a_curve_the_model_cannot_draw_falls_back(self):
        # Retention jumping from 0.80 to 0.95 within a brand drives beta to its lower
        # bound: that brand's lines take the payment type's curve instead.
        counts = counts_frame({
            ("postpaid", 2015, "gotone"): (0.6, 3.0, list(range(8, 12)), 5_000),
            ("postpaid", 2018, "gotone"): (1.5, 2.0, list(range(5, 9)), 5_000),
            ("postpaid", 2012, "easyown"): (3.0, 0.5, list(range(5, 12)), 5_000),
        })
        fits = group_fits(counts, min_lines=1_000, min_periods=3, cohorts=range(2015, 2019))
        assert fits[(fits.brand == "gotone") & (fits.cohort == 2016)].fit_level.item() == "payment_type"

    def test_a_payment_type_nobody_left_gets_no_fit(self):
        still = pd.DataFrame([{"payment_type": "prepaid", "cohort": 2020, "brand": "easyown", "period": p,
                               "at_risk": 5_000, "churned": 0} for p in range(1, 6)])
        assert group_fits(still, min_lines=1, min_periods=2, cohorts=range(2020, 2021)).empty


class TestResidualMonths:
    def test_uniform_mixing_by_hand(self):
        # alpha = beta = 1: S(t) = 1 / (t + 1). A line 4 months into a yearly contract
        # (5 months completed) stays the next 6 months for sure, then renews with
        # S(1) / S(0) = 1/2: alive months 6 + 6/2 = 9; weighted 21 + (7 + ... + 12) / 2.
        values = residual_months(1.0, 1.0, np.array([4]), period_months=12, annual_discount=0.1, horizon_months=12)
        assert values["alive_months"] == pytest.approx([9.0])
        assert values["alive_month_weights"] == pytest.approx([21 + 57 / 2])
        # Prepaid, in its activation month: alive k months on with S(1 + k) / S(1) = 2 / (k + 2).
        prepaid = residual_months(1.0, 1.0, np.array([0]), period_months=1, annual_discount=0.1, horizon_months=12)
        k = np.arange(1, 13)
        assert prepaid["alive_months"] == pytest.approx([np.sum(2 / (k + 2))])
        assert prepaid["alive_month_weights"] == pytest.approx([np.sum(2 * k / (k + 2))])

    @pytest.mark.parametrize(("period", "tenure"), [(12, 0), (12, 4), (12, 11), (12, 30), (1, 0), (1, 17), (6, 8)])
    def test_closed_form_equals_the_discounted_monthly_sum(self, period, tenure):
        alpha, beta, annual = 0.8, 2.4, 0.1
        delta = 1.1 ** (-1 / 12)
        m = tenure + 1
        k = np.arange(1, 6001)
        alive = np.exp(log_survival(alpha, beta, (m + k) // period) - log_survival(alpha, beta, np.array(m // period)))
        direct = np.sum(alive * delta**k)
        values = residual_months(alpha, beta, np.array([tenure]), period_months=period, annual_discount=annual,
                                 horizon_months=12)
        assert values["expected_lifetime_months"] == pytest.approx([direct], rel=1e-9)

    def test_survival_in_logs_is_the_recursion(self):
        from telcrm.stats.sbg import survival

        assert np.exp(log_survival(0.7, 1.2, np.arange(0, 30))) == pytest.approx(survival(0.7, 1.2, 29), rel=1e-10)

    def test_long_series_are_summed_in_chunks_without_changing_a_digit(self):
        n = np.arange(1, 3001)
        z = 1 / 1.008
        whole = hyp2f1_unit_a(0.9 + n, 3.1 + n, z)
        one_by_one = np.array([hyp2f1_unit_a(0.9 + v, 3.1 + v, z)[0] for v in n[::500]])
        assert whole[::500] == pytest.approx(one_by_one, rel=1e-14)
        assert derl(0.9, 2.2, n, 0.008).shape == (3000,)


class TestLookup:
    def test_tenure_names_the_cohort_and_its_fit(self):
        counts = counts_frame({
            ("postpaid", 2015, "gotone"): (0.6, 3.0, list(range(8, 12)), 5_000),
            ("prepaid", 2022, "easyown"): (0.9, 1.5, list(range(1, 20)), 2_000),
        })
        as_of = 2024 * 12 + 5  # 2024-06
        lookup = derl_lookup(counts, as_of_index=as_of, period_months={"postpaid": 12, "prepaid": 1},
                             annual_discount=0.1, horizon_months=12, min_lines=1_000, min_periods=3)
        row = lookup.set_index(["payment_type", "brand", "tenure_months"]).loc[("postpaid", "gotone", 5 + 12 * 9)]
        assert row.cohort == 2015  # activated 2015-01, 113 months before 2024-06
        assert (row.alpha, row.beta) == pytest.approx((0.6, 3.0), rel=1e-4)
        expected = residual_months(0.6, 3.0, np.array([113]), period_months=12, annual_discount=0.1, horizon_months=12)
        assert row.expected_lifetime_months == pytest.approx(expected["expected_lifetime_months"][0])
        # Tenures reach 40 years back, so a line of a cohort with no finished period since
        # observation began still finds its payment type's curve.
        assert lookup.tenure_months.max() == as_of - (2024 - 40) * 12
        old = lookup[(lookup.tenure_months == 300) & (lookup.payment_type == "postpaid")]
        assert set(old.brand) == {"gotone", ALL_BRANDS} and set(old.cohort) == {1999}
        assert set(lookup[lookup.payment_type == "prepaid"].brand) == {"easyown", ALL_BRANDS}

    def test_an_empty_table_gives_an_empty_lookup(self):
        empty = pd.DataFrame(columns=["payment_type", "cohort", "brand", "period", "at_risk", "churned"])
        lookup = derl_lookup(empty, as_of_index=24_000, period_months={"postpaid": 12}, annual_discount=0.1,
                             horizon_months=12, min_lines=1, min_periods=2)
        assert lookup.empty and "expected_lifetime_months" in lookup.columns
