"""The same lake through DuckDB and through Spark (Ibis' PySpark backend, ``local[2]``):
identical tiers and warnings, texts included, and every number equal to 1e-9 (issue 3,
"The pipeline"). The expressions are written once; this is the test that they mean the
same thing on both engines, so a cluster's nightly run agrees with the embedded one.

The lake mixes constructed lines (each warning rule firing alone, borderline cases,
enterprises at every grade) with a seeded random population (gaps in the bills, statuses
dated before and after the month, contracts ending on either side of it), and
``TestTheLakeExercisesEverything`` fails if it ever stops reaching every segment, grade
and rule. One Spark session serves the module (starting a JVM costs seconds); the group
marker keeps the module on one xdist worker.
"""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from telcrm.analytics import backends, features, schemas
from telcrm.analytics.months import shift_month
from telcrm.analytics.tiers import GRADES, SEGMENTS, enterprise_grades, enterprise_revenue, individual_segments
from telcrm.analytics.value import ValueRules, enterprise_values, fit_survival, line_values, survival_counts
from telcrm.analytics.warnings import RULES, churn_warnings, warning_flags

from .lakes import bills, money, subscriber, usage, write_lake, write_table

pytestmark = pytest.mark.xdist_group("spark")

AS_OF = "2024-12"
FIRST = "2023-01"  # 24 months of lake, half of them before the features' 12-month window
MONTHS = 24
TOLERANCE = 1e-9
RANDOM_LINES = 240
STEADY = [100.0] * MONTHS
# Fits per payment type, cohort and brand from a few dozen lines, so the small lake has some.
VALUE_RULES = ValueRules(min_group_lines=20, min_group_periods=2)
EXPRESSIONS = ["features", "segments", "revenue", "grades", "warning_flags", "warnings", "survival", "lifetime",
               "line_values", "enterprise_values"]


def _constructed() -> tuple[list, list, list]:
    """Lines each firing one rule (or none, at a threshold), as in test_warnings."""
    drop = [100.0] * 21
    cases = {
        "calm": ({}, STEADY, None),
        "spend": ({}, [*drop, 40.0, 42.3, 44.0], None),
        "spend_at_share": ({}, drop + [70.0] * 3, None),
        "spend_just_below": ({}, drop + [69.99] * 3, None),
        "spend_no_baseline": ({}, [None] * 19 + [100.0, 100.0, 10.0, 10.0, 10.0], None),
        "voice": ({}, STEADY, [300] * 21 + [120] * 3),
        "complaints": ({"complaints_3m": 3, "complaints_resolved_3m": 1}, STEADY, None),
        "suspended": ({"status": "suspended", "status_date": dt.date(2024, 12, 3), "status_reason": "arrears"},
                      STEADY, None),
        "suspended_later": ({"status": "suspended", "status_date": dt.date(2025, 1, 3)}, STEADY, None),
        "contract": ({"contract_end": dt.date(2025, 2, 14)}, STEADY, None),
        "termination": ({"termination_requests_3m": 1}, STEADY, None),
        "several": ({"termination_requests_3m": 2}, drop + [30.0] * 3, None),
        "closed": ({"status": "closed", "status_date": dt.date(2024, 12, 1)}, STEADY, None),
        "not_yet_active": ({"activated_on": dt.date(2025, 1, 2)}, [None] * MONTHS, None),
        "never_billed": ({}, [None] * MONTHS, None),
    }
    bill_rows, usage_rows, subscribers = [], [], []
    for msisdn, (fields, totals, voice) in cases.items():
        bill_rows += bills(msisdn, FIRST, totals)
        usage_rows += usage(msisdn, FIRST, voice or [300] * MONTHS, data=[500] * MONTHS, competitor=[30] * MONTHS)
        subscribers.append(subscriber(msisdn, **fields))
    usage_rows += usage("competitor", FIRST, [200] * MONTHS, data=[500] * MONTHS, competitor=[24] * 21 + [70] * 3)
    bill_rows += bills("competitor", FIRST, STEADY)
    subscribers.append(subscriber("competitor"))
    return bill_rows, usage_rows, subscribers


