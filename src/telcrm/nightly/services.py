"""The nightly run as a service: snapshot, analytics, and the write-back of a month's
results in one transaction, with its own record (``NightlyRun``).

Resumable by construction (issue 3: "a crash leaves the previous night's results in
place, and a rerun for the same month replaces, never duplicates"): everything before the
write-back only reads the database, and the write-back replaces the month's rows inside a
single ``transaction.atomic()``. The run's record is the exception to "the caller owns the
transaction" (architecture.md, 4): it is committed on its own, as the run starts and as it
ends, so that a failed run stays visible as failed with its error while its results roll
back. The run acts for nobody (no actor): it is the operator's scheduled batch, and
touches only result tables no user edits (follow-ups on warnings are kept, see
``churn.store``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from io import TextIOBase
from pathlib import Path

import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from telcrm.analytics import backends
from telcrm.analytics.months import month_index
from telcrm.churn import services as churn_services
from telcrm.churn import store as churn_store
from telcrm.core.errors import ValidationFailed
from telcrm.nightly import pipeline
from telcrm.nightly.models import NightlyRun, RunStatus
from telcrm.nightly.snapshot import export_snapshot
from telcrm.nightly.stages import StageClock
from telcrm.value import store as value_store
from telcrm.value.models import RuleKind
from telcrm.value.rules import active_rules


def first_day(month: str) -> dt.date:
    index = month_index(month)
    return dt.date(index // 12, index % 12 + 1, 1)


def snapshot_dir(month: str) -> Path:
    """Where the run for ``month`` exports the database (kept after the run: the churn
    model trains on it, and an analyst can read what the run saw)."""
    return Path(settings.DATA_DIR) / "nightly" / month


def lake_digest(lake_dir: Path) -> str:
    """What identifies the lake's data: its files' names (each the digest of the source
    file it came from, ``analytics/lake.py``) and sizes."""
    digest = hashlib.sha256()
    for path in sorted(Path(lake_dir).glob("*/month=*/*.parquet")):
        digest.update(f"{path.relative_to(lake_dir)}\t{path.stat().st_size}\n".encode())
    return digest.hexdigest()


def active_run_rules() -> pipeline.RunRules:
    return pipeline.RunRules(
        segments=active_rules(RuleKind.SEGMENTS),  # type: ignore[arg-type]
        grades=active_rules(RuleKind.GRADES),  # type: ignore[arg-type]
        warnings=active_rules(RuleKind.WARNINGS),  # type: ignore[arg-type]
        values=active_rules(RuleKind.VALUE),  # type: ignore[arg-type]
    )


def resolve_month(lake_dir: Path, as_of: str | None) -> str:
    """``as_of`` checked against the lake, or the lake's newest month."""
    months = pipeline.lake_months(lake_dir)
    if not months:
        raise ValidationFailed(f"lake: no bills under {lake_dir} (import some first)")
    if as_of is None:
        return months[-1]
    try:
        month_index(as_of)
    except ValueError as error:
        raise ValidationFailed(f"as_of: {error}") from None
    if as_of not in months:
        raise ValidationFailed(f"as_of: the lake holds {months[0]} to {months[-1]}, not {as_of}")
    return as_of


def current_run(month: str, *, engine: str = "duckdb") -> NightlyRun | None:
    """A finished run of ``month`` on the lake as it is, with today's rules and model, if
    any. Rules that no longer load match no run: the run that follows records the failure."""
    try:
        rules = active_run_rules().versions()
    except (TypeError, ValueError):
        return None
    model = churn_services.active_model()
    model_version = model.version if model else ""
    digest = lake_digest(Path(settings.LAKE_DIR))
    runs = NightlyRun.objects.filter(month=first_day(month), status=RunStatus.DONE, engine=engine)
    if model is not None:  # a version name can come back once its model is deleted; a run cannot predate it
        runs = runs.filter(started_at__gte=model.created_at)
    for run in runs:
        if run.data_digest == digest and run.rule_versions == rules and run.model_version == model_version:
            return run
    return None


