"""Bulk writers of the churn results: a month's line risks and its warnings inbox.

Line risks are replaced whole, like the value results (``value.store``). Warnings cannot
be: people assign follow-ups to them (call, visit, offer) and record outcomes, and a rerun
of the month must not erase that work. So a warning with a follow-up stays, with its
figures refreshed when it fires again; only untouched warnings are deleted and written
anew. Nothing here commits: the nightly run owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from telcrm.churn.models import FollowUp, LineRisk, Warning, WarningStatus
from telcrm.ingest.sql import table_name, update_by_id
from telcrm.value.store import BATCH_ROWS, column_params, delete_month, insert_table

LINE_RISK_COLUMNS = (
    "subscription_id", "customer_id", "probability", "model_id", "reasons", "warning_rules", "warning_details",
    "rule_version", "expected_loss",
)
# What a rerun refreshes on a warning people already work on.
WARNING_FIGURES = ("rules", "details", "rule_version", "probability", "expected_loss")
WARNING_COLUMNS = ("subscription_id", "customer_id", *WARNING_FIGURES)


@dataclass(frozen=True)
class WarningsWritten:
    inserted: int
    refreshed: int
    kept: int

    @property
    def total(self) -> int:
        return self.inserted + self.kept


def replace_line_risks(*, month: dt.date, rows: pa.Table) -> int:
    """``rows``: one per open line, the columns of ``LINE_RISK_COLUMNS`` (``reasons`` as
    JSON text, ``expected_loss`` as decimal)."""
    delete_month(LineRisk, month)
    return insert_table(LineRisk, rows, LINE_RISK_COLUMNS, month=month)


def _followed_up(month: dt.date) -> dict[int, int]:
    """Subscription id -> warning id of the month's warnings that have a follow-up."""
    sql = (
        f"SELECT w.subscription_id, w.id FROM {table_name(Warning)} w WHERE w.month = %s"
        f" AND EXISTS (SELECT 1 FROM {table_name(FollowUp)} f WHERE f.warning_id = w.id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datefield_value(month)])
        return dict(cursor.fetchall())


def replace_warnings(*, month: dt.date, rows: pa.Table) -> WarningsWritten:
    """``rows``: one per warned line, the columns of ``WARNING_COLUMNS``. Warnings of the
    month without a follow-up are replaced by ``rows``; those with one are kept, and their
    figures updated where the line is warned again."""
    kept = _followed_up(month)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table_name(Warning)} WHERE month = %s AND NOT EXISTS"
            f" (SELECT 1 FROM {table_name(FollowUp)} f WHERE f.warning_id = {table_name(Warning)}.id)",
            [connection.ops.adapt_datefield_value(month)],
        )
    again = pc.is_in(rows.column("subscription_id"), value_set=pa.array(list(kept), pa.int64()))
    fresh = rows.filter(pc.invert(again))
    fresh = fresh.append_column("status", pa.array([WarningStatus.OPEN.value] * fresh.num_rows, pa.string()))
    inserted = insert_table(Warning, fresh, (*WARNING_COLUMNS, "status"), month=month)
    refreshed_rows = rows.filter(again)
    for start in range(0, refreshed_rows.num_rows, BATCH_ROWS):
        part = refreshed_rows.slice(start, BATCH_ROWS)
        figures = [column_params(part.column(name)) for name in WARNING_FIGURES]
        ids = [kept[s] for s in part.column("subscription_id").to_pylist()]
        update_by_id(Warning, WARNING_FIGURES, [(*values, pk) for *values, pk in zip(*figures, ids, strict=True)])
    return WarningsWritten(inserted=inserted, refreshed=refreshed_rows.num_rows, kept=len(kept))
