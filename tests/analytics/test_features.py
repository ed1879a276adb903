"""Features against closed forms and against NumPy computed here, line by line."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from telcrm.analytics import features
from telcrm.analytics.months import shift_month

from .lakes import Lake, bills, subscriber, usage

AS_OF = "2024-12"
FIRST = "2024-01"  # 12 months ending at AS_OF


def compute(tmp_path, bill_rows, usage_rows, subscribers, as_of=AS_OF) -> pd.DataFrame:
    lake = Lake(tmp_path).add(bill_rows=bill_rows, usage_rows=usage_rows)
    b, u, s = lake.tables(subscribers)
    frame = lake.con.to_pandas(features.subscriber_features(b, u, s, as_of=as_of))
    return frame.set_index("msisdn").sort_index()


def one_line(tmp_path, totals, *, voice=None, as_of=AS_OF, first=FIRST, **subscriber_fields) -> pd.Series:
    voice = voice or [100] * 12
    frame = compute(
        tmp_path, bills("1", first, totals), usage("1", first, voice), [subscriber("1", **subscriber_fields)], as_of
    )
    return frame.loc["1"]


class TestSpendLevel:
    def test_means_over_3_6_and_12_months(self, tmp_path):
        totals = [float(v) for v in (12, 40, 7, 33, 18, 90, 25, 61, 5, 77, 14, 48)]
        row = one_line(tmp_path, totals)
        assert row.spend_mean_3m == pytest.approx(np.mean(totals[-3:]), abs=1e-9)
        assert row.spend_mean_6m == pytest.approx(np.mean(totals[-6:]), abs=1e-9)
        assert row.spend_mean_12m == pytest.approx(np.mean(totals), abs=1e-9)
        assert row.spend_mean_prev6 == pytest.approx(np.mean(totals[-9:-3]), abs=1e-9)
        assert row.bill_months_12m == 12

    def test_months_without_a_bill_are_left_out_of_means(self, tmp_path):
        totals = [None, None, None, None, None, None, 30.0, None, 50.0, 70.0, None, 90.0]
        row = one_line(tmp_path, totals)
        assert row.spend_mean_3m == pytest.approx(80.0)
        assert row.spend_mean_12m == pytest.approx(60.0)
        assert row.bill_months_12m == 4
        assert row.bill_months_prev6 == 2


class TestSpendTrend:
    @pytest.mark.parametrize("k", [7.5, -3.25, 0.0])
    def test_linear_spend_has_slope_exactly_k(self, tmp_path, k):
        totals = [200.0 + k * i for i in range(12)]
        row = one_line(tmp_path, totals)
        assert row.spend_slope_6m == pytest.approx(k, abs=1e-9)
        assert row.spend_slope_12m == pytest.approx(k, abs=1e-9)

    def test_slope_with_gaps_matches_least_squares(self, tmp_path):
        totals = [10.0, None, 35.0, 20.0, None, 41.0, 38.0, None, 60.0, 44.0, 71.0, None]
        row = one_line(tmp_path, totals)
        xs = np.array([i for i, v in enumerate(totals) if v is not None], float)
        ys = np.array([v for v in totals if v is not None])
        assert row.spend_slope_12m == pytest.approx(np.polyfit(xs, ys, 1)[0], abs=1e-9)
        last6 = xs >= 6
        assert row.spend_slope_6m == pytest.approx(np.polyfit(xs[last6], ys[last6], 1)[0], abs=1e-9)

    def test_one_bill_has_no_slope(self, tmp_path):
        row = one_line(tmp_path, [None] * 11 + [50.0])
        assert pd.isna(row.spend_slope_6m) and pd.isna(row.spend_slope_12m)

    def test_ratio_of_last_3_to_previous_6(self, tmp_path):
        row = one_line(tmp_path, [999.0] * 3 + [100.0] * 6 + [40.0] * 3)
        assert row.spend_ratio_3v6 == pytest.approx(0.4)

    def test_zero_baseline_gives_no_ratio(self, tmp_path):
        row = one_line(tmp_path, [0.0] * 9 + [40.0] * 3)
        assert pd.isna(row.spend_ratio_3v6)


class TestVolatility:
    def test_constant_spend_has_zero_volatility(self, tmp_path):
        assert one_line(tmp_path, [58.0] * 12).spend_volatility_12m == pytest.approx(0.0, abs=1e-12)

    def test_sample_std_over_mean(self, tmp_path):
        totals = [20.0, 80.0, 50.0, 65.0, 35.0, 50.0, 95.0, 5.0, 40.0, 60.0, 45.0, 55.0]
        expected = np.std(totals, ddof=1) / np.mean(totals)
        assert one_line(tmp_path, totals).spend_volatility_12m == pytest.approx(expected, abs=1e-12)


class TestCategories:
    def test_three_month_mean_per_category(self, tmp_path):
        cats = {
            "plan_fee": [58.0] * 12,
            "voice": [float(i) for i in range(12)],
            "data": [2.5 * i for i in range(12)],
            "sms": [1.0] * 12,
            "vas": [0.0] * 9 + [9.0, 0.0, 0.0],
            "roaming": [0.0] * 11 + [120.0],
        }
        totals = [sum(c[i] for c in cats.values()) for i in range(12)]
        frame = compute(tmp_path, bills("1", FIRST, totals, **cats), usage("1", FIRST, [1] * 12), [subscriber("1")])
        for name, values in cats.items():
            assert frame.loc["1", f"{name}_mean_3m"] == pytest.approx(np.mean(values[-3:]), abs=1e-9), name


class TestUsage:
    def test_usage_ratios_last_3_against_previous_6(self, tmp_path):
        voice = [0] * 3 + [300] * 6 + [120] * 3
        data = [0] * 3 + [1000] * 6 + [1500] * 3
        sms = [0] * 3 + [10, 20, 30, 40, 50, 60] + [7, 8, 9]
        frame = compute(
            tmp_path, bills("1", FIRST, [50.0] * 12), usage("1", FIRST, voice, data=data, sms=sms), [subscriber("1")]
        )
        row = frame.loc["1"]
        assert row.voice_minutes_ratio_3v6 == pytest.approx(0.4)
        assert row.data_mb_ratio_3v6 == pytest.approx(1.5)
        assert row.sms_count_ratio_3v6 == pytest.approx(8 / 35)

    def test_competitor_share_and_its_change_in_points(self, tmp_path):
        voice = [200] * 12
        competitor = [0] * 3 + [20] * 6 + [90, 70, 80]
        frame = compute(
            tmp_path, bills("1", FIRST, [50.0] * 12), usage("1", FIRST, voice, competitor=competitor),
            [subscriber("1")],
        )
        row = frame.loc["1"]
        assert row.competitor_share_3m == pytest.approx(240 / 600)
        assert row.competitor_share_prev6 == pytest.approx(0.1)
        assert row.competitor_share_change == pytest.approx(0.3)


class TestAttributes:
    def test_tenure_and_contract_end_counted_from_the_month_end(self, tmp_path):
        row = one_line(
            tmp_path, [50.0] * 12, activated_on=dt.date(2022, 3, 31), contract_end=dt.date(2025, 2, 14)
        )
        assert row.tenure_months == 33
        assert row.months_to_contract_end == 2
        assert row.days_to_contract_end == (dt.date(2025, 2, 14) - dt.date(2024, 12, 31)).days

    def test_suspension_counts_only_once_in_force(self, tmp_path):
        rows = [
            subscriber("1", status="suspended", status_date=dt.date(2024, 12, 20), arrears=88.5),
            subscriber("2", status="suspended", status_date=dt.date(2025, 1, 2)),
        ]
        frame = compute(
            tmp_path, bills("1", FIRST, [50.0] * 12) + bills("2", FIRST, [50.0] * 12),
            usage("1", FIRST, [1] * 12), rows,
        )
        assert bool(frame.loc["1", "suspended"]) is True
        assert frame.loc["1", "arrears"] == pytest.approx(88.5)
        assert bool(frame.loc["2", "suspended"]) is False

    def test_lines_activated_after_as_of_are_left_out_and_idle_lines_kept(self, tmp_path):
        rows = [subscriber("1"), subscriber("2", activated_on=dt.date(2025, 1, 1)), subscriber("3")]
        frame = compute(tmp_path, bills("1", FIRST, [50.0] * 12), usage("1", FIRST, [1] * 12), rows)
        assert list(frame.index) == ["1", "3"]
        assert frame.loc["3", "bill_months_12m"] == 0
        assert pd.isna(frame.loc["3", "spend_mean_3m"])


def _reference(totals: dict[int, float], voice: dict[int, int], competitor: dict[int, int]) -> dict:
    """Per-line reference from plain NumPy; keys are months back from as_of (0 = as_of)."""

    def mean(values, months):
        chosen = [v for b, v in values.items() if b in months]
        return np.mean(chosen) if chosen else np.nan

    def slope(months):
        pts = sorted((11 - b, v) for b, v in totals.items() if b in months)
        return np.polyfit(*zip(*pts, strict=True), 1)[0] if len(pts) >= 2 else np.nan

    last3, prev6 = range(3), range(3, 9)
    spend12 = [totals[b] for b in totals]
    share3 = sum(competitor[b] for b in last3 if b in voice) / sum(voice[b] for b in last3 if b in voice)
    share6 = sum(competitor[b] for b in prev6 if b in voice) / sum(voice[b] for b in prev6 if b in voice)
    return {
        "spend_mean_3m": mean(totals, last3),
        "spend_mean_6m": mean(totals, range(6)),
        "spend_mean_12m": np.mean(spend12),
        "spend_ratio_3v6": mean(totals, last3) / mean(totals, prev6),
        "spend_slope_6m": slope(range(6)),
        "spend_slope_12m": slope(range(12)),
        "spend_volatility_12m": np.std(spend12, ddof=1) / np.mean(spend12),
        "voice_minutes_ratio_3v6": mean(voice, last3) / mean(voice, prev6),
        "competitor_share_change": share3 - share6,
    }


class TestRandomLinesAgainstNumpy:
    def test_every_line_matches_its_reference(self, tmp_path):
        rng = np.random.default_rng(7)
        bill_rows, usage_rows, subs, expected = [], [], [], {}
        first = shift_month(AS_OF, -17)  # 18 months, six of them before the window
        for n in range(40):
            msisdn = f"138{n:08d}"
            level = rng.uniform(20, 400)
            totals = [round(level * rng.uniform(0.3, 1.7), 2) for _ in range(18)]
            for i in rng.choice(18, size=rng.integers(0, 5), replace=False):
                if i not in (15, 16, 17, 6, 9):  # keep 3+ bills in each window for the reference
                    totals[i] = None
            voice = [int(v) for v in rng.integers(50, 900, 18)]
            competitor = [int(v * rng.uniform(0, 0.6)) for v in voice]
            bill_rows += bills(msisdn, first, totals)
            usage_rows += usage(msisdn, first, voice, competitor=competitor)
            subs.append(subscriber(msisdn))
            back = {17 - i: i for i in range(18) if 17 - i < 12}
            expected[msisdn] = _reference(
                {b: totals[i] for b, i in back.items() if totals[i] is not None},
                {b: voice[i] for b, i in back.items()},
                {b: competitor[i] for b, i in back.items()},
            )
        frame = compute(tmp_path, bill_rows, usage_rows, subs)
        for msisdn, reference in expected.items():
            for name, value in reference.items():
                assert frame.loc[msisdn, name] == pytest.approx(value, rel=1e-9, abs=1e-9), (msisdn, name)
