"""Audience filters compiled to Ibis and run on DuckDB over real Parquet files shaped like
the nightly run's (features, line results, enterprise results): each filter keeps the
lines it should, and a customer counts once however many lines match."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from telcrm.analytics import backends
from telcrm.analytics.audiences import AudienceError, AudienceFilters, NightlyFiles, audience, count

FEATURE_DEFAULTS = {
    "msisdn": "13800000000", "customer_no": "C1", "payment_type": "postpaid", "brand": "gotone",
    "region": "SH-XH", "tenure_months": 24, "days_to_contract_end": None, "suspended": False, "arrears": 0.0,
    "complaints_3m": 0, "spend_mean_3m": 100.0, "spend_mean_prev6": 100.0, "spend_slope_6m": 0.0,
    "voice_minutes_ratio_3v6": 1.0,
}
RESULT_DEFAULTS = {"segment": "mass", "revenue": 100.0, "lifetime_value": 1000.0, "risk": 0.05, "warned": False}
RESULT_FIELDS = set(RESULT_DEFAULTS)


def write(directory: Path, lines: list[dict], grades: dict[int, str] | None = None) -> NightlyFiles:
    """``lines``: one dict per line with ``customer_id`` and any field to change."""
    features, results = [], []
    for i, line in enumerate(lines, start=1):
        row = {**FEATURE_DEFAULTS, **RESULT_DEFAULTS, "subscription_id": i, **line}
        row["msisdn"] = f"138{i:08d}"
        features.append({k: v for k, v in row.items() if k not in RESULT_FIELDS})
        results.append({k: row[k] for k in ("subscription_id", "customer_id", *RESULT_FIELDS)})
    files = NightlyFiles.in_directory(directory)
    table = pa.Table.from_pylist(features)
    # A column of only nulls would read as type null; the nightly file has it as int64.
    table = table.set_column(table.schema.get_field_index("days_to_contract_end"), "days_to_contract_end",
                             table.column("days_to_contract_end").cast(pa.int64()))
    pq.write_table(table, files.features)
    pq.write_table(pa.Table.from_pylist(results), files.line_results)
    grade_rows = [{"customer_id": c, "grade": g, "stars": 0, "revenue": 0.0, "lifetime_value": 0.0}
                  for c, g in (grades or {}).items()]
    pq.write_table(pa.Table.from_pylist(grade_rows, schema=pa.schema([
        ("customer_id", pa.int64()), ("grade", pa.string()), ("stars", pa.int64()), ("revenue", pa.float64()),
        ("lifetime_value", pa.float64())])), files.enterprise_results)
    return files


def members(files: NightlyFiles, **filters) -> set[int]:  # type: ignore[no-untyped-def]
    table = audience(backends.connect(threads=1), files, AudienceFilters.from_dict(filters)).to_pyarrow()
    return set(table.column("customer_id").to_pylist())


class TestLineFilters:
    @pytest.mark.parametrize(("field", "matching", "other", "filters"), [
        ("segment", "vip", "mass", {"segments": ["vip", "growth"]}),
        ("brand", "mzone", "gotone", {"brands": ["mzone"]}),
        ("region", "SH-PD", "SH-XH", {"regions": ["SH-PD"]}),
        ("payment_type", "prepaid", "postpaid", {"payment_types": ["prepaid"]}),
        ("lifetime_value", 5000.0, 4999.0, {"min_value": 5000}),
        ("lifetime_value", 200.0, 201.0, {"max_value": 200}),
        ("risk", 0.4, 0.39, {"min_churn_risk": 0.4}),
        ("warned", True, False, {"warned": True}),
        ("spend_mean_3m", 300.0, 299.99, {"min_spend_3m": 300}),
        ("spend_slope_6m", -1.5, 0.0, {"spend_trend": "down"}),
        ("spend_slope_6m", 2.0, 0.0, {"spend_trend": "up"}),
        ("voice_minutes_ratio_3v6", 0.5, 0.8, {"max_usage_ratio": 0.7}),
        ("tenure_months", 60, 59, {"min_tenure_months": 60}),
        ("days_to_contract_end", 30, 31, {"contract_end_within_days": 30}),
        ("days_to_contract_end", 0, -1, {"contract_end_within_days": 30}),
        ("arrears", 12.5, 0.0, {"in_arrears": True}),
        ("complaints_3m", 2, 1, {"min_complaints_3m": 2}),
    ])
    def test_the_filter_keeps_the_matching_line_only(self, tmp_path, field, matching, other, filters):
        files = write(tmp_path, [{"customer_id": 1, field: matching}, {"customer_id": 2, field: other}])
        assert members(files, **filters) == {1}

    def test_the_spend_ratio_compares_three_months_with_the_six_before(self, tmp_path):
        files = write(tmp_path, [
            {"customer_id": 1, "spend_mean_3m": 60.0, "spend_mean_prev6": 100.0},
            {"customer_id": 2, "spend_mean_3m": 90.0, "spend_mean_prev6": 100.0},
            {"customer_id": 3, "spend_mean_3m": 60.0, "spend_mean_prev6": 0.0},
        ])
        assert members(files, max_spend_ratio=0.7) == {1}

    def test_a_line_without_a_figure_never_matches_a_filter_on_it(self, tmp_path):
        files = write(tmp_path, [{"customer_id": 1, "spend_mean_3m": None}, {"customer_id": 2}])
        assert members(files, max_spend_3m=500) == {2}

    def test_filters_combine_on_the_same_line(self, tmp_path):
        # Customer 1 has a VIP line and a separate M-Zone line: no single line is both.
        files = write(tmp_path, [
            {"customer_id": 1, "segment": "vip"}, {"customer_id": 1, "brand": "mzone"},
            {"customer_id": 2, "segment": "vip", "brand": "mzone"},
        ])
        assert members(files, segments=["vip"], brands=["mzone"]) == {2}

    def test_suspended_lines_are_left_out_unless_asked_for(self, tmp_path):
        files = write(tmp_path, [{"customer_id": 1, "suspended": True}, {"customer_id": 2}])
        assert members(files) == {2}
        assert members(files, include_suspended=True) == {1, 2}


class TestCustomers:
    def test_a_customer_with_several_matching_lines_counts_once(self, tmp_path):
        files = write(tmp_path, [{"customer_id": 1}, {"customer_id": 1}, {"customer_id": 1}, {"customer_id": 2}])
        assert count(backends.connect(threads=1), files, AudienceFilters()) == 2

    def test_grades_select_enterprises(self, tmp_path):
        files = write(tmp_path, [{"customer_id": 1}, {"customer_id": 2}, {"customer_id": 3}], grades={1: "1A", 2: "3A"})
        assert members(files, grades=["1A", "2A"]) == {1}


class TestSavedFilters:
    def test_round_trip_through_json(self):
        filters = AudienceFilters.from_dict({"segments": ["vip"], "min_churn_risk": 0.3, "in_arrears": True})
        assert AudienceFilters.from_dict(filters.to_dict()) == filters
        assert filters.to_dict() == {"segments": ["vip"], "min_churn_risk": 0.3, "in_arrears": True}

    def test_every_problem_is_reported_at_once(self):
        with pytest.raises(AudienceError) as caught:
            AudienceFilters.from_dict({"colour": "red", "min_tenure_months": 2.5, "in_arrears": "yes",
                                       "min_value": "lots"})
        assert set(caught.value.errors) == {"colour", "min_tenure_months", "in_arrears", "min_value"}

    @pytest.mark.parametrize(("data", "field"), [
        ({"segments": ["gold"]}, "segments"), ({"grades": ["6A"]}, "grades"),
        ({"spend_trend": "sideways"}, "spend_trend"), ({"min_churn_risk": 1.5}, "min_churn_risk"),
        ({"min_value": 10, "max_value": 5}, "max_value"),
        ({"contract_end_within_days": -3}, "contract_end_within_days"),
    ])
    def test_values_that_make_no_sense_are_refused(self, data, field):
        with pytest.raises(AudienceError) as caught:
            AudienceFilters.from_dict(data)
        assert field in caught.value.errors
