"""Bulk writers of the value results: a month's line values, enterprise values and the
tier changes against the month before (issue 3: "keeping history, so a customer page
shows how tier, value and risk moved month by month").

Each month is replaced whole (delete, then insert in batches with ``executemany``), which
makes a rerun for the same month replace its rows instead of adding to them. Nothing here
commits: the nightly run calls every writer inside its one transaction, so a run that
fails leaves the previous results as they were (architecture.md, convention 4). Other
apps write these tables only through this module.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from django.db import connection
from django.db.models import Max, Model

from telcrm.ingest import dbvalues as dv
from telcrm.ingest.sql import insert, table_name
from telcrm.value.models import EnterpriseValue, LineValue, TierChange

BATCH_ROWS = 50_000

LINE_VALUE_COLUMNS = (
    "subscription_id", "customer_id", "segment", "rule_version", "revenue", "margin", "additional_value",
    "potential_value", "lifetime_value", "expected_lifetime_months",
)
ENTERPRISE_VALUE_COLUMNS = (
    "customer_id", "grade", "stars", "rule_version", "revenue", "lines_revenue", "circuits_revenue", "margin",
    "additional_value", "potential_value", "lifetime_value", "lines", "circuits",
)


def column_params(column: pa.ChunkedArray | pa.Array) -> list:
    """A column as DB-API parameters in the forms Django itself stores (``ingest.dbvalues``):
    money (``decimal``) as its exact text, never a binary float."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_decimal(array.type):
        return dv.money(array)
    if pa.types.is_date(array.type):
        return dv.date(array)
    return array.to_pylist()


def _copy(model: type[Model], columns: tuple[str, ...], rows: list[tuple]) -> None:
    """PostgreSQL's ``COPY ... FROM STDIN``: about 17 times ``executemany``'s 20,000 rows a
    second, which would take most of a minute per table at a million lines."""
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table_name(model)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def insert_table(model: type[Model], table: pa.Table, columns: tuple[str, ...], *, month: dt.date) -> int:
    """Insert ``table``'s ``columns`` into ``model`` with ``month`` on every row, in batches
    (``COPY`` on PostgreSQL, ``executemany`` elsewhere)."""
    day = month.isoformat()
    write = _copy if connection.vendor == "postgresql" else insert
    for start in range(0, table.num_rows, BATCH_ROWS):
        part = table.slice(start, BATCH_ROWS)
        values = [column_params(part.column(name)) for name in columns]
        write(model, (*columns, "month"), [(*row, day) for row in zip(*values, strict=True)])
    return table.num_rows


def delete_month(model: type[Model], month: dt.date) -> int:
    day = connection.ops.adapt_datefield_value(month)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table_name(model)} WHERE month = %s", [day])
        return int(cursor.rowcount)


def replace_line_values(*, month: dt.date, rows: pa.Table) -> int:
    """``rows``: one per open line, the columns of ``LINE_VALUE_COLUMNS`` (money as decimal)."""
    delete_month(LineValue, month)
    return insert_table(LineValue, rows, LINE_VALUE_COLUMNS, month=month)


def replace_enterprise_values(*, month: dt.date, rows: pa.Table) -> int:
    """``rows``: one per enterprise customer, the columns of ``ENTERPRISE_VALUE_COLUMNS``."""
    delete_month(EnterpriseValue, month)
    return insert_table(EnterpriseValue, rows, ENTERPRISE_VALUE_COLUMNS, month=month)


def _record_changes(model: type[Model], tier: str, key: str, month: dt.date) -> int:
    """Rows of ``month`` whose ``tier`` differs from the latest earlier month's results (a
    line or enterprise new since then changes from blank). With no earlier month there is
    nothing to compare, and nothing is recorded: a first run is not a wave of changes."""
    previous = model._default_manager.filter(month__lt=month).aggregate(latest=Max("month"))["latest"]
    if previous is None:
        return 0
    line = key == "subscription_id"
    adapt = connection.ops.adapt_datefield_value
    sql = (
        f"INSERT INTO {table_name(TierChange)} (customer_id, subscription_id, month, previous, tier, rule_version)"
        f" SELECT cur.customer_id, {'cur.subscription_id' if line else 'NULL'}, cur.month,"
        f" COALESCE(prev.{tier}, ''), cur.{tier}, cur.rule_version"
        f" FROM {table_name(model)} cur LEFT JOIN {table_name(model)} prev"
        f" ON prev.{key} = cur.{key} AND prev.month = %s"
        f" WHERE cur.month = %s AND (prev.{tier} IS NULL OR prev.{tier} <> cur.{tier})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(previous), adapt(month)])
        return int(cursor.rowcount)


def replace_tier_changes(*, month: dt.date) -> int:
    """Record the segment and grade changes of ``month`` (already written) with the rule
    version that made the new tier, replacing what an earlier run of the month recorded."""
    delete_month(TierChange, month)
    return _record_changes(LineValue, "segment", "subscription_id", month) + _record_changes(
        EnterpriseValue, "grade", "customer_id", month
    )
