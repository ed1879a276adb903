"""Importing one file: a validation pass, then a write pass in one transaction.

Issue 2, "Imports": every row is validated and rejects go to a reject file; by default a
file with a rejected row commits nothing; a crash mid-import leaves the database as it was
before the file. Hence two streamed passes over the file: the first only validates (and
writes the reject file), the second validates again, row for row the same, and writes the
good rows inside one ``transaction.atomic()``: a killed process never commits, so the
database keeps its previous state. Memory stays flat: one batch at a time in both passes.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from tqdm import tqdm

from telcrm.analytics.lake import LakeWriter, remove_stale
from telcrm.billing.services import recompute_balances
from telcrm.core.errors import ValidationFailed
from telcrm.core.models import AuditAction, AuditEntry
from telcrm.ingest.keys import KeyMaps
from telcrm.ingest.kinds import SPECS
from telcrm.ingest.reading import (
    ENCODINGS,
    check_columns,
    count_rows,
    detect_encoding,
    file_columns,
    file_format,
    iter_batches,
    source_digest,
)
from telcrm.ingest.rejects import RejectWriter, default_path
from telcrm.ingest.schemas import LAKE_KINDS
from telcrm.ingest.sql import WriteContext
from telcrm.ingest.validate import Checked, Checker
from telcrm.ingest.writers import BILL_MEASURES, USAGE_MEASURES, WRITERS

_BALANCE_KINDS = ("bills", "payments")


@dataclass
class ImportResult:
    kind: str
    path: Path
    encoding: str
    rows: int = 0
    rejected_rows: int = 0
    errors: int = 0
    written: int = 0
    committed: bool = False
    reject_path: Path | None = None
    first_errors: list[str] = field(default_factory=list)
    lake_files: list[Path] = field(default_factory=list)
    accounts_recomputed: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        head = (f"{self.kind} from {self.path.name}: {self.rows:,} rows read, "
                f"{self.rejected_rows:,} rejected, {self.written:,} written "
                f"in {self.seconds:.1f} s ({rate:,.0f} rows/s)")
        if self.rejected_rows:
            head += f"; rejects in {self.reject_path}"
        return head


class ImportRejected(ValidationFailed):
    """The file had rejected rows and nothing was committed."""

    def __init__(self, result: ImportResult) -> None:
        lines = "\n".join(f"  {e}" for e in result.first_errors)
        more = result.errors - len(result.first_errors)
        super().__init__(
            f"{result.path.name}: {result.rejected_rows:,} of {result.rows:,} rows rejected "
            f"({result.errors:,} errors); nothing was imported. Rejects are in "
            f"{result.reject_path}.\n{lines}" + (f"\n  ... and {more:,} more" if more > 0 else "")
        )
        self.result = result


def _bar(desc: str, total: int | None, progress: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit=" rows", unit_scale=True, file=sys.stderr,
                disable=not progress, mininterval=0.5, dynamic_ncols=True)


def _lake_table(kind: str, values: dict[str, pa.Array]) -> pa.Table:
    measures = BILL_MEASURES if kind == "bills" else USAGE_MEASURES
    names = ("msisdn", "customer_no", "month", *measures)
    return pa.table({n: values[n] for n in names})


def _good_values(checked: Checked) -> dict[str, pa.Array]:
    if not checked.errors:
        return checked.values
    mask = pa.array(checked.good_mask())
    return {name: pc.filter(arr, mask) for name, arr in checked.values.items()}


def _validate(result: ImportResult, spec_kind: str, keys: KeyMaps, rejects: RejectWriter,
              total: int | None, progress: bool) -> None:
    checker = Checker(SPECS[spec_kind], keys)
    with _bar(f"validate {spec_kind}", total, progress) as bar:
        for batch in iter_batches(result.path, SPECS[spec_kind].schema, result.encoding):
            checked = checker.check(batch)
            rejects.add(checked)
            result.rows += checked.num_rows
            bar.update(checked.num_rows)


def _write(actor: User, result: ImportResult, keys: KeyMaps, lake: LakeWriter | None,
           progress: bool) -> None:
    kind = result.kind
    checker = Checker(SPECS[kind], keys, record=result.rejected_rows > 0)
    ctx = WriteContext(actor)
    with _bar(f"write {kind}", result.rows, progress) as bar:
        for batch in iter_batches(result.path, SPECS[kind].schema, result.encoding):
            checked = checker.check(batch)
            values = _good_values(checked)
            WRITERS[kind](ctx, values)
            if lake is not None:
                lake.write(_lake_table(kind, values))
            result.written += len(next(iter(values.values())))
            bar.update(checked.num_rows)
    if kind in _BALANCE_KINDS:
        result.accounts_recomputed = recompute_balances(actor, account_ids=ctx.touched_accounts)


def import_file(
    actor: User, *, kind: str, path: Path, allow_partial: bool = False,
    reject_path: Path | None = None, encoding: str = "auto", progress: bool = True,
) -> ImportResult:
    """Validate and import one file; raise ``ImportRejected`` if it has rejects and
    ``allow_partial`` is false (then nothing is written but the reject file)."""
    if kind not in SPECS:
        raise ValidationFailed(f"kind: {kind!r} is not one of {', '.join(SPECS)}")
    if encoding not in ENCODINGS:
        raise ValidationFailed(f"encoding: must be one of {', '.join(ENCODINGS)}")
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such file")
    started = time.monotonic()
    if file_format(path) == "csv" and encoding == "auto":
        encoding = detect_encoding(path)
    spec = SPECS[kind]
    result = ImportResult(kind, path, encoding if file_format(path) == "csv" else "parquet")
    check_columns(path, file_columns(path, encoding), spec.schema, spec.required)
    result.reject_path = Path(reject_path) if reject_path else default_path(path)
    result.reject_path.unlink(missing_ok=True)
    keys = KeyMaps()
    rejects = RejectWriter(result.reject_path, spec.schema.names)
    try:
        _validate(result, kind, keys, rejects, count_rows(path, encoding), progress)
    finally:
        rejects.close()
    result.rejected_rows, result.errors = rejects.rows, rejects.errors
    result.first_errors = rejects.first
    if not rejects.rows:
        result.reject_path = None
    if rejects.rows and not allow_partial:
        result.seconds = time.monotonic() - started
        raise ImportRejected(result)
    lake = None
    if kind in LAKE_KINDS:
        remove_stale(settings.LAKE_DIR, kind)
        lake = LakeWriter(settings.LAKE_DIR, kind, source_digest(path))
    try:
        with transaction.atomic():
            _write(actor, result, keys, lake, progress)
            result.seconds = time.monotonic() - started
            _audit(actor, result, lake)
    except BaseException:
        if lake is not None:
            lake.abort()
        raise
    # The database has committed: put the lake files in place (a re-import redoes both).
    if lake is not None:
        result.lake_files = lake.commit()
    result.committed = True
    return result


def _audit(actor: User, result: ImportResult, lake: LakeWriter | None) -> None:
    AuditEntry.objects.create(
        actor=actor, action=AuditAction.IMPORT, subject_type="file", subject_id=result.kind,
        reason=result.path.name,
        detail={
            "kind": result.kind, "file": result.path.name, "encoding": result.encoding,
            "rows": result.rows, "written": result.written, "rejected": result.rejected_rows,
            "lake_rows": lake.rows if lake else 0, "digest": lake.digest if lake else "",
            "accounts_recomputed": result.accounts_recomputed,
        },
    )
