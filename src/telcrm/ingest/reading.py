"""Streaming reads of an import file, CSV or Parquet, as Arrow record batches.

Files can hold tens of millions of rows (issue 2: "no row caps"), so nothing here loads a
whole file: CSV goes through ``pyarrow.csv.open_csv`` and Parquet through
``ParquetFile.iter_batches``, one batch at a time. CSV cells are read as text, so that
type errors become per-row rejects with a line number instead of one failure for the
file; Parquet columns keep their types and are checked against the schema later.

Operators' billing systems on Windows export GB18030 (国标) CSVs; ``auto`` tells it from
UTF-8 by decoding the file as UTF-8 and falling back at the first invalid byte.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from telcrm.core.errors import ValidationFailed

BATCH_ROWS = 65_536
_CSV_BLOCK = 8 << 20
_SNIFF_CHUNK = 4 << 20
ENCODINGS = ("auto", "utf-8", "gb18030")


@dataclass(frozen=True)
class Batch:
    """Rows of one batch, with the number of the first row as the operator sees it.

    ``first_line`` is the CSV line of the first row (header = line 1) or, for Parquet, the
    1-based row number, so every error message can name the row a person would look up.
    """

    first_line: int
    data: pa.RecordBatch


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise ValidationFailed(f"{path.name}: unknown file type {suffix!r} (expected .csv or .parquet)")


def detect_encoding(path: Path) -> str:
    """UTF-8 unless some byte sequence of the file is not valid UTF-8, then GB18030.

    The whole file is decoded incrementally (about a second per GB) because a UTF-8 check
    of the first block alone would pass a GB18030 file whose Chinese text starts late.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as f:
        while chunk := f.read(_SNIFF_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return "gb18030"
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def source_digest(path: Path) -> str:
    """A digest of the file's bytes: names its lake files, so a re-import overwrites them."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_SNIFF_CHUNK):
            h.update(chunk)
    return h.hexdigest()[:20]


def csv_header(path: Path, encoding: str) -> list[str]:
    with path.open("r", encoding=encoding, newline="") as f:
        first = f.readline().lstrip("\ufeff").rstrip("\r\n")
    return [c.strip().strip('"') for c in first.split(",")]


def file_columns(path: Path, encoding: str) -> list[str]:
    if file_format(path) == "parquet":
        return list(pq.ParquetFile(path).schema_arrow.names)
    return csv_header(path, encoding)


def check_columns(path: Path, columns: list[str], schema: pa.Schema, required: tuple[str, ...]) -> None:
    """A file missing a required column is refused before any row is read."""
    missing = [name for name in required if name not in columns]
    if missing:
        raise ValidationFailed(
            f"{path.name}: missing required column(s) {', '.join(missing)} "
            f"(expected columns: {', '.join(schema.names)})"
        )


def _conform(batch: pa.RecordBatch, schema: pa.Schema, text: bool) -> pa.RecordBatch:
    """The schema's columns in the schema's order; a column the file lacks is all nulls."""
    arrays = []
    for field in schema:
        idx = batch.schema.get_field_index(field.name)
        if idx >= 0:
            arrays.append(batch.column(idx))
        else:
            arrays.append(pa.nulls(batch.num_rows, pa.string() if text else field.type))
    return pa.RecordBatch.from_arrays(arrays, names=schema.names)


def iter_batches(path: Path, schema: pa.Schema, encoding: str) -> Iterator[Batch]:
    """Stream the file's rows in batches conforming to ``schema``'s column names."""
    if file_format(path) == "parquet":
        pf = pq.ParquetFile(path)
        present = [n for n in schema.names if n in pf.schema_arrow.names]
        line = 1
        for rb in pf.iter_batches(batch_size=BATCH_ROWS, columns=present):
            yield Batch(line, _conform(rb, schema, text=False))
            line += rb.num_rows
        return
    header = csv_header(path, encoding)
    present = [n for n in schema.names if n in header]
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, block_size=_CSV_BLOCK),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in header},
            include_columns=present,
            strings_can_be_null=True,
            null_values=[""],
        ),
    )
    line = 2
    for rb in reader:
        for start in range(0, rb.num_rows, BATCH_ROWS):
            part = rb.slice(start, BATCH_ROWS)
            yield Batch(line, _conform(part, schema, text=True))
            line += part.num_rows


def count_rows(path: Path, encoding: str) -> int | None:
    """Rows in the file, for the progress bar: free for Parquet, unknown for CSV."""
    if file_format(path) == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    return None