def _rows(table: pa.Table, columns: dict[str, str]) -> pa.Table:
    """The store's columns (keys) taken from the results' (values)."""
    return pa.table({name: table.column(source) for name, source in columns.items()})


def write_results(month: dt.date, results: pipeline.Results, *, model_id: int | None) -> dict[str, int]:
    """Replace ``month``'s results with ``results``; the caller holds the transaction."""
    lines = results.lines.append_column("model_id", pa.array([model_id] * results.lines.num_rows, pa.int64()))
    same = {name: name for name in value_store.LINE_VALUE_COLUMNS}
    risk_columns = {name: name for name in churn_store.LINE_RISK_COLUMNS} | {"rule_version": "warning_rule_version"}
    warning_columns = {
        "subscription_id": "subscription_id", "customer_id": "customer_id", "rules": "warning_rules",
        "details": "warning_details", "rule_version": "warning_rule_version", "probability": "probability",
        "expected_loss": "expected_loss",
    }
    written = churn_store.replace_warnings(month=month, rows=_rows(results.warnings, warning_columns))
    return {
        "line values": value_store.replace_line_values(month=month, rows=_rows(lines, same)),
        "enterprise values": value_store.replace_enterprise_values(
            month=month, rows=_rows(results.enterprises, {n: n for n in value_store.ENTERPRISE_VALUE_COLUMNS})
        ),
        "tier changes": value_store.replace_tier_changes(month=month),
        "line risks": churn_store.replace_line_risks(month=month, rows=_rows(lines, risk_columns)),
        "warnings": written.total,
        "warnings kept": written.kept,
    }


def _connect(engine: str, threads: int | None) -> object:
    if engine == "spark":
        return backends.connect(engine, threads=threads, master=settings.SPARK_MASTER or None)
    return backends.connect(engine, threads=threads)


def run_nightly(
    *,
    as_of: str | None = None,
    engine: str = "duckdb",
    threads: int | None = None,
    out: TextIOBase | None = None,
    progress: bool = True,
) -> NightlyRun:
    """Run the nightly analytics for ``as_of`` (default: the lake's newest month) and write
    its results. A failure marks the run failed with its error, leaves the previous
    results, and is raised again."""
    if engine not in backends.ENGINES:
        raise ValidationFailed(f"engine: one of {', '.join(backends.ENGINES)}, not {engine!r}")
    lake_dir = Path(settings.LAKE_DIR)
    month = resolve_month(lake_dir, as_of)
    run = NightlyRun.objects.create(month=first_day(month), engine=engine, data_digest=lake_digest(lake_dir))

    def started(stage: str) -> None:
        run.stage = stage
        run.save(update_fields=["stage"])

    clock = StageClock(out=out, live=progress, on_start=started)
    try:
        rules, model = active_run_rules(), churn_services.active_model()
        run.rule_versions, run.model_version = rules.versions(), model.version if model else ""
        run.save(update_fields=["rule_versions", "model_version"])
        scorer = (lambda frame: churn_services.score_lines(model, frame)) if model else None
        with clock:
            with clock.stage("snapshot") as counts:
                snapshot = export_snapshot(snapshot_dir(month), as_of=month)
                counts.update(snapshot.counts)
            results = pipeline.compute(
                _connect(engine, threads), lake_dir=lake_dir, snapshot=snapshot, as_of=month, rules=rules,
                scorer=scorer, clock=clock,
            )
            with clock.stage("write") as counts, transaction.atomic():
                counts.update(write_results(first_day(month), results, model_id=model.pk if model else None))
                if model is not None and results.drift is not None:
                    churn_services.check_drift(model, results.drift.features, results.drift.scores, month=month)
                    counts["drift sample"] = len(results.drift.features)
            pipeline.export_results(results, snapshot.directory)
    except Exception as error:
        run.status, run.error, run.finished_at = RunStatus.FAILED, f"{type(error).__name__}: {error}", timezone.now()
        run.stage_seconds, run.counts = clock.seconds, clock.counts
        run.save()
        raise
    run.status, run.finished_at, run.stage = RunStatus.DONE, timezone.now(), ""
    run.stage_seconds, run.counts = clock.seconds, clock.counts
    run.save()
    return run
