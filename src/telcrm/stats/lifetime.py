"""Residual lifetime of each line from its tenure: the sBG fitted per cohort and brand, and
the months a line is expected to stay (discounted, and within a forecast horizon).

The nightly run counts, from the subscriber snapshot, a life table per payment type,
activation-year cohort and brand (how many lines entered each renewal period and how many
were lost at its end), fits the shifted-beta-geometric model to it (Fader and Hardie 2007,
``sbg.py``) and turns the fit into a lookup keyed by tenure in months, which the pipeline
joins to the lines. Given the month scored, a tenure names one activation month, so one
key covers cohort and tenure at once.

Periods are ``period_months`` long (12 for a yearly contract, 1 for prepaid's month to
month "renewal"). A line seen open at the end of its ``m``-th month of life has renewed
``q = m // P`` times and is ``j = m - qP`` months into period ``q + 1``; the model lets it
leave only at the end of a period, so it stays the ``P - j - 1`` remaining months of the
current period for sure, and the months of each later period ``q + i`` with probability
``S(q + i) / S(q)``. Discounted monthly, that is

    E = sum_{k=1}^{P-j-1} delta^k + delta^(P-j) (1 - delta^P) / (1 - delta) * DERL(q + 1)

where DERL is Fader and Hardie's (2010) closed form at the per-period discount rate
``(1 + annual)^(P/12) - 1``: the payments of the periods after the current one, valued at
the current period's end. Margin times E is the line's residual lifetime value.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from telcrm.stats.sbg import PARAMETER_BOUNDS, ShiftedBetaGeometricFitter, derl, life_table_log_likelihood

OLDEST_YEARS = 40
"""How far back the lookup's tenures reach at least: older than any mobile line."""

COUNT_COLUMNS = ("payment_type", "cohort", "brand", "period", "at_risk", "churned")
ALL_BRANDS = "*"
"""Brand of the lookup rows fitted to every brand of a payment type: the fallback for a
line whose brand has no fit of its own."""


SEPARATE_FIT_LR = 5.99
"""A group gets its own curve only when its data reject the pooled one: twice the gain in
log-likelihood from two free parameters must pass the chi-squared(2) 5% point. A cohort
first seen in mid-life shows a short stretch of its retention curve, on which many
(alpha, beta) pairs fit about equally; without this test those cohorts would get erratic
curves of their own where the brand's describes them as well."""


def _by_period(table: pd.DataFrame) -> pd.DataFrame:
    by_period = table.groupby("period", as_index=False)[["at_risk", "churned"]].sum()
    return by_period[by_period.at_risk > 0]


def _fit(
    table: pd.DataFrame, *, min_lines: int, min_periods: int, pooled: tuple[float, float] | None = None
) -> tuple[float, float] | None:
    """(alpha, beta) for the life table rows in ``table``, or None when they are too few to
    estimate two parameters reliably: fewer than ``min_lines`` line-periods at risk, fewer
    than ``min_periods`` distinct periods (one period's retention says nothing about how it
    changes with tenure, which is what separates alpha from beta), nobody lost or nobody
    kept, an optimiser that does not converge, or (given the ``pooled`` fit the group
    would otherwise borrow) a fit stuck at a parameter bound or a likelihood-ratio gain
    below ``SEPARATE_FIT_LR``."""
    by_period = _by_period(table)
    lost, entered = by_period.churned.sum(), by_period.at_risk.sum()
    if entered < min_lines or len(by_period) < min_periods or lost == 0 or lost == entered:
        return None
    try:
        fit = ShiftedBetaGeometricFitter().fit_life_table(by_period.period, by_period.at_risk, by_period.churned)
    except RuntimeError:
        return None
    if pooled is not None:
        low, high = PARAMETER_BOUNDS
        if not all(low * 1.001 < v < high / 1.001 for v in (fit.alpha_, fit.beta_)):
            return None  # a curve the sBG cannot draw (e.g. churn rising with tenure)
        borrowed = life_table_log_likelihood(*pooled, by_period.period, by_period.at_risk, by_period.churned)
        if 2 * (fit.log_likelihood_ - borrowed) < SEPARATE_FIT_LR:
            return None
    return fit.alpha_, fit.beta_


def group_fits(counts: pd.DataFrame, *, min_lines: int, min_periods: int, cohorts: range) -> pd.DataFrame:
    """One (alpha, beta) per payment type, cohort and brand; a group too small for its own fit,
    or one whose data do not reject the pooled curve, borrows its brand's (all cohorts
    pooled), and a brand its payment type's (all brands pooled, also listed under brand
    ``ALL_BRANDS``). ``fit_level`` says which. The payment type's fit is the last resort,
    so it only needs to be identified (two periods, someone lost and someone kept); one
    whose whole table cannot be fitted is left out: its lines get no lifetime rather than
    an invented one."""
    rows: list[tuple] = []
    for payment_type, table in counts.groupby("payment_type", sort=True):
        overall = _fit(table, min_lines=1, min_periods=2)
        if overall is None:
            continue
        rows.append((payment_type, ALL_BRANDS, None, *overall, "payment_type"))
        for brand, brand_table in table.groupby("brand", sort=True):
            brand_fit = _fit(brand_table, min_lines=min_lines, min_periods=min_periods, pooled=overall)
            pooled = (brand_fit, "brand") if brand_fit is not None else (overall, "payment_type")
            for cohort in cohorts:
                own = _fit(
                    brand_table[brand_table.cohort == cohort], min_lines=min_lines, min_periods=min_periods,
                    pooled=pooled[0],
                )
                params, level = (own, "cohort") if own is not None else pooled
                rows.append((payment_type, brand, cohort, *params, level))
    return pd.DataFrame(rows, columns=["payment_type", "brand", "cohort", "alpha", "beta", "fit_level"])


