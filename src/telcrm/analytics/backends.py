"""The one place that picks the engine the analytics expressions run on.

Feature, tier and warning functions only build Ibis expressions (architecture.md,
convention 8); whoever runs them asks this module for a backend and for the lake's tables,
so moving the nightly run from embedded DuckDB to Spark changes one argument, not the
expressions.

Spark runs through Ibis' PySpark backend: ``local[N]`` (a JVM on this machine, N worker
threads) or a cluster's master URL, which the caller passes in (settings.SPARK_MASTER for
the nightly command; this module reads no setting, so it runs on a notebook or executor
unchanged). Whatever the engine, the lake reads the same: ``month`` a ``YYYY-MM`` string,
dates as dates, times in UTC.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ibis
import ibis.expr.schema as sch
from ibis.backends import BaseBackend

from telcrm.analytics.schemas import LAKE_KINDS

ENGINES = ("duckdb", "spark")
_LOG4J = (Path(__file__).parent / "log4j2.properties").as_uri()

# Spark settings that make a session read and compute like the DuckDB path: the hive
# partition ``month=2024-11`` stays the string "2024-11" (Spark would otherwise infer a
# date or number), session times are UTC, and no web UI or progress bar is started.
_SPARK_CONF = {
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.extraJavaOptions": f"-Duser.timezone=UTC -Dlog4j2.configurationFile={_LOG4J}",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
}
# A local session listens on loopback only (and Spark does not warn about the host name).
_SPARK_LOCAL_CONF = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}


class LakeMissingError(FileNotFoundError):
    """The lake holds no Parquet file of the requested kind (nothing imported yet)."""


def connect(
    engine: str = "duckdb",
    *,
    threads: int | None = None,
    master: str | None = None,
    shuffle_partitions: int | None = None,
    driver_memory: str = "2g",
    memory_limit: str | None = None,
) -> BaseBackend:
    """An Ibis backend. ``threads`` caps DuckDB's worker threads (default: all cores) or
    sets Spark's ``local[threads]`` (default ``local[2]``) when no ``master`` URL is given.

    ``memory_limit`` (e.g. ``"8GB"``) caps DuckDB, which otherwise takes up to 80% of the
    machine's memory for its hash tables and spills to disk only beyond that; with a cap,
    rows are also no longer kept in their read order, which large aggregations and exports
    need memory for (results that need an order sort, as every reader here does).

    ``shuffle_partitions`` defaults to two per local thread: Spark's 200 suit a cluster,
    while on one machine every partition is a task to schedule, which dominates small
    lakes. ``driver_memory`` only takes effect when this call starts the JVM.
    """
    if engine == "duckdb":
        config: dict = {} if threads is None else {"threads": threads}
        if memory_limit is not None:
            config.update(memory_limit=memory_limit, preserve_insertion_order=False)
        return ibis.duckdb.connect(**config)
    if engine == "spark":
        return _connect_spark(master or f"local[{threads or 2}]", shuffle_partitions, driver_memory)
    raise ValueError(f"unknown analytics engine {engine!r}; available: {', '.join(ENGINES)}")


def _connect_spark(master: str, shuffle_partitions: int | None, driver_memory: str) -> BaseBackend:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("telcrm-nightly")
    local = master.startswith("local")
    conf = {**_SPARK_CONF, **(_SPARK_LOCAL_CONF if local else {}), "spark.driver.memory": driver_memory}
    if shuffle_partitions is None and local:
        cores = master.removeprefix("local[").rstrip("]")
        shuffle_partitions = 2 * int(cores) if cores.isdigit() else None
    if shuffle_partitions is not None:
        conf["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # py4j reports each closed gateway connection at INFO, also at interpreter exit.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    # getOrCreate returns a running session as it is: settings made per session apply again.
    for key, value in conf.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    return ibis.pyspark.connect(session)


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
    if con.name == "pyspark":
        # The directory, so Spark discovers ``month`` from the paths; the glob skips an
        # import's uncommitted ``*.parquet.tmp-PID`` files, as DuckDB's pattern does.
        table = con.read_parquet(str(root), basePath=str(root), pathGlobFilter="*.parquet")
    else:
        table = con.read_parquet(
            str(root / "**" / "*.parquet"), hive_partitioning=True, hive_types_autocast=False
        )
    return _conform(table, schema)


def read_snapshot(con: BaseBackend, path: Path | str, schema: sch.Schema) -> ibis.Table:
    """A table the nightly run exported from the database (``schemas.SUBSCRIBERS``, ...)."""
    return _conform(con.read_parquet(str(path)), schema)
