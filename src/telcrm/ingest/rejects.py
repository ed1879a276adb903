"""The reject file: one line per rule a row broke, with the row as it was in the file.

Columns: ``line, field, reason`` and then the file's own columns, so the operator can fix
the rows in a spreadsheet and import the corrected ones. Written as the validation pass
streams (memory stays flat however many rows fail); only the first errors are also kept
in memory, for the command's summary.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc

from telcrm.ingest.validate import Checked

SUMMARY_ERRORS = 20


def default_path(source: Path) -> Path:
    return source.with_name(source.name + ".rejects.csv")


class RejectWriter:
    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        self.rows = 0
        self.errors = 0
        self.first: list[str] = []
        self._file: IO[str] | None = None
        self._csv: Any = None

    def _open(self) -> None:
        self._file = self.path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(["line", "field", "reason", *self.columns])

    def add(self, checked: Checked) -> None:
        if not checked.errors:
            return
        if self._csv is None:
            self._open()
        data = checked.batch.data
        raw = {}
        for i, column, reason in sorted(checked.errors):
            if i not in raw:
                raw[i] = [
                    _cell(data.column(c)[i]) if c in data.schema.names else "" for c in self.columns
                ]
            line = checked.line(i)
            self._csv.writerow([line, column, reason, *raw[i]])
            if len(self.first) < SUMMARY_ERRORS:
                self.first.append(f"line {line}: {column} {reason}")
        self.rows += len(raw)
        self.errors += len(checked.errors)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _cell(scalar: pa.Scalar) -> str:
    if not scalar.is_valid:
        return ""
    value = scalar.as_py()
    if isinstance(value, str):
        return value
    return pc.cast(pa.array([value], scalar.type), pa.string())[0].as_py()
