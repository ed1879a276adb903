"""The churn training set: labels from the horizon after each month, features that never
see past their month, and a time split whose label windows never reach the next part."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from telcrm.analytics.churn_dataset import (
    FEATURES,
    LABEL,
    MIN_HISTORY,
    label_end,
    time_split,
    training_set,
)
from telcrm.analytics.months import month_index, shift_month
from tests.analytics.lakes import Lake, bills, subscriber, usage

FIRST, LAST = "2023-01", "2024-12"


def _series(msisdns: list[str], seed: int, months: int = 24) -> dict[str, tuple[list[float], list[int], list[int]]]:
    """Per line: monthly bill totals, voice minutes and minutes to competitors."""
    rng = np.random.default_rng(seed)
    return {
        m: ([float(v) for v in rng.uniform(10, 300, months).round(2)],
            [int(v) for v in rng.integers(0, 900, months)],
            [int(v) for v in rng.integers(0, 60, months)])
        for m in msisdns
    }


def _write(lake: Lake, series: dict, *, first: str = FIRST, cut: slice = slice(None)) -> Lake:
    for m, (spend, voice, competitor) in series.items():
        lake.add(bill_rows=bills(m, first, spend[cut]),
                 usage_rows=usage(m, first, voice[cut], competitor=competitor[cut]))
    return lake


def _history(lake: Lake, msisdns: list[str], seed: int) -> None:
    _write(lake, _series(msisdns, seed))


def _frame(lake: Lake, subs: list[dict], months: list[str], horizon: int = 3) -> pd.DataFrame:
    b, u, s = lake.tables(subs)
    table = training_set(b, u, s, months=months, horizon=horizon, last_month=LAST)
    return lake.con.to_pandas(table).set_index(["as_of", "msisdn"]).sort_index()


class TestLabels:
    def test_a_line_is_labelled_by_closures_within_the_horizon_after_its_month(self, tmp_path):
        lake = Lake(tmp_path)
        closed = {  # closing day -> label as of June 2024 with a 3-month horizon
            "13900000001": (dt.date(2024, 7, 1), True),  # first day after June
            "13900000002": (dt.date(2024, 9, 30), True),  # last day of the window
            "13900000003": (dt.date(2024, 10, 1), False),  # a day too late
            "13900000004": (dt.date(2024, 6, 30), None),  # closed in June: not open, no row
        }
        msisdns = [*closed, "13900000005", "13900000006"]
        _history(lake, msisdns, seed=1)
        subs = [subscriber(m, status="closed", status_reason="churn", status_date=day)
                for m, (day, _) in closed.items()]
        subs.append(subscriber("13900000005", status="suspended", status_date=dt.date(2024, 8, 1)))
        subs.append(subscriber("13900000006", activated_on=dt.date(2024, 7, 3)))  # not yet a line in June
        frame = _frame(lake, subs, ["2024-06"]).loc["2024-06"]
        expected = {m: label for m, (_, label) in closed.items() if label is not None}
        assert frame[LABEL].to_dict() == {**expected, "13900000005": False}
        assert list(frame.columns) == [*FEATURES, LABEL]

    def test_a_month_whose_window_passes_the_lake_is_refused(self, tmp_path):
        lake = Lake(tmp_path)
        _history(lake, ["13900000001"], seed=2)
        b, u, s = lake.tables([subscriber("13900000001")])
        with pytest.raises(ValueError, match="after the lake's last month"):
            training_set(b, u, s, months=["2024-10"], horizon=3, last_month=LAST)


class TestNoLeakage:
    MONTHS = ["2023-12", "2024-03", "2024-06"]

    def test_bills_and_usage_after_a_month_do_not_change_its_features(self, tmp_path):
        msisdns = [f"1390000{n:04d}" for n in range(30)]
        subs = [subscriber(m) for m in msisdns]
        series = _series(msisdns, seed=3)
        before = _write(Lake(tmp_path / "a"), series)
        # The same history to June 2024, and every later bill and usage record different.
        after = _write(Lake(tmp_path / "b"), series, cut=slice(0, 18))
        _write(after, _series(msisdns, seed=99, months=6), first="2024-07")
        a, b = _frame(before, subs, self.MONTHS), _frame(after, subs, self.MONTHS)
        pd.testing.assert_frame_equal(a, b)
        assert a.spend_mean_3m.notna().all() and len(a) == 90

    def test_a_change_within_the_month_does_change_its_features(self, tmp_path):
        """The comparison above can fail: the same change one month earlier shows."""
        msisdns = [f"1390000{n:04d}" for n in range(30)]
        subs = [subscriber(m) for m in msisdns]
        series = _series(msisdns, seed=3)
        before = _write(Lake(tmp_path / "a"), series)
        after = _write(Lake(tmp_path / "b"), series, cut=slice(0, 17))
        _write(after, _series(msisdns, seed=99, months=7), first="2024-06")
        a, b = _frame(before, subs, self.MONTHS), _frame(after, subs, self.MONTHS)
        pd.testing.assert_frame_equal(a.loc[["2023-12", "2024-03"]], b.loc[["2023-12", "2024-03"]])
        assert (a.loc["2024-06"].spend_mean_3m != b.loc["2024-06"].spend_mean_3m).all()


class TestTimeSplit:
    @pytest.mark.parametrize("horizon", [1, 2, 3, 4])
    @pytest.mark.parametrize("span", [25, 36])
    def test_label_windows_end_before_the_next_part_and_within_the_lake(self, horizon, span):
        last = shift_month(FIRST, span - 1)
        split = time_split(FIRST, last, horizon=horizon)
        fit_end = month_index(label_end(split.fit_months[-1], horizon))
        cal_end = month_index(label_end(split.calibration_months[-1], horizon))
        assert fit_end < month_index(split.calibration_months[0])
        assert cal_end < month_index(split.test_months[0])
        assert label_end(split.test_months[-1], horizon) == last
        assert month_index(split.fit_months[0]) - month_index(FIRST) == MIN_HISTORY - 1
        assert list(split.months) == sorted(split.months) and len(set(split.months)) == len(split.months)

    def test_the_newest_months_are_tested(self):
        split = time_split(FIRST, LAST, horizon=3)
        assert split.test_months == ("2024-08", "2024-09")
        assert split.calibration_months == ("2024-03", "2024-04")
        assert split.fit_months == ("2023-09", "2023-10", "2023-11")

    def test_a_lake_too_short_for_three_separated_parts_is_refused(self):
        with pytest.raises(ValueError, match="needs at least 22"):
            time_split(FIRST, shift_month(FIRST, 20), horizon=3)
        assert time_split(FIRST, shift_month(FIRST, 21), horizon=3).fit_months == ("2023-09",)
