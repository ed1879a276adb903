"""Significance tests for a campaign against its control group (issue 4, "Measuring
effect"): a two-proportion test for responses and retention, Welch's difference of means
for spend change.

Both take summary figures (counts, means, standard deviations), so a campaign of millions
is measured from aggregates the engine computed, never from rows shipped to Python. No
Django import: these run in a notebook or on an executor unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class Comparison:
    """Treatment against control: ``difference`` = treatment - control, its two-sided
    ``confidence`` interval, the test statistic and its two-sided p-value. NaN where a
    group is too small to say anything (no members; a variance from one value)."""

    treatment: float
    control: float
    n_treatment: int
    n_control: int
    difference: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    confidence: float

    @property
    def significant(self) -> bool:
        return not math.isnan(self.p_value) and self.p_value < 1 - self.confidence


def _check(confidence: float, *counts: int) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence}")
    if any(n < 0 for n in counts):
        raise ValueError("counts cannot be negative")


def two_proportions(
    successes_treatment: int, n_treatment: int, successes_control: int, n_control: int, *, confidence: float = 0.95
) -> Comparison:
    """The difference of two rates. The p-value is the pooled z-test (the same as
    Pearson's chi-square on the 2x2 table without continuity correction); the interval
    is the unpooled Wald interval, Newcombe's (1998) method 1, which is what the test's
    estimate and its standard error give without assuming no difference."""
    _check(confidence, successes_treatment, n_treatment, successes_control, n_control)
    if successes_treatment > n_treatment or successes_control > n_control:
        raise ValueError("successes cannot exceed the group's size")
    nan = math.nan
    if n_treatment == 0 or n_control == 0:
        p1 = successes_treatment / n_treatment if n_treatment else nan
        p2 = successes_control / n_control if n_control else nan
        return Comparison(p1, p2, n_treatment, n_control, p1 - p2, nan, nan, nan, nan, confidence)
    p1, p2 = successes_treatment / n_treatment, successes_control / n_control
    difference = p1 - p2
    z_crit = float(stats.norm.ppf(0.5 + confidence / 2))
    se = math.sqrt(p1 * (1 - p1) / n_treatment + p2 * (1 - p2) / n_control)
    pooled = (successes_treatment + successes_control) / (n_treatment + n_control)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_treatment + 1 / n_control))
    if se_pooled == 0:  # every member of both groups did the same: no evidence either way
        statistic, p_value = 0.0, 1.0
    else:
        statistic = difference / se_pooled
        p_value = float(2 * stats.norm.sf(abs(statistic)))
    return Comparison(
        p1, p2, n_treatment, n_control, difference, difference - z_crit * se, difference + z_crit * se,
        statistic, p_value, confidence,
    )


def difference_of_means(
    mean_treatment: float,
    sd_treatment: float,
    n_treatment: int,
    mean_control: float,
    sd_control: float,
    n_control: int,
    *,
    confidence: float = 0.95,
) -> Comparison:
    """Welch's t-test and interval for the difference of two means from their sample
    standard deviations (ddof 1): the groups of a campaign differ in size, and a treated
    group's spend may vary more than the control's, so no equal variance is assumed."""
    _check(confidence, n_treatment, n_control)
    nan = math.nan
    difference = mean_treatment - mean_control
    if n_treatment < 2 or n_control < 2:
        return Comparison(mean_treatment, mean_control, n_treatment, n_control, difference,
                          nan, nan, nan, nan, confidence)
    v1, v2 = sd_treatment**2 / n_treatment, sd_control**2 / n_control
    se = math.sqrt(v1 + v2)
    if se == 0:
        same = difference == 0
        return Comparison(mean_treatment, mean_control, n_treatment, n_control, difference, difference,
                          difference, 0.0 if same else math.copysign(math.inf, difference),
                          1.0 if same else 0.0, confidence)
    df = (v1 + v2) ** 2 / (v1**2 / (n_treatment - 1) + v2**2 / (n_control - 1))
    statistic = difference / se
    p_value = float(2 * stats.t.sf(abs(statistic), df))
    t_crit = float(stats.t.ppf(0.5 + confidence / 2, df))
    return Comparison(
        mean_treatment, mean_control, n_treatment, n_control, difference, difference - t_crit * se,
        difference + t_crit * se, statistic, p_value, confidence,
    )
