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

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special


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


def log_likelihood(alpha: float, beta: float, survivors: Sequence[int]) -> float:
    counts = np.asarray(survivors, dtype=float)
    periods = len(counts) - 1
    lost = counts[:-1] - counts[1:]
    p = churn_probabilities(alpha, beta, periods)
    s_last = survival(alpha, beta, periods)[-1]
    return float(np.sum(lost * np.log(p)) + counts[-1] * np.log(s_last))


def hyp2f1_unit_a(b: np.ndarray, c: np.ndarray, z: float) -> np.ndarray:
    """Gauss's 2F1(1, b; c; z) for 0 <= z < 1 and c >= b > 0, summed as its power series.

    The terms (b)_k / (c)_k z^k are positive and shrink at least as fast as z^k, so the
    partial sums converge to machine precision in log(eps)/log(z) terms. SciPy's general
    ``hyp2f1`` returns NaN once b and c reach the hundreds, which cohorts with low churn
    (a large fitted beta) produce.
    """
    b = np.atleast_1d(np.asarray(b, dtype=float))[:, None]
    c = np.atleast_1d(np.asarray(c, dtype=float))[:, None]
    terms = int(np.ceil(np.log(1e-18) / np.log(z))) + 1
    k = np.arange(terms, dtype=float)[None, :]
    ratios = (b + k) / (c + k) * z
    partial = np.concatenate([np.ones((b.shape[0], 1)), np.cumprod(ratios, axis=1)[:, :-1]], axis=1)
    return partial.sum(axis=1)


def derl(alpha: float, beta: float, n: int | np.ndarray, discount: float) -> np.ndarray:
    """Discounted expected residual lifetime of a customer in its n-th period (n >= 1)."""
    n_arr = np.asarray(n, dtype=float)
    if np.any(n_arr < 1):
        raise ValueError("n counts periods from 1 (a customer in its first period)")
    if discount <= 0:
        raise ValueError("the discount rate must be positive for the sum to converge")
    flat = np.atleast_1d(n_arr)
    ratio = np.exp(special.betaln(alpha, beta + flat) - special.betaln(alpha, beta + flat - 1))
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

        def negative_ll(log_params: np.ndarray) -> float:
            a, b = np.exp(log_params)
            return -log_likelihood(a, b, counts)

        result = optimize.minimize(
            negative_ll, np.log(self.initial), method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000},
        )
        if not result.success:
            raise RuntimeError(f"sBG fit did not converge: {result.message}")
        self.alpha_, self.beta_ = (float(v) for v in np.exp(result.x))
        self.log_likelihood_ = float(-result.fun)
        self.periods_ = len(counts) - 1
        self.cohort_size_ = float(counts[0])
        return self

    def survival_function(self, periods: int) -> np.ndarray:
        return survival(self.alpha_, self.beta_, periods)

    def derl(self, n: int | np.ndarray, discount: float) -> np.ndarray:
        return derl(self.alpha_, self.beta_, n, discount)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"value": [self.alpha_, self.beta_, self.log_likelihood_, self.periods_]},
            index=pd.Index(["alpha", "beta", "log_likelihood", "periods"], name="parameter"),
        )
