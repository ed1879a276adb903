"""Streaming writers for the export files, on a background thread.

Each kind is one file written batch by batch (Parquet row groups, CSV blocks), so memory
holds one chunk however many subscribers are simulated. Writing happens on one thread fed
by a bounded queue: Arrow encodes and compresses without the GIL, so the next chunk is
simulated while this one is written, and the single queue keeps the byte order of every
file independent of timing (same seed, same bytes).
"""

from __future__ import annotations

import json
import queue
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from telcrm.ingest.schemas import SCHEMAS

FORMATS = ("parquet", "csv")
MANIFEST = "MANIFEST.json"
_DONE = object()


def csv_ready(table: pa.Table) -> pa.Table:
    """Times as ISO 8601 with the +08:00 offset, the form the schema file documents."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S+08:00")
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


class Sink:
    """Files under ``out``: one per export kind in ``fmt``, plus Parquet ground truth."""

    def __init__(self, out: Path, fmt: str, truth_schemas: dict[str, pa.Schema]) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        self.out, self.fmt = out, fmt
        (out / "truth").mkdir(parents=True, exist_ok=True)
        (out / MANIFEST).unlink(missing_ok=True)  # an old manifest would vouch for new files
        self.rows: dict[str, int] = {}
        self._writers: dict[str, pq.ParquetWriter | pacsv.CSVWriter] = {}
        for kind, schema in SCHEMAS.items():
            name = f"{kind}.{fmt}"
            self._open(name, schema, fmt)
        for kind, schema in truth_schemas.items():
            self._open(f"truth/{kind}.parquet", schema, "parquet")
        self._queue: queue.Queue = queue.Queue(maxsize=12)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="simulate-writer", daemon=True)
        self._thread.start()

    def _open(self, name: str, schema: pa.Schema, fmt: str) -> None:
        path = self.out / name
        if fmt == "parquet":
            self._writers[name] = pq.ParquetWriter(
                path, schema, compression="zstd", store_decimal_as_integer=True
            )
        else:
            csv_schema = csv_ready(schema.empty_table()).schema
            self._writers[name] = pacsv.CSVWriter(
                path, csv_schema, write_options=pacsv.WriteOptions(quoting_style="needed")
            )
        self.rows[name] = 0

    def write(self, kind: str, table: pa.Table, truth: bool = False) -> None:
        """Queue ``table`` for the file of ``kind`` (a truth file when ``truth``)."""
        if self._error is not None:
            raise RuntimeError("writing the simulated files failed") from self._error
        name = f"truth/{kind}.parquet" if truth else f"{kind}.{self.fmt}"
        self.rows[name] += table.num_rows
        self._queue.put((name, table))

    def _run(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            name, table = item
            if self._error is not None:
                continue
            try:
                writer = self._writers[name]
                writer.write_table(csv_ready(table) if isinstance(writer, pacsv.CSVWriter) else table)
            except BaseException as exc:  # reported to the producer on its next write
                self._error = exc

    def close(self, manifest: dict) -> None:
        """Finish every file, then write the manifest (last, so it marks a complete output)."""
        self._queue.put(_DONE)
        self._thread.join()
        for writer in self._writers.values():
            writer.close()
        if self._error is not None:
            raise RuntimeError("writing the simulated files failed") from self._error
        manifest = {**manifest, "files": dict(sorted(self.rows.items()))}
        tmp = self.out / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        tmp.replace(self.out / MANIFEST)