def _random_population(rng: np.random.Generator) -> tuple[list, list, list]:
    """Lines of varied spend, usage, tenure and status; a fifth belong to enterprises."""
    bill_rows, usage_rows, subscribers = [], [], []
    for i in range(RANDOM_LINES):
        msisdn = f"139{i:08d}"
        level = float(rng.lognormal(4.0, 0.9))
        trend = float(rng.choice([0.5, 0.9, 1.0, 1.0, 1.4]))
        totals: list[float | None] = []
        categories: dict[str, list[float]] = {name: [] for name in (*schemas.BILL_CATEGORIES, "discount")}
        for m in range(MONTHS):
            if rng.random() < 0.08:
                totals.append(None)
                for values in categories.values():
                    values.append(0.0)
                continue
            month_level = level * (trend if m >= MONTHS - 3 else 1.0)
            parts = {name: round(float(rng.uniform(0, month_level / 3)), 2) for name in schemas.BILL_CATEGORIES}
            parts["discount"] = round(float(rng.uniform(0, 5)), 2)
            for name, value in parts.items():
                categories[name].append(value)
            totals.append(round(sum(parts[n] for n in schemas.BILL_CATEGORIES) - parts["discount"], 2))
        bill_rows += bills(msisdn, FIRST, totals, **categories)
        voice = [int(v) for v in rng.poisson(200 * trend, MONTHS)]
        usage_rows += usage(
            msisdn, FIRST, voice, data=[int(v) for v in rng.poisson(2000, MONTHS)],
            sms=[int(v) for v in rng.poisson(20, MONTHS)],
            competitor=[int(rng.binomial(v, 0.4 if trend < 1 else 0.1)) for v in voice],
        )
        activated = dt.date(2012, 1, 1) + dt.timedelta(days=int(rng.integers(0, 13 * 365)))
        status = str(rng.choice(["active", "active", "active", "suspended", "closed"]))
        status_date = dt.date(2024, 6, 1) + dt.timedelta(days=int(rng.integers(0, 300)))
        subscribers.append(subscriber(
            msisdn,
            customer_no=f"E{i % 12}" if i % 5 == 0 else f"C{msisdn}",
            payment_type=str(rng.choice(["postpaid", "prepaid"])),
            activated_on=activated,
            contract_end=None if rng.random() < 0.3 else dt.date(2024, 10, 1) + dt.timedelta(days=int(
                rng.integers(0, 200))),
            status=status,
            status_date=status_date,
            status_reason=str(rng.choice(["", "arrears", "customer request"])),
            arrears=money(float(rng.choice([0.0, rng.uniform(0, 300)]))),
            complaints_3m=int(rng.poisson(0.5)),
            complaints_resolved_3m=int(rng.poisson(0.3)),
            termination_requests_3m=int(rng.random() < 0.05),
            care_contacts_3m=int(rng.poisson(1)),
        ))
    return bill_rows, usage_rows, subscribers


def _circuits() -> list[dict]:
    """Enterprise E0 at grade 1A, E1 2A, E2 3A, E3 4A; the others live on their lines; a
    closed circuit and one activated after the month count for nothing."""
    fees = {"E0": 250_000, "E1": 60_000, "E2": 12_000, "E3": 3_000, "E4": 150}
    rows = [
        {"service_no": f"S-{no}", "customer_no": no, "status": "active", "activated_on": dt.date(2020, 5, 1),
         "monthly_fee": money(fee)}
        for no, fee in fees.items()
    ]
    rows.append({"service_no": "S-closed", "customer_no": "E5", "status": "closed",
                 "activated_on": dt.date(2020, 5, 1), "monthly_fee": money(900_000)})
    rows.append({"service_no": "S-later", "customer_no": "E6", "status": "active",
                 "activated_on": dt.date(2025, 1, 1), "monthly_fee": money(900_000)})
    return rows


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("parity")
    constructed = _constructed()
    random = _random_population(np.random.default_rng(20241231))
    write_lake(root / "lake", "bills", constructed[0] + random[0])
    write_lake(root / "lake", "usage", constructed[1] + random[1])
    write_table(root / "subscribers.parquet", constructed[2] + random[2], schemas.SUBSCRIBERS)
    write_table(root / "enterprises.parquet", [{"customer_no": f"E{i}"} for i in range(12)], schemas.ENTERPRISES)
    write_table(root / "circuits.parquet", _circuits(), schemas.CIRCUITS)
    tree = [{"customer_no": f"E{i}", "parent_no": {1: "E0", 2: "E1", 3: "E1"}.get(i)} for i in range(12)]
    write_table(root / "enterprise_tree.parquet", tree, schemas.ENTERPRISE_TREE)
    return root


