"""The nightly analytics from snapshot to results, on whichever engine the backend is
(issue 3, "The pipeline"): features -> value segments and enterprise grades -> warning
rules -> values and lifetime value -> churn scores, assembled into one row per open line
and one per enterprise, ready for the write-back.

The Ibis expressions run on the engine; only the model's scoring (batch by batch) and the
assembly of the final rows (joins by ``msisdn`` of what each stage returned) run here.
Nothing is written to the database in this module: the caller owns the transaction.

Segments rank a line's spend within the population scored together (``SegmentRules``), so
individual customers' lines are ranked among themselves, as the brief asks, and an
enterprise's lines among enterprise lines: a company's line is not crowded out of "VIP" by
consumers, nor does it push them out (domain.md section 2 grades the enterprise itself).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from telcrm.analytics import backends, schemas
from telcrm.analytics.features import subscriber_features
from telcrm.analytics.months import month_end
from telcrm.analytics.tiers import (
    GradeRules,
    SegmentRules,
    enterprise_grades,
    enterprise_revenue,
    individual_segments,
)
from telcrm.analytics.value import ValueRules, enterprise_values, fit_survival, line_values, survival_counts
from telcrm.analytics.warnings import WarningRules, warning_flags
from telcrm.nightly.snapshot import Snapshot
from telcrm.nightly.stages import StageClock

# A line is put in the inbox when a rule fires or when the model's calibrated probability
# of leaving within its horizon reaches this (about six times a typical monthly base rate).
# WarningRules validates its own fields and refuses unknown ones, so the threshold is kept
# here, next to the only code that applies it.
ALERT_PROBABILITY = 0.30
# Without an active model a warned line still needs a risk to rank the inbox by (expected
# value lost = risk x value): each rule that fired counts as an independent 15% chance of
# leaving, so one rule gives 0.15, two 0.28, three 0.39. A stated assumption, replaced by
# the model's calibrated probability as soon as one is active.
RULE_PRIOR = 0.15
SCORE_BATCH = 100_000
# Decile shares, which the drift check compares, are stable on a hundred thousand lines.
DRIFT_SAMPLE = 100_000
MONEY = pa.decimal128(14, 2)
LINE_MONEY = ("revenue", "margin", "additional_value", "potential_value", "lifetime_value")
ENTERPRISE_MONEY = (*LINE_MONEY, "lines_revenue", "circuits_revenue")

Scorer = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class RunRules:
    """The active version of each rule set (``value.rules.active_rules``)."""

    segments: SegmentRules
    grades: GradeRules
    warnings: WarningRules
    values: ValueRules

    def versions(self) -> dict[str, str]:
        return {
            "segments": self.segments.version, "grades": self.grades.version,
            "warnings": self.warnings.version, "values": self.values.version,
        }


@dataclass(frozen=True)
class DriftSample:
    """Features and scores of a random sample of the month's lines, for the model's drift
    check (``churn.services.check_drift``)."""

    features: pd.DataFrame
    scores: pd.DataFrame


@dataclass(frozen=True)
class Results:
    """One row per open line (``lines``) and per enterprise (``enterprises``), with the
    database keys of each row; ``warnings`` are the lines put in the inbox; ``drift`` is
    there when a model scored the lines."""

    lines: pa.Table
    enterprises: pa.Table
    drift: DriftSample | None = None

    @property
    def warnings(self) -> pa.Table:
        return self.lines.filter(self.lines.column("warned"))


# What the results files next to the snapshot hold (``export_results``).
LINE_RESULT_COLUMNS = ("subscription_id", "customer_id", "segment", "revenue", "lifetime_value", "risk", "warned")
ENTERPRISE_RESULT_COLUMNS = ("customer_id", "grade", "stars", "revenue", "lifetime_value")
RESULT_FILES = {"lines": "results_lines.parquet", "enterprises": "results_enterprises.parquet"}


def export_results(results: Results, directory: Path) -> dict[str, Path]:
    """The night's tier, value and risk of each line and enterprise as Parquet next to the
    snapshot, so campaign audiences (issue 4) select on them in the engine over millions
    of lines, as they select on the features, instead of reading them back from the
    database. Written under a temporary name and renamed, like the snapshot."""
    paths = {}
    for name, table, columns in (("lines", results.lines, LINE_RESULT_COLUMNS),
                                 ("enterprises", results.enterprises, ENTERPRISE_RESULT_COLUMNS)):
        path = Path(directory) / RESULT_FILES[name]
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(table.select(list(columns)), tmp, compression="zstd")
        paths[name] = tmp.replace(path)
    return paths


def lake_months(lake_dir: Path) -> list[str]:
    """The months the lake holds bills for, oldest first."""
    root = Path(lake_dir) / "bills"
    return sorted(p.name.removeprefix("month=") for p in root.glob("month=*") if any(p.glob("*.parquet")))


def _open_line_keys(con: BaseBackend, path: Path, as_of: str) -> ibis.Table:
    """``msisdn`` -> database keys of the lines open at the end of ``as_of`` (activated by
    then, not closed by then: the same test as ``features.attribute_features``). A number
    belongs to one open line at a time, so the key is unique among them."""
    raw = con.read_parquet(str(path))
    day = ibis.date(month_end(as_of))
    closed = ((raw.status == "closed") & (raw.status_date <= day)).fill_null(False)
    return raw.filter((raw.activated_on <= day) & ~closed).select("msisdn", "subscription_id", "customer_id")


def _materialise(con: BaseBackend, lines: ibis.Table, directory: Path) -> tuple[ibis.Table, Path]:
    """The open lines' features, computed once into ``features.parquet`` next to the
    snapshot and read back: every later stage reads them, and an expression would be
    computed again by each. A file works on every engine (Ibis' ``cache`` cannot drop its
    DuckDB tables with this sqlglot) and keeps what the night saw for analysts."""
    path = Path(directory) / "features.parquet"
    if path.is_dir():
        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    con.to_parquet(lines, str(path))
    return con.read_parquet(str(path)), path


def _fen(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Yuan rounded to the fen, half away from zero, as ``MONEY``. Through six decimal
    places first: a sum or mean of money exactly at half a fen comes from the engines one
    unit in the last place apart, and would round to different fen. (Arrow's ``round`` of
    a double to six places keeps such a value as it is, so the cast to decimal does it.)"""
    six = pc.cast(pc.cast(values, pa.float64()), pa.decimal128(38, 6))
    return pc.cast(pc.round(six, 2, round_mode="half_towards_infinity"), MONEY)


