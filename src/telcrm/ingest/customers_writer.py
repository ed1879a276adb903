"""Customers: new ones inserted in bulk, known ones updated field by field with history.

A customer record is also edited by staff (account managers keep strategic notes, agents
correct addresses), so an import must not silently overwrite it: only the fields whose
value differs are changed, each change is written to the field history (``FieldChange``,
source "import"; issue 2, "a field history on customers and enterprises") with personal
data masked (``core.masking.MASKERS``), and a blank cell in the file leaves the field as it
is (an export that lacks a value does not erase what staff entered).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from django.db import connection
from django.utils import timezone

from telcrm.core.masking import MASKERS
from telcrm.core.models import FieldChange
from telcrm.customers.models import Customer, CustomerStatus
from telcrm.ingest.sql import WriteContext, insert

# file column -> model attribute compared and updated; references by natural key
_PLAIN = ("kind", "name", "segment", "email", "since", "id_number", "birth_date", "gender",
          "address", "credit_code", "industry", "size", "strategic_notes", "competitor_presence")
_REFS = {"region": ("region", "code"), "account_manager": ("account_manager", "username"),
         "parent_customer_no": ("parent", "customer_no")}
_CHUNK = 500


def _shown(field: str, value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    masker = MASKERS.get(field)
    return masker(text) if masker else text


def _insert_new(rows: list[dict], now: dt.datetime) -> None:
    cols = ("customer_no", "status", "region_id", "account_manager_id", "created_at", "updated_at",
            "version", *_PLAIN)
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if connection.vendor != "sqlite":
        stamp += "+00:00"
    values = []
    for r in rows:
        plain = [r[f] if r[f] is not None else ("" if f not in ("since", "birth_date") else None)
                 for f in _PLAIN]
        plain = [p.isoformat() if isinstance(p, dt.date) else p for p in plain]
        values.append((r["customer_no"], CustomerStatus.ACTIVE.value, r["region_id"],
                       r["account_manager_id"], stamp, stamp, 1, *plain))
    insert(Customer, cols, values)


def _update_known(ctx: WriteContext, rows: list[dict]) -> list[tuple[str, str]]:
    """Apply changed fields; returns (customer_no, parent_customer_no) pairs to re-link."""
    relink = []
    by_no = {r["customer_no"]: r for r in rows}
    changes = []
    for start in range(0, len(rows), _CHUNK):
        chunk = [r["customer_no"] for r in rows[start:start + _CHUNK]]
        found = Customer.objects.filter(customer_no__in=chunk).select_related(
            "region", "account_manager", "parent")
        for customer in found:
            new = by_no[customer.customer_no]
            changed = []
            for f in _PLAIN:
                if new[f] is not None and getattr(customer, f) != new[f]:
                    changes.append((customer, f, getattr(customer, f), new[f]))
                    setattr(customer, f, new[f])
                    changed.append(f)
            for column, (attr, natural) in _REFS.items():
                current = getattr(customer, attr)
                old = getattr(current, natural) if current else None
                if new[column] is not None and old != new[column]:
                    changes.append((customer, attr, old, new[column]))
                    if attr == "parent":
                        relink.append((customer.customer_no, new[column]))
                    else:
                        setattr(customer, f"{attr}_id", new[f"{attr}_id"])
                        changed.append(attr)
            if changed:
                customer.version += 1
                customer.save(update_fields=[*changed, "version", "updated_at"])
    FieldChange.objects.bulk_create([
        FieldChange(actor=ctx.actor, subject_type="customer", subject_id=c.customer_no, field=f,
                    old_value=_shown(f, old), new_value=_shown(f, new), source="import")
        for c, f, old, new in changes
    ])
    return relink


def _relink_parents(pairs: list[tuple[str, str]]) -> None:
    """Parents are linked once the whole batch is in, as a parent may be on a later row."""
    if not pairs:
        return
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {table} SET parent_id = (SELECT p.id FROM {table} p WHERE p.customer_no = %s) "
            f"WHERE customer_no = %s",
            [(parent, no) for no, parent in pairs],
        )


def write_customers(ctx: WriteContext, v: dict[str, pa.Array]) -> None:
    columns = ("customer_no", *_PLAIN, *_REFS, "region_id", "account_manager_id", "existing_id")
    lists = [v[c].to_pylist() for c in columns]
    rows = [dict(zip(columns, vals, strict=True)) for vals in zip(*lists, strict=True)]
    now = timezone.now()
    new_rows = [r for r in rows if r["existing_id"] is None]
    _insert_new(new_rows, now)
    relink = _update_known(ctx, [r for r in rows if r["existing_id"] is not None])
    relink += [(r["customer_no"], r["parent_customer_no"]) for r in new_rows if r["parent_customer_no"]]
    _relink_parents(relink)