def _results(con, root) -> dict[str, tuple]:
    """Every expression of the nightly analytics on one engine: (keys, schema, frame)."""
    subscribers = backends.read_snapshot(con, root / "subscribers.parquet", schemas.SUBSCRIBERS)
    feats = features.subscriber_features(
        backends.read_lake(con, root / "lake", "bills"),
        backends.read_lake(con, root / "lake", "usage"),
        subscribers,
        as_of=AS_OF,
    )
    revenue = enterprise_revenue(
        feats,
        backends.read_snapshot(con, root / "enterprises.parquet", schemas.ENTERPRISES),
        backends.read_snapshot(con, root / "circuits.parquet", schemas.CIRCUITS),
        as_of=AS_OF,
    )
    individuals = feats.filter(feats.customer_no.startswith("C") & ~feats.closed)
    survival = survival_counts(subscribers, as_of=AS_OF, observed_from=FIRST, rules=VALUE_RULES)
    # The sBG fit runs in Python on what each engine counted: equal counts, equal fits.
    lookup = fit_survival(con.to_pandas(survival), as_of=AS_OF, rules=VALUE_RULES)
    values = line_values(feats, ibis.memtable(lookup), as_of=AS_OF, rules=VALUE_RULES)
    tree = backends.read_snapshot(con, root / "enterprise_tree.parquet", schemas.ENTERPRISE_TREE)
    expressions = {
        "features": (["msisdn"], feats),
        "segments": (["msisdn"], individual_segments(individuals)),
        "revenue": (["customer_no"], revenue),
        "grades": (["customer_no"], enterprise_grades(revenue)),
        "warning_flags": (["msisdn"], warning_flags(feats)),
        "warnings": (["msisdn"], churn_warnings(feats)),
        "survival": (["payment_type", "cohort", "brand", "period"], survival),
        "line_values": (["msisdn"], values),
        "enterprise_values": (["customer_no"], enterprise_values(revenue, values, tree, rules=VALUE_RULES)),
    }
    results = {
        name: (keys, expr.schema(), con.to_pandas(expr).sort_values(keys).reset_index(drop=True))
        for name, (keys, expr) in expressions.items()
    }
    keys = ["payment_type", "brand", "tenure_months"]
    results["lifetime"] = (keys, None, lookup.sort_values(keys).reset_index(drop=True))
    return results


@pytest.fixture(scope="module")
def duckdb_results(lake):
    return _results(backends.connect("duckdb", threads=1), lake)


@pytest.fixture(scope="module")
def spark_results(lake):
    con = backends.connect("spark", threads=2)
    yield _results(con, lake)
    con.disconnect()


def _mismatches(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, str]:
    problems = {}
    for name in a.columns:
        x, y = a[name], b[name]
        if pd.api.types.is_float_dtype(x):
            bad = ~np.isclose(x.to_numpy(float), y.to_numpy(float), rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True)
        else:
            bad = ~((x.astype(object) == y.astype(object)) | (x.isna() & y.isna())).to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            problems[name] = f"{int(bad.sum())} rows, e.g. row {i}: {x.iloc[i]!r} (DuckDB) vs {y.iloc[i]!r} (Spark)"
    return problems


class TestSparkMatchesDuckDB:
    @pytest.mark.parametrize("name", EXPRESSIONS)
    def test_same_rows_and_values(self, duckdb_results, spark_results, name):
        keys, duck_schema, duck = duckdb_results[name]
        _, spark_schema, spark = spark_results[name]
        assert spark_schema == duck_schema
        assert list(spark.columns) == list(duck.columns)
        assert spark[keys].equals(duck[keys])
        assert _mismatches(duck, spark) == {}

    def test_month_is_read_as_its_label(self, lake, spark_results):
        con = backends.connect("spark", threads=2)
        table = backends.read_lake(con, lake / "lake", "bills")
        months = con.to_pandas(table.select("month").distinct().order_by("month"))["month"]
        assert list(months) == [shift_month(FIRST, i) for i in range(MONTHS)]

    def test_uncommitted_import_files_are_not_read(self, lake, spark_results):
        """An import writes ``*.parquet.tmp-PID`` before it commits: neither engine sees it."""
        committed = len(pd.read_parquet(lake / "lake" / "bills"))
        stray = lake / "lake" / "bills" / f"month={AS_OF}" / "digest.parquet.tmp-1"
        stray.write_bytes(next((lake / "lake" / "bills" / f"month={AS_OF}").glob("*.parquet")).read_bytes())
        try:
            counts = [
                con.to_pandas(backends.read_lake(con, lake / "lake", "bills").count())
                for con in (backends.connect("duckdb", threads=1), backends.connect("spark", threads=2))
            ]
        finally:
            stray.unlink()
        assert counts[0] == counts[1] == committed


class TestTheLakeExercisesEverything:
    """Parity on a lake that never fires a rule would prove little."""

    def test_every_segment_and_grade(self, duckdb_results):
        assert set(duckdb_results["segments"][2].segment) == set(SEGMENTS)
        assert set(duckdb_results["grades"][2].grade) == set(GRADES)

    def test_every_rule_fires_and_some_lines_have_several(self, duckdb_results):
        flags = duckdb_results["warning_flags"][2]
        assert all(flags[f"warn_{name}"].any() for name in RULES)
        assert (flags.reason_count >= 2).any() and (flags.reason_count == 0).any()

    def test_lifetime_values_come_from_fits(self, duckdb_results):
        values = duckdb_results["line_values"][2]
        assert values.lifetime_value.notna().all() and values.expected_lifetime_months.nunique() > 3
        assert (duckdb_results["enterprise_values"][2].additional_value > 0).any()

    def test_features_include_nulls_and_lines_left_out(self, duckdb_results):
        feats = duckdb_results["features"][2]
        assert "not_yet_active" not in set(feats.msisdn)
        assert feats.spend_ratio_3v6.isna().any() and feats.spend_slope_12m.notna().any()
        assert feats.closed.any() and feats.suspended.any()
