"""The latent monthly churn hazard of a line, from what the operator can observe.

domain.md section 3 names the warning signals: fluctuation (decline) of spend, crisis
information from other channels (complaints), traffic shifting to competitors (calls to
other networks), and termination orders. Add what every operator knows: new lines leave
more often, and lines leave when their contract ends. The hazard is a log-linear function
of exactly these, using only the previous month's facts, so a churn model trained on the
files can learn it and be checked against ``truth/churn.parquet``, which records it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_HAZARD = 0.9


@dataclass(frozen=True)
class HazardCoefficients:
    """Log-hazard coefficients; the intercept gives about 1-2% churn a month overall."""

    intercept: float = -5.3
    spend_decline: float = 2.2  # per unit of relative decline (0..1) against the usual spend
    complaints: float = 0.8  # per recent complaint (decayed count, capped at 3)
    competitor_share: float = 3.5  # per unit of share of minutes to other networks above 35%
    new_line: float = 0.9  # tenure under 6 months
    young_line: float = 0.45  # tenure 6-12 months
    contract_ended: float = 1.3  # 0-3 months after the contract end
    under_contract: float = -0.9  # before the contract end (early exit is penalised)
    termination_request: float = 2.3  # per recent request (decayed), less when retained
    prepaid: float = 0.35
    enterprise_line: float = -0.6


COEFFICIENTS = HazardCoefficients()


@dataclass(frozen=True)
class HazardInputs:
    """The previous month's observable facts of each line (arrays of one length)."""

    spend_decline: np.ndarray
    complaints: np.ndarray
    competitor_share: np.ndarray
    tenure_months: np.ndarray
    months_after_contract_end: np.ndarray  # NaN for lines without a contract
    termination_requests: np.ndarray
    prepaid: np.ndarray
    enterprise_line: np.ndarray
    frailty: np.ndarray  # the line's unobserved propensity (log scale)


def monthly_hazard(x: HazardInputs, c: HazardCoefficients = COEFFICIENTS) -> np.ndarray:
    """Probability that the line closes this month, capped at ``MAX_HAZARD``."""
    after = x.months_after_contract_end
    with np.errstate(invalid="ignore"):
        ended = (after >= 0) & (after < 3)
        locked = after < 0
    log_h = (
        c.intercept
        + c.spend_decline * np.clip(x.spend_decline, 0.0, 1.0)
        + c.complaints * np.minimum(x.complaints, 3.0)
        + c.competitor_share * (x.competitor_share - 0.35)
        + c.new_line * (x.tenure_months < 6)
        + c.young_line * ((x.tenure_months >= 6) & (x.tenure_months < 12))
        + c.contract_ended * ended
        + c.under_contract * locked
        + c.termination_request * x.termination_requests
        + c.prepaid * x.prepaid
        + c.enterprise_line * x.enterprise_line
        + x.frailty
    )
    return np.minimum(np.exp(log_h), MAX_HAZARD)
