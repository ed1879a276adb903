"""The Parquet lake: bills and usage by month, where the analytics pipeline reads them.

Layout (hive partitioning, so DuckDB, Ibis and Spark read it with
``read_parquet(LAKE/bills/**/*.parquet, hive_partitioning=true)``)::

    LAKE/<kind>/month=YYYY-MM/<source digest>.parquet

One file per imported source file and month, named by the digest of the source's bytes:
importing the same file again rewrites exactly its own files, so the lake holds each
source once (idempotent), while files of other sources are never touched. Files are
written under a temporary name (not ending in ``.parquet``, so readers skip them) and
renamed only when the caller commits, after the database transaction: a killed import
leaves no partial partition a reader could see.

No Django import here (an import-linter contract): paths are arguments.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_TMP = ".parquet.tmp"


def partition_dir(root: Path, kind: str, month: str) -> Path:
    return Path(root) / kind / f"month={month}"


class LakeWriter:
    """Streams one source file's rows into its month partitions."""

    def __init__(self, root: Path, kind: str, digest: str) -> None:
        self.root = Path(root)
        self.kind = kind
        self.digest = digest
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._tmp: dict[str, Path] = {}
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Append rows (with a ``month`` column, YYYY-MM) to their month partitions."""
        if table.num_rows == 0:
            return
        months = table.column("month")
        for month in pc.unique(months).to_pylist():
            part = table.filter(pc.equal(months, month)).drop_columns(["month"])
            writer = self._writers.get(month)
            if writer is None:
                target = partition_dir(self.root, self.kind, month)
                target.mkdir(parents=True, exist_ok=True)
                tmp = target / f"{self.digest}{_TMP}-{os.getpid()}"
                writer = pq.ParquetWriter(tmp, part.schema, compression="zstd")
                self._writers[month], self._tmp[month] = writer, tmp
            writer.write_table(part)
            self.rows += part.num_rows

    def commit(self) -> list[Path]:
        """Put the written partitions in place, replacing this source's earlier files."""
        for writer in self._writers.values():
            writer.close()
        for old in (self.root / self.kind).glob(f"month=*/{self.digest}.parquet"):
            if old.parent.name.removeprefix("month=") not in self._tmp:
                old.unlink()
        placed = []
        for tmp in self._tmp.values():
            final = tmp.parent / f"{self.digest}.parquet"
            tmp.replace(final)
            placed.append(final)
        return placed

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.close()
        for tmp in self._tmp.values():
            tmp.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether a process of this machine still runs (the owner of a stale write or claim)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(root: Path, kind: str) -> int:
    """Delete temporary files left by imports killed before they committed (their process
    is gone); a running import's files are left alone."""
    count = 0
    for tmp in (Path(root) / kind).glob(f"month=*/*{_TMP}-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not process_alive(int(pid)):
            tmp.unlink(missing_ok=True)
            count += 1
    return count
