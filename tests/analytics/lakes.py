"""Small builders for analytics tests: bills, usage and subscriber rows for one line at a
time, written as real Parquet files in the lake's hive layout and read back through the
pipeline's own reader."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from telcrm.analytics import backends, schemas
from telcrm.analytics.months import shift_month


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def bills(msisdn: str, first_month: str, totals: list[float | None], **categories: list[float]) -> list[dict]:
    """One bill per month from ``first_month``; ``None`` leaves the month without a bill.
    Categories default to the whole total under ``plan_fee``."""
    rows = []
    for i, total in enumerate(totals):
        if total is None:
            continue
        row = {"msisdn": msisdn, "month": shift_month(first_month, i), "total": money(total)}
        for name in (*schemas.BILL_CATEGORIES, "discount"):
            values = categories.get(name)
            default = total if name == "plan_fee" else 0.0
            row[name] = money(values[i] if values is not None else default)
        rows.append(row)
    return rows


def usage(
    msisdn: str,
    first_month: str,
    voice: list[int],
    *,
    data: list[int] | None = None,
    sms: list[int] | None = None,
    competitor: list[int] | None = None,
) -> list[dict]:
    n = len(voice)
    data, sms, competitor = data or [0] * n, sms or [0] * n, competitor or [0] * n
    return [
        {
            "msisdn": msisdn,
            "month": shift_month(first_month, i),
            "voice_minutes": voice[i],
            "data_mb": data[i],
            "sms_count": sms[i],
            "competitor_calls": competitor[i] // 3,
            "competitor_minutes": competitor[i],
        }
        for i in range(n)
    ]


def subscriber(msisdn: str, **fields) -> dict:  # type: ignore[no-untyped-def]
    row = {
        "msisdn": msisdn,
        "customer_no": f"C{msisdn}",
        "payment_type": "postpaid",
        "brand": "gotone",
        "region": "SH-XH",
        "activated_on": dt.date(2020, 1, 15),
        "contract_end": None,
        "status": "active",
        "status_reason": "",
        "status_date": dt.date(2020, 1, 15),
        "arrears": money(0),
        "complaints_3m": 0,
        "complaints_resolved_3m": 0,
        "termination_requests_3m": 0,
        "care_contacts_3m": 0,
    }
    row.update(fields)
    if isinstance(row["arrears"], float | int):
        row["arrears"] = money(row["arrears"])
    return row


def _arrow(rows: list[dict], schema: ibis.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema.to_pyarrow())


def write_lake(root: Path, kind: str, rows: list[dict]) -> None:
    """Hive-partitioned by month, as ``telcrm import`` lays the lake out."""
    table = _arrow(rows, schemas.LAKE_KINDS[kind])
    ds.write_dataset(
        table,
        Path(root) / kind,
        format="parquet",
        partitioning=["month"],
        partitioning_flavor="hive",
        existing_data_behavior="overwrite_or_ignore",
        basename_template=f"part-{len(list(Path(root).glob(f'{kind}/**/*.parquet')))}-{{i}}.parquet",
    )


def write_table(path: Path, rows: list[dict], schema: ibis.Schema) -> Path:
    pq.write_table(_arrow(rows, schema), path)
    return path


class Lake:
    """A lake and subscriber snapshot in a directory, opened on DuckDB."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.con = backends.connect(threads=1)

    def add(self, *, bill_rows: list[dict] | None = None, usage_rows: list[dict] | None = None) -> Lake:
        if bill_rows:
            write_lake(self.root / "lake", "bills", bill_rows)
        if usage_rows:
            write_lake(self.root / "lake", "usage", usage_rows)
        return self

    def tables(self, subscriber_rows: list[dict]) -> tuple[ibis.Table, ibis.Table, ibis.Table]:
        path = write_table(self.root / "subscribers.parquet", subscriber_rows, schemas.SUBSCRIBERS)
        return (
            backends.read_lake(self.con, self.root / "lake", "bills"),
            backends.read_lake(self.con, self.root / "lake", "usage"),
            backends.read_snapshot(self.con, path, schemas.SUBSCRIBERS),
        )
