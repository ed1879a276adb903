"""Campaign audiences as Ibis expressions (issue 4, "Audiences and campaigns").

An audience is a saved set of filters over what the nightly run knows of every line: its
attributes and spend and usage trends (``features.parquet``, analytics/features.py) and
its tier, value and churn risk (``results_lines.parquet``, and the enterprise grade from
``results_enterprises.parquet``, nightly/pipeline.py ``export_results``). A customer
belongs to the audience when one of their lines matches every line filter (and the
customer the customer filters): the result has one row per customer, however many of
their lines match, so a family with five lines gets one message.

No Django import: the same expression counts on DuckDB or Spark, for millions of lines.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
from ibis.backends import BaseBackend

SEGMENTS = ("vip", "growth", "mass")
GRADES = ("1A", "2A", "3A", "4A", "5A")
TRENDS = ("down", "up")

FEATURES_FILE = "features.parquet"
LINE_RESULTS_FILE = "results_lines.parquet"
ENTERPRISE_RESULTS_FILE = "results_enterprises.parquet"


class AudienceError(ValueError):
    """A filter that does not make sense; ``errors`` maps each bad field to its message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class AudienceFilters:
    """The filters of a saved audience. Lists select any of their values; an empty list or
    ``None`` does not filter. Money in yuan, risk a probability, trends "down" or "up"
    (the least-squares slope of the last six months' bills), ratios the last three months'
    mean over the six before (0.7 is a 30% fall). ``segments`` (a line's value segment)
    and ``grades`` (an enterprise's 1A-5A) both set select enterprises of those grades
    with a line in those segments."""

    segments: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    payment_types: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    min_churn_risk: float | None = None
    warned: bool | None = None
    min_spend_3m: float | None = None
    max_spend_3m: float | None = None
    spend_trend: str | None = None
    max_spend_ratio: float | None = None
    max_usage_ratio: float | None = None
    min_tenure_months: int | None = None
    max_tenure_months: int | None = None
    contract_end_within_days: int | None = None
    in_arrears: bool | None = None
    min_complaints_3m: int | None = None
    include_suspended: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AudienceFilters:
        """Filters from their saved JSON, every problem reported at once."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        errors: dict[str, str] = {name: "unknown filter" for name in data if name not in known}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in errors or value is None or value == [] or value == "":
                continue
            try:
                values[name] = _coerce(name, str(known[name].type), value)
            except (TypeError, ValueError) as error:
                errors[name] = str(error)
        if errors:
            raise AudienceError(errors)
        filters = cls(**values)
        filters.validate()
        return filters

    def to_dict(self) -> dict[str, Any]:
        """The JSON that is saved: only the filters that are set."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value in ((), None) or (f.name == "include_suspended" and not value):
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def validate(self) -> None:
        errors: dict[str, str] = {}
        for name, allowed in (("segments", SEGMENTS), ("grades", GRADES)):
            bad = sorted(set(getattr(self, name)) - set(allowed))
            if bad:
                errors[name] = f"unknown {', '.join(bad)}; known: {', '.join(allowed)}"
        if self.spend_trend is not None and self.spend_trend not in TRENDS:
            errors["spend_trend"] = f"one of {', '.join(TRENDS)}"
        if self.min_churn_risk is not None and not 0 <= self.min_churn_risk <= 1:
            errors["min_churn_risk"] = "a probability between 0 and 1"
        for low, high in (("min_value", "max_value"), ("min_spend_3m", "max_spend_3m"),
                          ("min_tenure_months", "max_tenure_months")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                errors[high] = f"must not be below {low.replace('_', ' ')}"
        for name in ("contract_end_within_days", "min_complaints_3m", "min_tenure_months", "max_spend_ratio",
                     "max_usage_ratio"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = "cannot be negative"
        if errors:
            raise AudienceError(errors)


def _coerce(name: str, annotation: str, value: Any) -> Any:
    if "tuple" in annotation:
        if not isinstance(value, list | tuple):
            raise TypeError("a list of values")
        return tuple(str(v) for v in value)
    if "bool" in annotation:
        if not isinstance(value, bool):
            raise TypeError("true or false")
        return value
    if "int" in annotation:
        if isinstance(value, bool) or not float(value).is_integer():
            raise ValueError("a whole number")
        return int(value)
    if "float" in annotation:
        if isinstance(value, bool):
            raise TypeError("a number")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("a finite number")
        return number
    return str(value)


@dataclass(frozen=True)
class NightlyFiles:
    """The files of one nightly run the audiences read (DATA_DIR/nightly/YYYY-MM)."""

    features: Path
    line_results: Path
    enterprise_results: Path

    @classmethod
    def in_directory(cls, directory: Path) -> NightlyFiles:
        return cls(directory / FEATURES_FILE, directory / LINE_RESULTS_FILE, directory / ENTERPRISE_RESULTS_FILE)

    def exist(self) -> bool:
        return self.features.exists() and self.line_results.exists() and self.enterprise_results.exists()


def _any_of(column: ibis.Value, values: tuple[str, ...]) -> ibis.BooleanValue | None:
    return column.isin(list(values)) if values else None


def line_conditions(lines: ibis.Table, f: AudienceFilters) -> list[ibis.BooleanValue]:
    """The line filters as boolean expressions over features joined with results; a null
    figure (a line with no bill in the window) never matches a filter on it."""
    conditions = [
        _any_of(lines.segment, f.segments),
        _any_of(lines.brand, f.brands),
        _any_of(lines.region, f.regions),
        _any_of(lines.payment_type, f.payment_types),
    ]
    value = lines.lifetime_value.cast("float64")
    spend = lines.spend_mean_3m
    bounds = [
        (value, f.min_value, f.max_value), (spend, f.min_spend_3m, f.max_spend_3m),
        (lines.tenure_months, f.min_tenure_months, f.max_tenure_months),
        (lines.risk, f.min_churn_risk, None), (lines.complaints_3m, f.min_complaints_3m, None),
        (spend / lines.spend_mean_prev6.nullif(0), None, f.max_spend_ratio),
        (lines.voice_minutes_ratio_3v6, None, f.max_usage_ratio),
    ]
    for column, low, high in bounds:
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column <= high)
    if f.warned is not None:
        conditions.append(lines.warned == f.warned)
    if f.spend_trend == "down":
        conditions.append(lines.spend_slope_6m < 0)
    elif f.spend_trend == "up":
        conditions.append(lines.spend_slope_6m > 0)
    if f.contract_end_within_days is not None:
        days = lines.days_to_contract_end
        conditions.append((days >= 0) & (days <= f.contract_end_within_days))
    if f.in_arrears is not None:
        conditions.append((lines.arrears > 0) if f.in_arrears else (lines.arrears <= 0))
    if not f.include_suspended:
        conditions.append(~lines.suspended)
    return [c.fill_null(False) for c in conditions if c is not None]


def audience(con: BaseBackend, files: NightlyFiles, filters: AudienceFilters) -> ibis.Table:
    """One row (``customer_id``) per customer in the audience."""
    features = con.read_parquet(str(files.features))
    results = con.read_parquet(str(files.line_results)).select(
        "subscription_id", "segment", "lifetime_value", "risk", "warned"
    )
    lines = features.join(results, "subscription_id", how="left")
    conditions = line_conditions(lines, filters)
    matched = lines.filter(*conditions) if conditions else lines
    customers = matched.select("customer_id").distinct()
    if filters.grades:
        graded = con.read_parquet(str(files.enterprise_results))
        customers = customers.semi_join(graded.filter(graded.grade.isin(list(filters.grades))), "customer_id")
    return customers


def count(con: BaseBackend, files: NightlyFiles, filters: AudienceFilters) -> int:
    """How many customers the audience holds (the live count of the audience builder)."""
    return int(audience(con, files, filters).count().to_pyarrow().as_py())
