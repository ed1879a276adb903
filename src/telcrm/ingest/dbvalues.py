"""Arrow columns as DB-API parameters, in the text forms Django itself stores.

Bulk writes bypass the ORM (``executemany`` on the connection's cursor), so the values must
already look like Django's own: dates ``YYYY-MM-DD``, money as decimal text, and times in
UTC, which on SQLite Django keeps as naive ``YYYY-MM-DD HH:MM:SS`` text while PostgreSQL
takes them with their offset. Blank text cells become ``''`` for NOT NULL text columns.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection


def text(arr: pa.Array, blank: str | None = "") -> list:
    if blank is not None:
        arr = pc.fill_null(arr, blank)
    return arr.to_pylist()


def money(arr: pa.Array, default: str | None = None) -> list:
    out = pc.cast(arr, pa.string())
    if default is not None:
        out = pc.fill_null(out, default)
    return out.to_pylist()


def date(arr: pa.Array) -> list:
    return pc.strftime(arr, format="%Y-%m-%d").to_pylist() if len(arr) else []


def month(arr: pa.Array) -> list:
    """A month ``YYYY-MM`` is stored as its first day."""
    return pc.binary_join_element_wise(arr, "-01", "").to_pylist()


def timestamp(arr: pa.Array) -> list:
    if not len(arr):
        return []
    out = pc.strftime(pc.cast(arr, pa.timestamp("s", tz="UTC")), format="%Y-%m-%d %H:%M:%S")
    if connection.vendor != "sqlite":
        out = pc.binary_join_element_wise(out, "+00:00", "")
    return out.to_pylist()


def ints(arr: pa.Array, default: int | None = None) -> list:
    if default is not None:
        arr = pc.fill_null(arr, default)
    return arr.to_pylist()


def rows(*columns: list) -> list[tuple]:
    return list(zip(*columns, strict=True))
