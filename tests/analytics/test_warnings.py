"""Each churn-warning rule on a constructed history, one line per case, run from a lake."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from telcrm.analytics import features
from telcrm.analytics.warnings import RULES, WarningRules, churn_warnings, warning_flags

from .lakes import Lake, bills, subscriber, usage

AS_OF = "2024-12"
FIRST = "2024-01"
STEADY = [100.0] * 12
VOICE = [300] * 12


def _case(msisdn, totals=STEADY, voice=VOICE, data=None, competitor=None, **fields):
    return (
        bills(msisdn, FIRST, totals),
        usage(msisdn, FIRST, voice, data=data or [500] * 12, competitor=competitor or [30] * 12),
        subscriber(msisdn, **fields),
    )


CASES = {
    "calm": _case("calm"),
    "spend": _case("spend", [0.0] * 3 + [88.0] * 6 + [40.0, 42.3, 44.0]),
    "spend_at_share": _case("spend_at_share", [0.0] * 3 + [100.0] * 6 + [70.0] * 3),
    "spend_just_below": _case("spend_just_below", [0.0] * 3 + [100.0] * 6 + [69.99] * 3),
    "spend_no_baseline": _case("spend_no_baseline", [None] * 7 + [100.0, 100.0, 10.0, 10.0, 10.0]),
    "voice": _case("voice", voice=[300] * 9 + [120] * 3, competitor=[30] * 9 + [12] * 3),
    "competitor": _case("competitor", voice=[200] * 12, competitor=[24] * 9 + [70] * 3),
    "complaints": _case("complaints", complaints_3m=3, complaints_resolved_3m=1),
    "one_complaint": _case("one_complaint", complaints_3m=1),
    "suspended": _case("suspended", status="suspended", status_date=dt.date(2024, 12, 3), status_reason="arrears"),
    "contract": _case("contract", contract_end=dt.date(2025, 2, 14)),
    "contract_later": _case("contract_later", contract_end=dt.date(2025, 3, 15)),
    "contract_past": _case("contract_past", contract_end=dt.date(2024, 11, 30)),
    "termination": _case("termination", termination_requests_3m=1),
    "several": _case("several", [0.0] * 3 + [100.0] * 6 + [30.0] * 3, termination_requests_3m=2),
    "closed": _case("closed", status="closed", status_date=dt.date(2024, 12, 1), termination_requests_3m=1),
}


@pytest.fixture(scope="module")
def lake_features(tmp_path_factory):
    lake = Lake(tmp_path_factory.mktemp("warnings"))
    lake.add(
        bill_rows=[row for case in CASES.values() for row in case[0]],
        usage_rows=[row for case in CASES.values() for row in case[1]],
    )
    b, u, s = lake.tables([case[2] for case in CASES.values()])
    return lake.con, features.subscriber_features(b, u, s, as_of=AS_OF)


def _flags(lake_features, rules=None) -> pd.DataFrame:
    con, table = lake_features
    return con.to_pandas(warning_flags(table, rules)).set_index("msisdn")


def _fired(row) -> list[str]:
    return [name for name in RULES if row[f"warn_{name}"]]


class TestEachRule:
    @pytest.mark.parametrize(("msisdn", "rule", "figure"), [
        ("spend", "spend_decline", "spend 3m mean 42.10 vs previous 6m mean 88.00 (48%)"),
        ("spend_just_below", "spend_decline", "spend 3m mean 69.99 vs previous 6m mean 100.00 (70%)"),
        ("voice", "usage_decline", "voice minutes 3m mean 120 vs previous 6m 300 (40%)"),
        ("competitor", "competitor_shift", "competitor call share 35% vs 12% (+23 points)"),
        ("complaints", "complaints", "3 complaints in 3 months (1 resolved)"),
        ("suspended", "suspension", "suspended since 2024-12-03 (arrears)"),
        ("contract", "contract_end", "contract ends 2025-02-14 (in 45 days)"),
        ("termination", "termination_request", "1 termination requests in 3 months"),
    ])
    def test_rule_fires_alone_with_its_figure(self, lake_features, msisdn, rule, figure):
        row = _flags(lake_features).loc[msisdn]
        assert _fired(row) == [rule]
        assert row[f"{rule}_figure"] == figure
        assert row.reasons == rule and row.details == figure and row.reason_count == 1

    @pytest.mark.parametrize("msisdn", [
        "calm", "spend_at_share", "spend_no_baseline", "one_complaint", "contract_later", "contract_past",
    ])
    def test_quiet_or_borderline_lines_are_not_warned(self, lake_features, msisdn):
        row = _flags(lake_features).loc[msisdn]
        assert _fired(row) == [] and row.reason_count == 0 and row.reasons == ""
        assert all(pd.isna(row[f"{name}_figure"]) for name in RULES)


class TestWarningList:
    def test_one_row_per_warned_open_line_with_every_reason(self, lake_features):
        con, table = lake_features
        warned = con.to_pandas(churn_warnings(table)).set_index("msisdn")
        assert set(warned.index) == {
            "spend", "spend_just_below", "voice", "competitor", "complaints", "suspended", "contract",
            "termination", "several",
        }
        several = warned.loc["several"]
        assert several.reasons == "spend_decline,termination_request"
        assert several.details == (
            "spend 3m mean 30.00 vs previous 6m mean 100.00 (30%); 2 termination requests in 3 months"
        )
        assert several.reason_count == 2
        assert (warned.warning_rule_version == "warnings-1").all()


class TestConfiguration:
    def test_thresholds_and_version_come_from_the_rules(self, lake_features):
        rules = WarningRules(version="warnings-7", spend_decline_share=0.4, contract_end_days=90)
        flags = _flags(lake_features, rules)
        assert not flags.loc["spend", "warn_spend_decline"]  # 48% is above a 40% share
        assert flags.loc["several", "warn_spend_decline"]  # 30% is below it
        assert flags.loc["contract_later", "contract_end_figure"] == "contract ends 2025-03-15 (in 74 days)"
        assert (flags.warning_rule_version == "warnings-7").all()

    def test_rules_round_trip_through_a_dict(self):
        rules = WarningRules(version="warnings-2", min_complaints=3)
        assert WarningRules.from_dict(rules.to_dict()) == rules

    def test_a_misspelt_setting_is_refused(self):
        with pytest.raises(ValueError, match="min_complaint"):
            WarningRules.from_dict({"version": "x", "min_complaint": 3})

    @pytest.mark.parametrize("bad", [
        {"spend_decline_share": 1.5}, {"competitor_shift_points": 0}, {"min_complaints": 0},
        {"contract_end_days": -1},
    ])
    def test_impossible_thresholds_are_refused(self, bad):
        with pytest.raises(ValueError):
            WarningRules(**bad)
