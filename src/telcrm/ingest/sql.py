"""The SQL the bulk writers share: upsert, insert and update by id with ``executemany``.

Statements go through the connection's cursor inside the caller's transaction, with
Django's placeholders, so the same code runs on SQLite and PostgreSQL (both have
``INSERT ... ON CONFLICT ... DO UPDATE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Model


@dataclass
class WriteContext:
    actor: User
    touched_accounts: set[int] = field(default_factory=set)


Values = dict[str, pa.Array]


def table_name(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def upsert(model: type[Model], columns: tuple[str, ...], key: tuple[str, ...], rows: list,
            keep: tuple[str, ...] = ()) -> None:
    """Insert, or update every column but the key and ``keep`` (set on insert only)."""
    if not rows:
        return
    quoted = [connection.ops.quote_name(c) for c in columns]
    updates = ", ".join(f"{q} = excluded.{q}" for c, q in zip(columns, quoted, strict=True)
                        if c not in key and c not in keep)
    sql = (
        f"INSERT INTO {table_name(model)} ({', '.join(quoted)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(connection.ops.quote_name(k) for k in key)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cur:
        cur.executemany(sql, rows)


def insert(model: type[Model], columns: tuple[str, ...], rows: list) -> None:
    if not rows:
        return
    sql = (
        f"INSERT INTO {table_name(model)} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cur:
        cur.executemany(sql, rows)


def update_by_id(model: type[Model], columns: tuple[str, ...], rows: list) -> None:
    """``rows`` are the new column values followed by the row's id."""
    if not rows:
        return
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    with connection.cursor() as cur:
        cur.executemany(f"UPDATE {table_name(model)} SET {sets} WHERE id = %s", rows)
