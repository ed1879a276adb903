"""The churn model's training set, rebuilt from history without leaking the future
(issue 3: "trained on history with a time split that leaks nothing from the future").

A row is a line that was open at the end of an as-of month, with the features it had then
(``features.subscriber_features``, which reads nothing after as_of) and a label: the line
closed (流失: status ``closed``, dated) within the ``horizon`` months after as_of. The
split is by time, never at random: the model is fitted on early months, calibrated on a
later slice, and measured on the latest months whose outcomes are known, with every label
window of the earlier parts ending before the next part begins.

Model features are the ones a past month can be rebuilt for from the lake and one
snapshot of the subscriptions: spend, usage and competitor traffic come from the lake's
dated months; tenure and contract distance from dates; plan type, brand and region do not
change. The snapshot's counts (complaints, termination requests, care contacts over the
last 3 months), its arrears and its suspension flag describe the export day only: used
for a past month they would describe the line's future (a line that closed since has lost
its suspension, its late complaints would count). They stay out of the model and remain
with the warning rules, which read them for the current month (domain.md section 3).

The counts of billed months in the last 12 stay out too: near the lake's start a
training month has fewer than 12 months behind it, so its lines count fewer than any
line scored later (the drift check flagged both counts at PSI 10 on the demo lake);
tenure tells how new a line is without that artefact.

No execution here: each function returns an Ibis expression (architecture.md, 8).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis

from telcrm.analytics import features
from telcrm.analytics.months import month_end, month_index, month_label, shift_month
from telcrm.analytics.schemas import BILL_CATEGORIES, USAGE_MEASURES

LABEL = "churned"
DEFAULT_HORIZON = 3
# The features compare the last 3 months with the 6 before: an as-of month needs 9 months
# of lake behind it, or every line would look new and its baseline empty.
MIN_HISTORY = 9

CATEGORICAL = ("payment_type", "brand", "region")
NUMERIC = (
    "tenure_months",
    "months_to_contract_end",
    "bill_months_prev6",
    "spend_mean_3m",
    "spend_mean_6m",
    "spend_mean_12m",
    "spend_mean_prev6",
    "spend_slope_6m",
    "spend_slope_12m",
    "spend_ratio_3v6",
    "spend_volatility_12m",
    *(f"{name}_mean_3m" for name in BILL_CATEGORIES),
    *(f"{name}_{stat}" for name in USAGE_MEASURES for stat in ("mean_3m", "mean_prev6", "ratio_3v6")),
    "competitor_share_3m",
    "competitor_share_prev6",
    "competitor_share_change",
)
FEATURES = (*CATEGORICAL, *NUMERIC)
# Snapshot columns a past month cannot be rebuilt for (see the module docstring).
SNAPSHOT_ONLY = (
    "arrears",
    "complaints_3m",
    "complaints_resolved_3m",
    "termination_requests_3m",
    "care_contacts_3m",
    "suspended",
    "status_date",
    "status_reason",
)


def label_end(as_of: str, horizon: int) -> str:
    """The last month of the label window of ``as_of``: a line counts as churned if it
    closed in as_of + 1 ... as_of + horizon."""
    return shift_month(as_of, horizon)


@dataclass(frozen=True)
class TimeSplit:
    """As-of months of the three parts, oldest first; each part's label windows end before
    the next part's first as-of month."""

    horizon: int
    fit_months: tuple[str, ...]
    calibration_months: tuple[str, ...]
    test_months: tuple[str, ...]

    @property
    def months(self) -> tuple[str, ...]:
        return (*self.fit_months, *self.calibration_months, *self.test_months)

    def as_dict(self) -> dict[str, object]:
        return {
            "horizon": self.horizon,
            "fit": list(self.fit_months),
            "calibration": list(self.calibration_months),
            "test": list(self.test_months),
            "labels_end": label_end(self.test_months[-1], self.horizon),
        }


def _months(first: int, last: int) -> tuple[str, ...]:
    return tuple(month_label(i) for i in range(first, last + 1))


def time_split(
    first_month: str,
    last_month: str,
    *,
    horizon: int = DEFAULT_HORIZON,
    test_months: int = 2,
    calibration_months: int = 2,
    min_history: int = MIN_HISTORY,
) -> TimeSplit:
    """Split the as-of months a lake spanning ``first_month`` to ``last_month`` can label.

    The newest as-of month is ``last_month - horizon`` (its label window must be complete).
    Test months are the newest ones. Calibration months end ``horizon + 1`` months before
    the first test month, so their label windows (as-of + 1 ... as-of + horizon) end before
    the test period starts; fit months end the same distance before the calibration
    months. Fit months start once ``min_history`` months of lake lie behind them.
    """
    if horizon < 1 or test_months < 1 or calibration_months < 1:
        raise ValueError("horizon, test months and calibration months must be at least 1")
    first, last = month_index(first_month), month_index(last_month)
    test_end = last - horizon
    test_start = test_end - test_months + 1
    cal_end = test_start - horizon - 1
    cal_start = cal_end - calibration_months + 1
    fit_end = cal_start - horizon - 1
    fit_start = first + min_history - 1
    if fit_end < fit_start:
        needed = min_history + calibration_months + test_months + 3 * horizon
        raise ValueError(
            f"the lake spans {last - first + 1} months ({first_month} to {last_month}); a time split "
            f"with a {horizon}-month horizon needs at least {needed}"
        )
    return TimeSplit(
        horizon=horizon,
        fit_months=_months(fit_start, fit_end),
        calibration_months=_months(cal_start, cal_end),
        test_months=_months(test_start, test_end),
    )


def churn_labels(subscribers: ibis.Table, *, as_of: str, horizon: int) -> ibis.Table:
    """``msisdn`` and the label of every line in the snapshot: closed after the end of
    ``as_of`` and no later than the end of its label window."""
    start, end = month_end(as_of), month_end(label_end(as_of, horizon))
    closed = (subscribers.status == "closed") & (subscribers.status_date > start) & (subscribers.status_date <= end)
    return subscribers.select("msisdn", **{LABEL: closed.fill_null(False)})


def labelled_month(
    bills: ibis.Table, usage: ibis.Table, subscribers: ibis.Table, *, as_of: str, horizon: int = DEFAULT_HORIZON
) -> ibis.Table:
    """The lines open at the end of ``as_of`` with their features then and their label."""
    rows = features.subscriber_features(bills, usage, subscribers, as_of=as_of)
    rows = rows.filter(~rows.closed)
    joined = rows.inner_join(churn_labels(subscribers, as_of=as_of, horizon=horizon), "msisdn")
    return joined.select("msisdn", *FEATURES, as_of=ibis.literal(as_of), **{LABEL: joined[LABEL]})


def training_set(
    bills: ibis.Table,
    usage: ibis.Table,
    subscribers: ibis.Table,
    *,
    months: tuple[str, ...] | list[str],
    horizon: int = DEFAULT_HORIZON,
    last_month: str,
) -> ibis.Table:
    """The labelled months stacked; refuses a month whose label window passes
    ``last_month`` (the lake's newest month), since its label would be incomplete."""
    if not months:
        raise ValueError("no as-of months")
    late = [m for m in months if month_index(label_end(m, horizon)) > month_index(last_month)]
    if late:
        raise ValueError(f"label windows of {late} end after the lake's last month {last_month}")
    parts = [labelled_month(bills, usage, subscribers, as_of=m, horizon=horizon) for m in months]
    return parts[0] if len(parts) == 1 else ibis.union(*parts)
