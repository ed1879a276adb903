"""The snapshot: what the analytics read from the operational database, as Parquet files.

Bills and usage are already in the lake, but the facts the features also need (activation,
contract end, status, arrears 欠费, complaints and termination requests 销户申请) live in the
database (``analytics/schemas.py``). The run exports them once, before it starts, so the
Ibis expressions read only files and run unchanged on DuckDB or on a Spark executor
(architecture.md, "One analytics path").

At a million lines the export must stream: rows go from a server-side cursor (PostgreSQL;
SQLite reads lazily anyway) in chunks into a Parquet writer, never into one list of model
objects. Besides the schema's columns, ``subscribers.parquet`` carries ``subscription_id``
and ``customer_id`` and ``enterprises.parquet`` ``customer_id``: the readers drop them
(``backends.read_snapshot`` keeps the schema's columns only), and the write-back uses them
to put each result on its row.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection
from django.db.models import Model

from telcrm.analytics import schemas
from telcrm.analytics.months import month_end, shift_month
from telcrm.core.models import Region
from telcrm.customers.models import (
    Account,
    Customer,
    CustomerKind,
    CustomerStatus,
    EnterpriseService,
    Interaction,
    InteractionOutcome,
    InteractionTopic,
    Subscription,
)

CHUNK_ROWS = 100_000
# Extra columns of subscribers.parquet: the database keys of each line, for the write-back.
KEY_COLUMNS = {"subscription_id": pa.int64(), "customer_id": pa.int64()}


@dataclass(frozen=True)
class Snapshot:
    """The files of one export and how many rows each holds."""

    directory: Path
    subscribers: Path
    enterprises: Path
    enterprise_tree: Path
    circuits: Path
    counts: dict[str, int]


# Enterprise customers still on the books (a merged record lives on in its survivor).
_ENTERPRISE = f"e.kind = '{CustomerKind.ENTERPRISE}' AND e.status <> '{CustomerStatus.MERGED}'"


def _t(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _local_midnight(day: dt.date) -> object:
    """A month boundary in the operator's time zone, as the database compares timestamps."""
    moment = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))
    return connection.ops.adapt_datetimefield_value(moment)


def _interaction_window(as_of: str) -> tuple[object, object]:
    """The three calendar months ending with ``as_of``: the window the features call "3m"."""
    first = dt.date.fromisoformat(shift_month(as_of, -2) + "-01")
    return _local_midnight(first), _local_midnight(month_end(as_of) + dt.timedelta(days=1))


def _subscribers_sql() -> str:
    i = _t(Interaction)
    counts = (
        "SELECT subscription_id,"
        f" SUM(CASE WHEN topic = '{InteractionTopic.COMPLAINT}' THEN 1 ELSE 0 END) AS complaints,"
        f" SUM(CASE WHEN topic = '{InteractionTopic.COMPLAINT}' AND outcome = '{InteractionOutcome.RESOLVED}'"
        " THEN 1 ELSE 0 END) AS resolved,"
        f" SUM(CASE WHEN topic = '{InteractionTopic.TERMINATION_REQUEST}' THEN 1 ELSE 0 END) AS terminations,"
        f" SUM(CASE WHEN topic = '{InteractionTopic.CARE}' THEN 1 ELSE 0 END) AS care"
        f" FROM {i} WHERE subscription_id IS NOT NULL AND occurred_at >= %s AND occurred_at < %s"
        " GROUP BY subscription_id"
    )
    return (
        "SELECT s.msisdn, c.customer_no, s.payment_type, s.brand, r.code, s.activated_on, s.contract_end,"
        " s.status, s.status_reason, s.status_date,"
        " CASE WHEN a.balance < 0 THEN -a.balance ELSE 0 END,"
        " COALESCE(n.complaints, 0), COALESCE(n.resolved, 0), COALESCE(n.terminations, 0), COALESCE(n.care, 0),"
        " s.id, s.customer_id"
        f" FROM {_t(Subscription)} s"
        f" JOIN {_t(Customer)} c ON c.id = s.customer_id"
        f" JOIN {_t(Region)} r ON r.id = s.region_id"
        f" JOIN {_t(Account)} a ON a.id = s.account_id"
        f" LEFT JOIN ({counts}) n ON n.subscription_id = s.id"
        " ORDER BY s.id"
    )


def _column(values: list, dtype: pa.DataType) -> pa.Array:
    """One fetched column as Arrow: SQLite hands back dates as text and money as floats,
    PostgreSQL as ``date`` and ``Decimal``; both end as the schema's type."""
    sample = next((v for v in values if v is not None), None)
    if pa.types.is_date(dtype) and isinstance(sample, str):
        return pc.cast(pa.array(values, pa.string()), dtype)
    if pa.types.is_decimal(dtype) and not isinstance(sample, decimal.Decimal):
        return pc.cast(pc.round(pa.array(values, pa.float64()), 2), dtype)
    return pa.array(values, dtype)


def _batches(sql: str, params: tuple, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            columns = zip(*rows, strict=True)
            yield pa.RecordBatch.from_arrays(
                [_column(list(values), field.type) for values, field in zip(columns, schema, strict=True)],
                schema=schema,
            )


def _write(path: Path, sql: str, params: tuple, schema: pa.Schema) -> int:
    """Stream the query into ``path`` (under a temporary name until complete)."""
    tmp = path.with_suffix(".parquet.tmp")
    rows = 0
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for batch in _batches(sql, params, schema):
            writer.write_batch(batch)
            rows += batch.num_rows
    tmp.replace(path)
    return rows


def export_snapshot(directory: Path, *, as_of: str) -> Snapshot:
    """Write subscribers, enterprises, their tree and circuits as of ``as_of`` to
    ``directory`` (created if missing; earlier files there are replaced)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    subscriber_schema = pa.schema([*schemas.SUBSCRIBERS.to_pyarrow(), *KEY_COLUMNS.items()])
    c = _t(Customer)
    names = ("subscribers", "enterprises", "enterprise_tree", "circuits")
    paths = {name: directory / f"{name}.parquet" for name in names}
    counts = {
        "subscribers": _write(paths["subscribers"], _subscribers_sql(), _interaction_window(as_of), subscriber_schema),
        "enterprises": _write(
            paths["enterprises"], f"SELECT customer_no, id FROM {c} e WHERE {_ENTERPRISE} ORDER BY customer_no", (),
            pa.schema([*schemas.ENTERPRISES.to_pyarrow(), ("customer_id", pa.int64())]),
        ),
        "enterprise_tree": _write(
            paths["enterprise_tree"],
            f"SELECT e.customer_no, p.customer_no FROM {c} e LEFT JOIN {c} p ON p.id = e.parent_id"
            f" WHERE {_ENTERPRISE} ORDER BY e.customer_no",
            (), schemas.ENTERPRISE_TREE.to_pyarrow(),
        ),
        "circuits": _write(
            paths["circuits"],
            "SELECT s.service_no, c.customer_no, s.status, s.activated_on, s.monthly_fee"
            f" FROM {_t(EnterpriseService)} s JOIN {c} c ON c.id = s.customer_id ORDER BY s.service_no",
            (), schemas.CIRCUITS.to_pyarrow(),
        ),
    }
    return Snapshot(directory=directory, counts=counts, **paths)
