"""The shifted-beta-geometric (sBG) model of contract renewal and the discounted expected
residual lifetime (DERL) of a customer.

Fader, P. S. and Hardie, B. G. S. (2007), "How to Project Customer Retention", Journal of
Interactive Marketing 21(1): each customer renews each period with a fixed probability
1 - theta, and theta varies across customers as Beta(alpha, beta). Then

    P(T = 1) = alpha / (alpha + beta)
    P(T = t) = (beta + t - 2) / (alpha + beta + t - 1) * P(T = t - 1)
    S(t)     = S(t - 1) - P(T = t),  S(0) = 1

and the parameters are fitted by maximum likelihood to the number of customers still
active at the end of each period of one cohort.

Fader, P. S. and Hardie, B. G. S. (2010), "Customer-Base Valuation in a Contractual
Setting: The Perils of Ignoring Heterogeneity", Marketing Science 29(1): for a customer
who has made n - 1 renewals (is in its n-th period),

    DERL(d | alpha, beta, n) = B(alpha, beta + n) / B(alpha, beta + n - 1)
                               * 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d))

the expected number of further payments discounted at rate d per period, counting the
payment at the start of the next period as the first. Times the customer's margin per
period it is the residual lifetime value.

Pure NumPy/SciPy, no Django: it runs in a notebook or on a Spark executor unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize


def churn_probabilities(alpha: float, beta: float, periods: int) -> np.ndarray:
    """P(T = t) for t = 1..periods: the share of a cohort lost in each period."""
    t = np.arange(2, periods + 1)
    ratios = (beta + t - 2) / (alpha + beta + t - 1)
    return alpha / (alpha + beta) * np.concatenate(([1.0], np.cumprod(ratios)))


def survival(alpha: float, beta: float, periods: int) -> np.ndarray:
    """S(t) for t = 0..periods: the share of a cohort still active after t periods."""
    return np.concatenate(([1.0], 1.0 - np.cumsum(churn_probabilities(alpha, beta, periods))))


def retention_rates(alpha: float, beta: float, periods: int) -> np.ndarray:
    """r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1), t = 1..periods.

    Rises with t: the sorting effect of heterogeneity, not a change in any one customer.
    """
    t = np.arange(1, periods + 1)
    return (beta + t - 1) / (alpha + beta + t - 1)


def log_likelihood(alpha: float, beta: float, survivors: ArrayLike) -> float:
    counts = np.asarray(survivors, dtype=float)
    periods = len(counts) - 1
    lost = counts[:-1] - counts[1:]
    p = churn_probabilities(alpha, beta, periods)
    s_last = survival(alpha, beta, periods)[-1]
    return float(np.sum(lost * np.log(p)) + counts[-1] * np.log(s_last))


def life_table_log_likelihood(
    alpha: float, beta: float, period: ArrayLike, at_risk: ArrayLike, churned: ArrayLike
) -> float:
    """Log-likelihood of a life table: ``at_risk[i]`` customers entered period
    ``period[i]`` (had renewed ``period[i] - 1`` times) and ``churned[i]`` of them left at
    its end.

    A customer's probability of living from period e to period t is the product of the
    sBG's retention rates r(e+1)...r(t), so the likelihood splits into one binomial per
    period with success probability r(t). That makes the same fit exact for cohorts seen
    from their start (the survivor counts of Fader and Hardie 2007: at_risk = N(t-1),
    churned = N(t-1) - N(t), the same log-likelihood) and for customers first seen in
    mid-life (left truncation: an operator's database holds no lines closed before it was
    set up) or not yet at the end of a period (right censoring).
    """
    t = np.asarray(period, dtype=float)
    n = np.asarray(at_risk, dtype=float)
    d = np.asarray(churned, dtype=float)
    keep = n > 0
    t, n, d = t[keep], n[keep], d[keep]
    log_retained = np.log(beta + t - 1) - np.log(alpha + beta + t - 1)
    log_lost = np.log(alpha) - np.log(alpha + beta + t - 1)
    return float(np.sum((n - d) * log_retained + d * log_lost))


PARAMETER_BOUNDS = (1e-4, 1e6)
"""Where the fit stops: data with no sign of heterogeneity (retention flat or falling with
tenure) push alpha and beta to infinity at a fixed ratio (every customer alike), and a
period in which nearly everyone leaves pushes beta to zero; at these bounds the model is
already indistinguishable from those limits, and every figure stays finite."""


def _maximise(negative_ll: Callable[[float, float], float], initial: tuple[float, float]) -> tuple[float, float, float]:
    """Nelder-Mead on log(alpha), log(beta), clipped to ``PARAMETER_BOUNDS``."""
    low, high = np.log(PARAMETER_BOUNDS)

    def clipped(log_params: np.ndarray) -> float:
        return negative_ll(*np.exp(np.clip(log_params, low, high)))

    result = optimize.minimize(
        clipped, np.log(initial), method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000},
    )
    if not result.success:
        raise RuntimeError(f"sBG fit did not converge: {result.message}")
    alpha, beta = (float(v) for v in np.exp(np.clip(result.x, low, high)))
    return alpha, beta, float(-result.fun)


def hyp2f1_unit_a(b: np.ndarray, c: np.ndarray, z: float) -> np.ndarray:
    """Gauss's 2F1(1, b; c; z) for 0 <= z < 1 and c >= b > 0, summed as its power series.

    The terms (b)_k / (c)_k z^k are positive and shrink at least as fast as z^k, so the
    partial sums converge to machine precision in log(eps)/log(z) terms. SciPy's general
    ``hyp2f1`` returns NaN once b and c reach the hundreds, which cohorts with low churn
    (a large fitted beta) produce.
    """
    b = np.atleast_1d(np.asarray(b, dtype=float))
    c = np.atleast_1d(np.asarray(c, dtype=float))
    terms = int(np.ceil(np.log(1e-18) / np.log(z))) + 1
    k = np.arange(terms, dtype=float)[None, :]
    # A monthly discount rate needs thousands of terms: sum a few hundred rows at a time.
    rows = max(1, 2_000_000 // terms)
    sums = []
    for start in range(0, len(b), rows):
        ratios = (b[start:start + rows, None] + k) / (c[start:start + rows, None] + k) * z
        partial = np.concatenate([np.ones((ratios.shape[0], 1)), np.cumprod(ratios, axis=1)[:, :-1]], axis=1)
        sums.append(partial.sum(axis=1))
    return np.concatenate(sums) if sums else np.zeros(0)


def derl(alpha: float, beta: float, n: ArrayLike, discount: float) -> np.ndarray:
    """Discounted expected residual lifetime of a customer in its n-th period (n >= 1)."""
    n_arr = np.asarray(n, dtype=float)
    if np.any(n_arr < 1):
        raise ValueError("n counts periods from 1 (a customer in its first period)")
    if discount <= 0:
        raise ValueError("the discount rate must be positive for the sum to converge")
    flat = np.atleast_1d(n_arr)
    ratio = (beta + flat - 1) / (alpha + beta + flat - 1)  # B(a, b + n) / B(a, b + n - 1)
    value = ratio * hyp2f1_unit_a(beta + flat, alpha + beta + flat, 1.0 / (1.0 + discount))
    return value.reshape(n_arr.shape)


class ShiftedBetaGeometricFitter:
    """Maximum-likelihood sBG fit to one cohort's survivor counts.

    ``survivors[0]`` is the cohort size, ``survivors[t]`` the number still active at the
    end of period t. Learned: ``alpha_``, ``beta_``, ``log_likelihood_``, ``periods_``.
    """

    def __init__(self, *, initial: tuple[float, float] = (1.0, 1.0)) -> None:
        self.initial = initial

    def fit(self, survivors: Sequence[int]) -> ShiftedBetaGeometricFitter:
        counts = np.asarray(survivors, dtype=float)
        if counts.ndim != 1 or len(counts) < 3:
            raise ValueError("need the cohort size and at least two periods of survivors")
        if np.any(np.diff(counts) > 0) or counts[-1] < 0:
            raise ValueError("survivor counts must not increase and must be non-negative")
        if counts[-1] == counts[0]:
            raise ValueError("nobody churned: the churn distribution cannot be estimated")

        self.alpha_, self.beta_, self.log_likelihood_ = _maximise(
            lambda a, b: -log_likelihood(a, b, counts), self.initial
        )
        self.periods_ = len(counts) - 1
        self.cohort_size_ = float(counts[0])
        return self

    def fit_life_table(
        self, period: ArrayLike, at_risk: ArrayLike, churned: ArrayLike
    ) -> ShiftedBetaGeometricFitter:
        """Fit to a life table (see ``life_table_log_likelihood``): customers entering
        each period and those lost at its end, possibly first seen in mid-life."""
        t, n, d = (np.asarray(v, dtype=float) for v in (period, at_risk, churned))
        if not (t.shape == n.shape == d.shape) or t.ndim != 1 or len(t) == 0:
            raise ValueError("period, at_risk and churned must be equally long, non-empty lists")
        if np.any(t < 1) or np.any(n < 0) or np.any(d < 0) or np.any(d > n):
            raise ValueError("periods count from 1 and 0 <= churned <= at_risk")
        if d.sum() == 0:
            raise ValueError("nobody churned: the churn distribution cannot be estimated")
        if d.sum() == n.sum():
            raise ValueError("nobody renewed: the churn distribution cannot be estimated")
        self.alpha_, self.beta_, self.log_likelihood_ = _maximise(
            lambda a, b: -life_table_log_likelihood(a, b, t, n, d), self.initial
        )
        self.periods_ = int(t.max())
        self.cohort_size_ = float(n[t == t.min()].sum())
        return self

    def survival_function(self, periods: int) -> np.ndarray:
        return survival(self.alpha_, self.beta_, periods)

    def derl(self, n: ArrayLike, discount: float) -> np.ndarray:
        return derl(self.alpha_, self.beta_, n, discount)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"value": [self.alpha_, self.beta_, self.log_likelihood_, self.periods_]},
            index=pd.Index(["alpha", "beta", "log_likelihood", "periods"], name="parameter"),
        )