def log_survival(alpha: float, beta: float, t: np.ndarray) -> np.ndarray:
    """log S(t), the running sum of log r(k) = log(1 - alpha / (alpha + beta + k - 1)):
    accurate in the tail, where one minus a running sum of churn probabilities loses its
    digits, and for the huge alpha and beta of a nearly homogeneous fit, where a
    difference of log-Beta functions does."""
    t = np.asarray(t, dtype=np.int64)
    k = np.arange(1, int(t.max(initial=0)) + 1)
    cumulative = np.concatenate(([0.0], np.cumsum(np.log1p(-alpha / (alpha + beta + k - 1)))))
    return cumulative[t]


def residual_months(
    alpha: float, beta: float, tenure_months: np.ndarray, *, period_months: int, annual_discount: float,
    horizon_months: int,
) -> dict[str, np.ndarray]:
    """For lines open at the end of a month with the given tenures (0 in the activation
    month): ``expected_lifetime_months`` (E in the module docstring), ``alive_months`` (the
    expected number of the next ``horizon_months`` months the line stays, undiscounted) and
    ``alive_month_weights`` (the same sum with month k weighted by k, for a trend)."""
    P = period_months
    m = np.asarray(tenure_months, dtype=np.int64) + 1
    q = m // P
    j = m - q * P
    delta = (1.0 + annual_discount) ** (-1.0 / 12.0)
    period_discount = (1.0 + annual_discount) ** (P / 12.0) - 1.0
    within = P - j - 1
    current = delta * (1.0 - delta**within) / (1.0 - delta)
    later = delta ** (P - j) * (1.0 - delta**P) / (1.0 - delta) * derl(alpha, beta, q + 1, period_discount)
    k = np.arange(1, horizon_months + 1)[None, :]
    alive = np.exp(log_survival(alpha, beta, (m[:, None] + k) // P) - log_survival(alpha, beta, q)[:, None])
    return {
        "expected_lifetime_months": current + later,
        "alive_months": alive.sum(axis=1),
        "alive_month_weights": (alive * k).sum(axis=1),
    }


def derl_lookup(
    counts: pd.DataFrame,
    *,
    as_of_index: int,
    period_months: Mapping[str, int],
    annual_discount: float,
    horizon_months: int,
    min_lines: int,
    min_periods: int,
) -> pd.DataFrame:
    """The lookup ``(payment_type, brand, tenure_months) -> expected_lifetime_months,
    alive_months, alive_month_weights`` for the month ``as_of_index`` (year * 12 + month -
    1), with the cohort, fit and its level; ``counts`` has ``COUNT_COLUMNS``. Tenures run
    from 0 to that of the oldest cohort's first month, and at least ``OLDEST_YEARS``
    back: a line with no finished period since observation began (a short lake) still
    finds its brand's or payment type's curve."""
    missing = set(COUNT_COLUMNS) - set(counts.columns)
    if missing:
        raise ValueError(f"life table lacks columns {sorted(missing)}")
    if counts.empty:
        return pd.DataFrame(columns=[*LOOKUP_COLUMNS])
    first_cohort = min(int(counts.cohort.min()), as_of_index // 12 - OLDEST_YEARS)
    cohorts = range(first_cohort, as_of_index // 12 + 1)
    fits = group_fits(counts, min_lines=min_lines, min_periods=min_periods, cohorts=cohorts)
    tenure = np.arange(0, as_of_index - 12 * first_cohort + 1)
    cohort_of_tenure = (as_of_index - tenure) // 12
    frames = []
    for fit in fits.itertuples(index=False):
        keep = np.ones(len(tenure), bool) if pd.isna(fit.cohort) else cohort_of_tenure == fit.cohort
        if fit.payment_type not in period_months:
            raise ValueError(f"no period length for payment type {fit.payment_type!r}")
        values = residual_months(
            fit.alpha, fit.beta, tenure[keep], period_months=period_months[fit.payment_type],
            annual_discount=annual_discount, horizon_months=horizon_months,
        )
        frames.append(pd.DataFrame({
            "payment_type": fit.payment_type, "brand": fit.brand, "tenure_months": tenure[keep],
            "cohort": cohort_of_tenure[keep], "alpha": fit.alpha, "beta": fit.beta, "fit_level": fit.fit_level,
            "period_months": period_months[fit.payment_type], **values,
        }))
    if not frames:
        return pd.DataFrame(columns=[*LOOKUP_COLUMNS])
    return pd.concat(frames, ignore_index=True)[[*LOOKUP_COLUMNS]]


LOOKUP_COLUMNS = (
    "payment_type", "brand", "tenure_months", "cohort", "alpha", "beta", "fit_level", "period_months",
    "expected_lifetime_months", "alive_months", "alive_month_weights",
)
