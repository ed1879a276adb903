"""The one place that picks the engine the analytics expressions run on.

Feature, tier and warning functions only build Ibis expressions (architecture.md,
convention 8); whoever runs them asks this module for a backend and for the lake's tables,
so moving the nightly run from embedded DuckDB to Spark changes one argument, not the
expressions.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.schema as sch
from ibis.backends import BaseBackend

from telcrm.analytics.schemas import LAKE_KINDS

ENGINES = ("duckdb",)


class LakeMissingError(FileNotFoundError):
    """The lake holds no Parquet file of the requested kind (nothing imported yet)."""


def connect(engine: str = "duckdb", *, threads: int | None = None) -> BaseBackend:
    """An Ibis backend; ``threads`` caps DuckDB's worker threads (default: all cores)."""
    if engine == "duckdb":
        config = {} if threads is None else {"threads": threads}
        return ibis.duckdb.connect(**config)
    raise ValueError(f"unknown analytics engine {engine!r}; available: {', '.join(ENGINES)}")


def _conform(table: ibis.Table, schema: sch.Schema) -> ibis.Table:
    """Keep the schema's columns in its order and types, so a lake written by an older
    importer (an extra column, an int64 where int32 is declared) reads the same."""
    missing = [name for name in schema.names if name not in table.columns]
    if missing:
        raise ValueError(f"table lacks columns {missing}")
    return table.select(*(table[name].cast(dtype).name(name) for name, dtype in schema.items()))


def read_lake(con: BaseBackend, lake_dir: Path | str, kind: str) -> ibis.Table:
    """The lake's ``bills`` or ``usage`` table, all months, ``month`` as a ``YYYY-MM``
    string read from the hive partition (``LAKE/<kind>/month=YYYY-MM/*.parquet``, see
    ``analytics/lake.py``). Filters on ``month`` prune whole partitions."""
    schema = LAKE_KINDS.get(kind)
    if schema is None:
        raise ValueError(f"unknown lake kind {kind!r}; known: {', '.join(LAKE_KINDS)}")
    root = Path(lake_dir) / kind
    if not any(root.glob("month=*/*.parquet")):
        raise LakeMissingError(f"no Parquet files under {root}")
    table = con.read_parquet(
        str(root / "**" / "*.parquet"), hive_partitioning=True, hive_types_autocast=False
    )
    return _conform(table, schema)


def read_snapshot(con: BaseBackend, path: Path | str, schema: sch.Schema) -> ibis.Table:
    """A table the nightly run exported from the database (``schemas.SUBSCRIBERS``, ...)."""
    return _conform(con.read_parquet(str(path)), schema)