def _money(table: pa.Table, names: tuple[str, ...]) -> pa.Table:
    """Yuan as ``decimal(14, 2)``, rounded to the fen once, here (architecture.md, 10)."""
    for name in names:
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, _fen(table.column(name)))
    return table


def _left(left: pa.Table, right: pa.Table, key: str) -> pa.Table:
    return left.join(right, key, join_type="left outer")


def _scores(
    lines: ibis.Table, features_path: Path, scorer: Scorer | None, counts: dict[str, int], *, total: int
) -> tuple[pa.Table, DriftSample | None]:
    """``msisdn``, ``probability`` and ``reasons`` (JSON) per open line, the model fed in
    batches so a million lines never sit in one pandas frame; null without a model. With
    a model, a random sample of about ``DRIFT_SAMPLE`` lines' features and scores is kept
    for the drift check.

    Batches are read from the features file with pyarrow (a file from DuckDB, a directory
    of parts from Spark), not through the engine: Ibis 12's batch reader calls a method
    DuckDB 2.0 no longer has."""
    if scorer is None:
        keys = lines.select("msisdn").to_pyarrow()
        return keys.append_column("probability", pa.nulls(keys.num_rows, pa.float64())).append_column(
            "reasons", pa.array(["[]"] * keys.num_rows, pa.string())
        ), None
    share = min(1.0, DRIFT_SAMPLE / max(total, 1))
    rng = np.random.default_rng(0)
    parts = [pa.table({"msisdn": pa.array([], pa.string()), "probability": pa.array([], pa.float64()),
                       "reasons": pa.array([], pa.string())})]
    sampled: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    for batch in ds.dataset(features_path, format="parquet").to_batches(batch_size=SCORE_BATCH):
        frame = batch.to_pandas()
        scored = scorer(frame)
        parts.append(pa.table({
            "msisdn": pa.array(scored["msisdn"], pa.string()),
            "probability": pa.array(scored["probability"], pa.float64()),
            "reasons": pa.array([json.dumps(r, ensure_ascii=False) for r in scored["reasons"]], pa.string()),
        }))
        keep = rng.random(len(frame)) < share
        sampled.append((frame[keep], scored[keep]))
    table = pa.concat_tables(parts)
    counts["scored"] = table.num_rows
    if not sampled:
        return table, None
    return table, DriftSample(
        features=pd.concat([f for f, _ in sampled], ignore_index=True),
        scores=pd.concat([s for _, s in sampled], ignore_index=True),
    )


def _risk(lines: pa.Table) -> pa.Table:
    """Expected value lost = risk x the line's value (its lifetime value, else a year of
    margin), the risk being the model's probability or, without a model, the rule prior;
    a line is warned when a rule fired or its probability reaches ``ALERT_PROBABILITY``."""
    fired = pc.fill_null(lines.column("reason_count"), 0)
    prior = pc.subtract(1.0, pc.power(1.0 - RULE_PRIOR, pc.cast(fired, pa.float64())))
    risk = pc.coalesce(lines.column("probability"), prior)
    value = pc.coalesce(
        pc.cast(lines.column("lifetime_value"), pa.float64()),
        pc.multiply(pc.cast(lines.column("margin"), pa.float64()), 12.0),
    )
    loss = _fen(pc.max_element_wise(pc.multiply(risk, value), 0.0))
    alert = pc.fill_null(pc.greater_equal(lines.column("probability"), ALERT_PROBABILITY), False)
    return (lines.append_column("expected_loss", loss).append_column("warned", pc.or_(pc.greater(fired, 0), alert))
            .append_column("risk", risk))


