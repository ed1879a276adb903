"""Value segments and enterprise grades on constructed populations."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from telcrm.analytics import backends
from telcrm.analytics.tiers import (
    GradeRules,
    SegmentRules,
    enterprise_grades,
    enterprise_revenue,
    individual_segments,
)


@pytest.fixture(scope="module")
def con():
    return backends.connect(threads=1)


# msisdn: (6-month mean spend, tenure in months, last 3 / previous 6 spend ratio)
LINES = {
    "top_loyal": (280.0, 40, 1.0),
    "top_young": (270.0, 6, 1.0),
    "big_spender": (350.0, 24, 1.0),
    "young_above_median": (120.0, 3, 1.0),
    "old_rising": (30.0, 60, 1.3),
    "old_flat": (40.0, 60, 1.0),
    "old_no_ratio": (50.0, 60, None),
    "young_below_median": (20.0, 2, 1.0),
    "no_bills": (None, 30, None),
    "mid_old": (90.0, 30, 0.9),
    "mid_old2": (100.0, 30, 1.1),
}


def _lines() -> ibis.Table:
    frame = pd.DataFrame(
        [
            {"msisdn": m, "customer_no": f"C-{m}", "spend_mean_6m": s, "tenure_months": t, "spend_ratio_3v6": r}
            for m, (s, t, r) in LINES.items()
        ]
    )
    return ibis.memtable(frame)


def _segments(con, rules=None) -> pd.DataFrame:
    return con.to_pandas(individual_segments(_lines(), rules)).set_index("msisdn")


class TestIndividualSegments:
    def test_percentile_is_the_rank_within_the_population(self, con):
        spend = pd.Series({m: s or 0.0 for m, (s, _, _) in LINES.items()})
        expected = (spend.rank(method="min") - 1) / (len(spend) - 1)
        result = _segments(con)
        for msisdn, value in expected.items():
            assert result.loc[msisdn, "spend_percentile"] == pytest.approx(value), msisdn

    def test_segments_by_default_rules(self, con):
        result = _segments(con).segment.to_dict()
        assert result == {
            "big_spender": "vip",  # top 10% (rank 10 of 11) and above 300 yuan
            "top_loyal": "vip",  # 280: 90th percentile exactly, 40 months
            "top_young": "growth",  # high spend, too young for VIP
            "young_above_median": "growth",
            "old_rising": "growth",  # spend up 30% on its baseline
            "old_flat": "mass",
            "old_no_ratio": "mass",
            "young_below_median": "mass",
            "no_bills": "mass",
            "mid_old": "mass",
            "mid_old2": "mass",
        }
        assert set(_segments(con).segment_rule_version) == {"segments-1"}

    def test_another_rule_version_segments_differently_and_says_so(self, con):
        rules = SegmentRules(version="segments-2", vip_percentile=0.6, vip_min_tenure_months=24)
        result = _segments(con, rules)
        assert result.loc["mid_old2", "segment"] == "vip"  # 100 yuan ranks 7 of 11: 0.6
        assert result.loc["top_young", "segment"] == "growth"
        assert set(result.segment_rule_version) == {"segments-2"}

    def test_rules_round_trip_and_reject_nonsense(self):
        rules = SegmentRules(version="segments-3", growth_trend_ratio=1.5)
        assert SegmentRules.from_dict(rules.to_dict()) == rules
        with pytest.raises(ValueError):
            SegmentRules(growth_percentile=0.95, vip_percentile=0.9)


def _revenue(values: dict[str, float]) -> ibis.Table:
    return ibis.memtable(pd.DataFrame({"customer_no": list(values), "monthly_revenue": list(values.values())}))


class TestEnterpriseGrades:
    REVENUES = {
        "E1": 200_000.0, "E2": 199_999.99, "E3": 50_000.0, "E4": 10_000.0, "E5": 2_000.0, "E6": 1_999.99,
        "E7": 0.0,
    }

    def test_grades_and_stars_at_the_floors(self, con):
        result = con.to_pandas(enterprise_grades(_revenue(self.REVENUES))).set_index("customer_no")
        assert result.grade.to_dict() == {
            "E1": "1A", "E2": "2A", "E3": "2A", "E4": "3A", "E5": "4A", "E6": "5A", "E7": "5A",
        }
        assert result.stars.to_dict() == {"E1": 5, "E2": 4, "E3": 4, "E4": 3, "E5": 2, "E6": 1, "E7": 1}
        assert set(result.grade_rule_version) == {"grades-1"}

    def test_floors_and_stars_are_configuration(self, con):
        rules = GradeRules(version="grades-2", floors=(100_000, 40_000, 5_000, 1_000), stars=(5, 5, 4, 2, 1))
        result = con.to_pandas(enterprise_grades(_revenue(self.REVENUES), rules)).set_index("customer_no")
        assert result.loc["E2", "grade"] == "1A" and result.loc["E2", "stars"] == 5
        assert result.loc["E3", "grade"] == "2A" and result.loc["E3", "stars"] == 5
        assert result.loc["E6", "grade"] == "4A" and result.loc["E6", "stars"] == 2
        assert set(result.grade_rule_version) == {"grades-2"}
        assert GradeRules.from_dict(rules.to_dict()) == rules

    @pytest.mark.parametrize("bad", [
        {"floors": (100.0, 200.0, 50.0, 10.0)},
        {"floors": (100.0, 50.0, 10.0)},
        {"stars": (1, 2, 3, 4, 5)},
        {"stars": (5, 4, 3, 2, 0)},
    ])
    def test_impossible_rules_are_refused(self, bad):
        with pytest.raises(ValueError):
            GradeRules(**bad)


class TestEnterpriseRevenue:
    def test_lines_and_circuits_in_service_at_month_end(self, con):
        lines = ibis.memtable(pd.DataFrame({
            "msisdn": ["1", "2", "3", "4"],
            "customer_no": ["C1", "C1", "C1", "C2"],
            "spend_mean_3m": [100.0, 250.5, None, 80.0],
        }))
        circuits = ibis.memtable(pd.DataFrame({
            "service_no": ["S1", "S2", "S3", "S4"],
            "customer_no": ["C1", "C1", "C1", "C2"],
            "status": ["active", "closed", "active", "active"],
            "activated_on": [dt.date(2023, 1, 1), dt.date(2023, 1, 1), dt.date(2025, 1, 1), dt.date(2024, 12, 31)],
            "monthly_fee": [5_000.0, 9_999.0, 7_000.0, 60_000.0],
        }))
        enterprises = ibis.memtable(pd.DataFrame({"customer_no": ["C1", "C2", "C3"]}))
        revenue = enterprise_revenue(lines, enterprises, circuits, as_of="2024-12")
        result = con.to_pandas(enterprise_grades(revenue)).set_index("customer_no")
        assert result.loc["C1", "monthly_revenue"] == pytest.approx(5_350.5)
        assert (result.loc["C1", "lines"], result.loc["C1", "circuits"]) == (3, 1)
        assert result.loc["C2", "monthly_revenue"] == pytest.approx(60_080.0)
        assert result.loc["C3", "monthly_revenue"] == 0.0
        assert result.grade.to_dict() == {"C1": "4A", "C2": "2A", "C3": "5A"}
