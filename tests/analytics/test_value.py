"""Customer value on constructed lakes and snapshots: margin, additional and potential value,
lifetime value through the tenure lookup, life tables counted from the snapshot, and the
sBG recovered from lines first seen in mid-life."""

from __future__ import annotations

import datetime as dt
import itertools

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from telcrm.analytics import features, schemas
from telcrm.analytics.value import (
    ValueRules,
    enterprise_values,
    fit_survival,
    line_values,
    survival_counts,
)
from telcrm.stats.lifetime import ALL_BRANDS
from tests.analytics.lakes import Lake, bills, subscriber, usage
from tests.stats.test_sbg import REGULAR

AS_OF = "2024-06"
LOOKUP_COLUMNS = ["payment_type", "brand", "tenure_months", "expected_lifetime_months", "alive_months",
                  "alive_month_weights"]


def snapshot(rows: list[dict]) -> ibis.Table:
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schemas.SUBSCRIBERS.to_pyarrow()))


def lookup(*rows: tuple) -> ibis.Table:
    return ibis.memtable(pd.DataFrame(rows, columns=LOOKUP_COLUMNS))


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake(tmp_path)


@pytest.fixture
def lines(lake) -> ibis.Table:
    """Customer C1: a postpaid line of 100 yuan a month in every category, a prepaid line
    whose spend rises 10 yuan a month, and a closed line. Customer C2: one flat line."""
    n = 6
    months = "2024-01"
    categories = {"plan_fee": [50.0] * n, "voice": [30.0] * n, "data": [10.0] * n, "sms": [5.0] * n,
                  "vas": [10.0] * n, "roaming": [5.0] * n, "discount": [-10.0] * n}
    lake.add(
        bill_rows=bills("L1", months, [100.0] * n, **categories)
        + bills("L2", months, [10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
        + bills("L3", months, [500.0] * 3 + [None] * 3)
        + bills("L4", months, [80.0] * n),
        usage_rows=usage("L1", months, [100] * n),
    )
    bill_table, usage_table, subscriber_table = lake.tables([
        subscriber("L1", customer_no="C1", activated_on=dt.date(2020, 3, 10)),
        subscriber("L2", customer_no="C1", payment_type="prepaid", brand="easyown",
                   activated_on=dt.date(2024, 1, 5)),
        subscriber("L3", customer_no="C1", status="closed", status_date=dt.date(2024, 3, 31)),
        subscriber("L4", customer_no="C2", brand="mzone", activated_on=dt.date(2023, 6, 1)),
    ])
    return features.subscriber_features(bill_table, usage_table, subscriber_table, as_of=AS_OF)


def run(lake: Lake, table: ibis.Table) -> pd.DataFrame:
    return lake.con.to_pandas(table)


class TestCurrentValue:
    def test_margin_takes_each_categorys_cost_share_from_the_revenue(self, lake, lines):
        values = run(lake, line_values(lines, lookup(), as_of=AS_OF)).set_index("msisdn")
        # 100 - (0.10 * 50 + 0.20 * 30 + 0.05 * 10 + 0.10 * 5 + 0.70 * 10 + 0.60 * 5) = 78;
        # the 10 yuan discount lowers the revenue, not the costs others take.
        assert values.loc["L1", "revenue"] == pytest.approx(100.0)
        assert values.loc["L1", "margin"] == pytest.approx(78.0)
        assert values.loc["L2", "margin"] == pytest.approx(50.0 * 0.9)  # all plan fee

    def test_additional_value_is_the_customers_other_open_lines(self, lake, lines):
        values = run(lake, line_values(lines, lookup(), as_of=AS_OF)).set_index("msisdn")
        assert sorted(values.index) == ["L1", "L2", "L4"]  # the closed line has no value to keep
        assert values.loc["L1", "additional_value"] == pytest.approx(50.0)
        assert values.loc["L2", "additional_value"] == pytest.approx(100.0)
        assert values.loc["L4", "additional_value"] == pytest.approx(0.0)

    def test_rules_change_the_costs(self, lake, lines):
        rules = ValueRules(cost_vas=0.0, cost_voice=0.5)
        values = run(lake, line_values(lines, lookup(), as_of=AS_OF, rules=rules)).set_index("msisdn")
        assert values.loc["L1", "margin"] == pytest.approx(100 - (5 + 15 + 0.5 + 0.5 + 0 + 3))


class TestPotentialAndLifetime:
    def test_forecast_weights_revenue_and_capped_trend_by_survival(self, lake, lines):
        table = lookup(
            ("postpaid", "gotone", 51, 40.0, 9.0, 49.5),  # L1: 2020-03 to 2024-06
            ("prepaid", ALL_BRANDS, 5, 20.0, 10.0, 60.0),  # L2 through its payment type's fit
        )
        values = run(lake, line_values(lines, table, as_of=AS_OF)).set_index("msisdn")
        assert values.loc["L1", "potential_value"] == pytest.approx(100.0 * 9.0)  # flat: no trend
        # L2: mean of the last 3 bills 50, slope 10 a month capped at 3% of 50 = 1.5:
        # sum_k p_k (50 + 1.5 (k + 1)) = 50 * 10 + 1.5 * (60 + 10).
        assert values.loc["L2", "potential_value"] == pytest.approx(500.0 + 1.5 * 70.0)
        assert values.loc["L1", "lifetime_value"] == pytest.approx(78.0 * 40.0)
        assert values.loc["L1", "expected_lifetime_months"] == pytest.approx(40.0)
        assert values.loc["L2", "lifetime_value"] == pytest.approx(45.0 * 20.0)

    def test_a_line_without_a_fit_has_no_lifetime_and_stays_through_the_horizon(self, lake, lines):
        values = run(lake, line_values(lines, lookup(), as_of=AS_OF)).set_index("msisdn")
        assert values.loc["L4", "potential_value"] == pytest.approx(80.0 * 12)
        assert np.isnan(values.loc["L4", "lifetime_value"])
        assert np.isnan(values.loc["L4", "expected_lifetime_months"])

    def test_a_falling_trend_is_capped_too(self, lake):
        lake.add(bill_rows=bills("F1", "2024-01", [200.0, 160.0, 120.0, 80.0, 40.0, 10.0]),
                 usage_rows=usage("F1", "2024-01", [100] * 6))
        bill_table, usage_table, subscriber_table = lake.tables([subscriber("F1")])
        lines = features.subscriber_features(bill_table, usage_table, subscriber_table, as_of=AS_OF)
        values = run(lake, line_values(lines, lookup(), as_of=AS_OF))
        revenue = (80.0 + 40.0 + 10.0) / 3
        cap = 0.03 * revenue
        assert values.potential_value.iloc[0] == pytest.approx(revenue * 12 - cap * (78 + 12))


class TestSurvivalCounts:
    def counts(self, rows, **kwargs) -> pd.DataFrame:
        table = survival_counts(snapshot(rows), as_of=AS_OF, **kwargs)
        frame = ibis.duckdb.connect().to_pandas(table)
        return frame.sort_values(["payment_type", "cohort", "brand", "period"]).reset_index(drop=True)

    def test_yearly_periods_seen_since_the_database_began(self):
        rows = [
            subscriber("X1", activated_on=dt.date(2020, 3, 10)),  # period 4: 2023-03..2024-02
            subscriber("X2", activated_on=dt.date(2020, 3, 1), status="closed", status_date=dt.date(2023, 8, 2)),
            # Closed before observation began: neither at risk nor lost in period 4.
            subscriber("X3", activated_on=dt.date(2020, 3, 1), status="closed", status_date=dt.date(2022, 5, 2)),
            subscriber("X4", activated_on=dt.date(2023, 2, 1), status="closed", status_date=dt.date(2024, 1, 15)),
            subscriber("X5", activated_on=dt.date(2023, 9, 1)),  # first year not over yet
            # Closed after as_of: still open on the day scored.
            subscriber("X6", activated_on=dt.date(2023, 2, 1), status="closed", status_date=dt.date(2024, 7, 1)),
        ]
        frame = self.counts(rows, observed_from="2023-01")
        assert frame.to_dict("records") == [
            {"payment_type": "postpaid", "cohort": 2020, "brand": "gotone", "period": 4, "at_risk": 2, "churned": 1},
            {"payment_type": "postpaid", "cohort": 2023, "brand": "gotone", "period": 1, "at_risk": 2, "churned": 1},
        ]

    def test_prepaid_lines_renew_month_by_month(self):
        prepaid = {"payment_type": "prepaid", "brand": "easyown"}
        rows = [
            subscriber("P1", activated_on=dt.date(2024, 3, 5), status="closed", status_date=dt.date(2024, 5, 20),
                       **prepaid),
            subscriber("P2", activated_on=dt.date(2024, 4, 30), **prepaid),
        ]
        frame = self.counts(rows, observed_from="2023-01")
        assert frame[["period", "at_risk", "churned"]].values.tolist() == [[1, 2, 0], [2, 2, 0], [3, 2, 1]]

    def test_a_complete_history_gives_fader_and_hardies_survivor_counts(self):
        survivors = REGULAR[:8]
        rows, number = [], 0
        for year, (alive, left) in enumerate(itertools.pairwise(survivors)):
            for _ in range(alive - left):
                number += 1
                rows.append(subscriber(f"R{number}", activated_on=dt.date(2010, 1, 1), status="closed",
                                       status_date=dt.date(2010 + year, 7, 1)))
        rows += [subscriber(f"S{i}", activated_on=dt.date(2010, 1, 1)) for i in range(survivors[-1])]
        frame = survival_counts(snapshot(rows), as_of="2016-12", observed_from="2010-01")
        counts = ibis.duckdb.connect().to_pandas(frame).sort_values("period")
        assert counts.at_risk.tolist() == survivors[:-1]
        assert counts.churned.tolist() == [a - b for a, b in itertools.pairwise(survivors)]
        fit = fit_survival(counts, as_of="2016-12", rules=ValueRules(min_group_periods=3))
        row = fit[(fit.brand == "gotone") & (fit.tenure_months == 6 * 12 + 11)].iloc[0]  # activated 2010-01
        assert row.cohort == 2010
        assert (row.alpha, row.beta) == pytest.approx((0.704, 1.182), abs=5e-4)
        assert row.fit_level == "payment_type"  # the only cohort and brand: their curve is everyone's

    def test_any_payment_type_but_prepaid_renews_yearly(self):
        rows: list[dict] = []
        survivors = [1000, 631, 468]
        for year, (alive, left) in enumerate(itertools.pairwise(survivors)):
            rows += [subscriber(f"H{year}-{i}", payment_type="hybrid", activated_on=dt.date(2022, 1, 1),
                                status="closed", status_date=dt.date(2022 + year, 3, 1)) for i in range(alive - left)]
        rows += [subscriber(f"H-{i}", payment_type="hybrid", activated_on=dt.date(2022, 1, 1))
                 for i in range(survivors[-1])]
        counts = self.counts(rows, observed_from="2022-01")
        assert counts[["period", "at_risk", "churned"]].values.tolist() == [[1, 1000, 369], [2, 631, 163]]
        lookup = fit_survival(counts, as_of=AS_OF)
        assert set(lookup.period_months) == {12}

    def test_observed_from_after_as_of_is_refused(self):
        with pytest.raises(ValueError):
            survival_counts(snapshot([subscriber("X1")]), as_of=AS_OF, observed_from="2024-07")


class TestRecoveryFromMidLife:
    def test_the_fit_recovers_the_population_that_generated_the_lines(self):
        # 40,000 contract lines activated over 20 years, each renewing yearly with its own
        # probability 1 - theta, theta ~ Beta(0.8, 2.5); the database only holds lines open
        # in 2023 or later and their closures from then on.
        alpha, beta, n = 0.8, 2.5, 40_000
        rng = np.random.default_rng(7)
        activated = rng.integers(2004 * 12, 2024 * 12, n)
        periods = rng.geometric(rng.beta(alpha, beta, n))  # T: the last period, >= 1
        closed = activated + (periods - 1) * 12 + rng.integers(0, 12, n)
        seen = closed >= 2023 * 12
        rows = [
            subscriber(f"M{i}", activated_on=dt.date(a // 12, a % 12 + 1, 1),
                       status="closed" if c <= 2024 * 12 + 11 else "active",
                       status_date=dt.date(c // 12, c % 12 + 1, 1) if c <= 2024 * 12 + 11 else None)
            for i, (a, c) in enumerate(zip(activated[seen], closed[seen], strict=True))
        ]
        con, rules = ibis.duckdb.connect(), ValueRules(min_group_lines=10**9)

        def pooled_fit(observed_from: str) -> pd.Series:
            table = survival_counts(snapshot(rows), as_of="2024-12", observed_from=observed_from)
            return fit_survival(con.to_pandas(table), as_of="2024-12", rules=rules).iloc[0]

        pooled = pooled_fit("2023-01")
        assert pooled.fit_level == "payment_type"
        assert pooled.alpha == pytest.approx(alpha, rel=0.15)
        assert pooled.beta == pytest.approx(beta, rel=0.15)
        # Taking the database for a complete history sees nobody leave before 2023 and
        # mistakes the early years' loyalty for a population of near-certain stayers.
        assert pooled_fit("2004-01").alpha < 0.3


class TestEnterpriseValues:
    def test_group_members_circuits_and_lines_add_up(self):
        con = ibis.duckdb.connect()
        revenue = ibis.memtable(pd.DataFrame({
            "customer_no": ["E1", "E2", "E3", "E4"], "lines": [1, 1, 0, 0], "circuits": [1, 0, 0, 2],
            "lines_revenue": [100.0, 50.0, 0.0, 0.0], "circuits_revenue": [1000.0, 0.0, 0.0, 300.0],
            "monthly_revenue": [1100.0, 50.0, 0.0, 300.0],
        }))
        lines = ibis.memtable(pd.DataFrame({
            "msisdn": ["A", "B"], "customer_no": ["E1", "E2"], "revenue": [100.0, 50.0], "margin": [80.0, 40.0],
            "additional_value": [0.0, 0.0], "potential_value": [1200.0, 600.0], "lifetime_value": [2000.0, None],
            "expected_lifetime_months": [25.0, None],
        }))
        tree = ibis.memtable(pd.DataFrame({"customer_no": ["E1", "E2", "E3", "E4"],
                                           "parent_no": [None, "E1", "E2", None]}))
        rules = ValueRules(circuit_lifetime_months=2)
        values = con.to_pandas(enterprise_values(revenue, lines, tree, rules=rules)).set_index("customer_no")
        delta = 1.1 ** (-1 / 12)
        assert values.loc["E1", "margin"] == pytest.approx(80.0 + 800.0)
        assert values.loc["E1", "additional_value"] == pytest.approx(50.0 + 0.0)  # E2 and E3 below it
        assert values.loc["E2", "additional_value"] == pytest.approx(0.0)
        assert values.loc["E1", "potential_value"] == pytest.approx(1200.0 + 1000.0 * 12)
        assert values.loc["E1", "lifetime_value"] == pytest.approx(2000.0 + 800.0 * (delta + delta**2))
        assert values.loc["E2", "lifetime_value"] == pytest.approx(0.0)
        assert values.loc["E4", "margin"] == pytest.approx(240.0)
        assert values.loc["E4", ["lines", "circuits"]].tolist() == [0, 2]
        assert values.loc["E3", "revenue"] == pytest.approx(0.0)

    def test_depth_limits_the_members_counted(self):
        con = ibis.duckdb.connect()
        revenue = ibis.memtable(pd.DataFrame({
            "customer_no": ["E1", "E2", "E3"], "lines": [0] * 3, "circuits": [1] * 3,
            "lines_revenue": [0.0] * 3, "circuits_revenue": [10.0, 20.0, 40.0], "monthly_revenue": [10.0, 20.0, 40.0],
        }))
        lines = ibis.memtable(pd.DataFrame({
            "msisdn": pd.Series([], dtype=str), "customer_no": pd.Series([], dtype=str),
            "margin": pd.Series([], dtype=float), "potential_value": pd.Series([], dtype=float),
            "lifetime_value": pd.Series([], dtype=float),
        }))
        tree = ibis.memtable(pd.DataFrame({"customer_no": ["E1", "E2", "E3"], "parent_no": [None, "E1", "E2"]}))
        deep = con.to_pandas(enterprise_values(revenue, lines, tree)).set_index("customer_no")
        shallow = con.to_pandas(enterprise_values(revenue, lines, tree, rules=ValueRules(group_depth=1)))
        assert deep.loc["E1", "additional_value"] == pytest.approx(60.0)
        assert shallow.set_index("customer_no").loc["E1", "additional_value"] == pytest.approx(20.0)


class TestRules:
    def test_round_trip_and_validation(self):
        rules = ValueRules(cost_vas=0.5, version="value-2")
        assert ValueRules.from_dict(rules.to_dict()) == rules
        with pytest.raises(ValueError):
            ValueRules(cost_voice=1.5)
        with pytest.raises(ValueError):
            ValueRules(trend_cap=0.1)  # 13 months at -10% a month would forecast below zero
        with pytest.raises(ValueError):
            ValueRules(min_group_periods=1)