def _segments(lines: ibis.Table, enterprises: ibis.Table, rules: SegmentRules) -> pa.Table:
    individual = individual_segments(lines.anti_join(enterprises, "customer_no"), rules)
    corporate = individual_segments(lines.semi_join(enterprises, "customer_no"), rules)
    columns = ("msisdn", "segment", "segment_rule_version")
    return pa.concat_tables([individual.select(*columns).to_pyarrow(), corporate.select(*columns).to_pyarrow()])


def _values(
    con: BaseBackend, lines: ibis.Table, revenue: ibis.Table, *, snapshot: Snapshot, as_of: str, first_month: str,
    rules: ValueRules,
) -> tuple[pa.Table, pa.Table]:
    """Line and enterprise values (``analytics.value``), lifetime values from the sBG
    fitted to the life tables of the snapshot, observed from the lake's first month."""
    subscribers = backends.read_snapshot(con, snapshot.subscribers, schemas.SUBSCRIBERS)
    counts = survival_counts(subscribers, as_of=as_of, observed_from=first_month, rules=rules).to_pandas()
    lookup = fit_survival(counts, as_of=as_of, rules=rules)
    per_line = line_values(lines, ibis.memtable(lookup), as_of=as_of, rules=rules)
    tree = backends.read_snapshot(con, snapshot.enterprise_tree, schemas.ENTERPRISE_TREE)
    per_enterprise = enterprise_values(revenue, per_line, tree, rules=rules).to_pyarrow()
    return per_line.drop("customer_no").to_pyarrow(), per_enterprise


def compute(
    con: BaseBackend,
    *,
    lake_dir: Path,
    snapshot: Snapshot,
    as_of: str,
    rules: RunRules,
    scorer: Scorer | None,
    clock: StageClock,
) -> Results:
    """Run every analytics stage for ``as_of`` and return the rows to write."""
    with clock.stage("features") as counts:
        bills = backends.read_lake(con, lake_dir, "bills")
        usage = backends.read_lake(con, lake_dir, "usage")
        subscribers = backends.read_snapshot(con, snapshot.subscribers, schemas.SUBSCRIBERS)
        features = subscriber_features(bills, usage, subscribers, as_of=as_of)
        keys = _open_line_keys(con, snapshot.subscribers, as_of)
        lines, features_path = _materialise(
            con, features.filter(~features.closed).join(keys, "msisdn"), snapshot.directory
        )
        counts["lines"] = line_count = int(lines.count().to_pyarrow().as_py())
    with clock.stage("tiers") as counts:
        enterprises = backends.read_snapshot(con, snapshot.enterprises, schemas.ENTERPRISES)
        circuits = backends.read_snapshot(con, snapshot.circuits, schemas.CIRCUITS)
        segments = _segments(lines, enterprises, rules.segments)
        revenue = enterprise_revenue(lines, enterprises, circuits, as_of=as_of)
        grades = enterprise_grades(revenue, rules.grades).select(
            "customer_no", "grade", "stars", rule_version="grade_rule_version"
        ).to_pyarrow()
        counts["segmented"], counts["graded"] = segments.num_rows, grades.num_rows
    with clock.stage("warnings") as counts:
        flags = warning_flags(lines, rules.warnings).select(
            "msisdn", "reason_count", "warning_rule_version",
            warning_rules=ibis._.reasons.fill_null(""), warning_details=ibis._.details.fill_null(""),
        ).to_pyarrow()
        counts["rules fired"] = pc.sum(pc.greater(flags.column("reason_count"), 0)).as_py() or 0
    with clock.stage("values") as counts:
        first_month = lake_months(lake_dir)[0]
        values, enterprise_rows = _values(
            con, lines, revenue, snapshot=snapshot, as_of=as_of, first_month=first_month, rules=rules.values
        )
        counts["valued"] = values.num_rows + enterprise_rows.num_rows
    with clock.stage("scores") as counts:
        scores, drift = _scores(lines, features_path, scorer, counts, total=line_count)
    assembled = lines.select("msisdn", "subscription_id", "customer_id").to_pyarrow()
    for part in (segments.rename_columns(["msisdn", "segment", "rule_version"]), flags, values, scores):
        assembled = _left(assembled, part, "msisdn")
    enterprise_keys = con.read_parquet(str(snapshot.enterprises)).select("customer_no", "customer_id").to_pyarrow()
    enterprise_rows = _left(_left(enterprise_rows, grades, "customer_no"), enterprise_keys, "customer_no")
    return Results(
        lines=_risk(_money(assembled, LINE_MONEY)).sort_by("subscription_id"),
        enterprises=_money(enterprise_rows, ENTERPRISE_MONEY).sort_by("customer_id"),
        drift=drift,
    )
