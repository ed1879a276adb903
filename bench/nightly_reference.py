"""The nightly features in plain pandas: the reference issue 3 asks the pipeline to beat by
10x, and a second, independent implementation the Ibis expressions are checked against.

Run on a lake (``--lake``) and a subscriber snapshot (``--subscribers``, the table
``telcrm.analytics.schemas.SUBSCRIBERS``); ``--from-simulation DIR`` first lands the files
of ``telcrm simulate --out DIR`` into that lake with the importer's own writer and builds
the snapshot from its subscriptions (interaction counts and arrears zero), so the figures
need no database::

    telcrm simulate --subscribers 1000000 --months 24 --out SIM
    python -m bench.nightly_reference --from-simulation SIM --lake LAKE \\
        --subscribers SNAPSHOT.parquet --as-of 2026-10

It prints the wall time of each implementation from the lake to its natural result (an
Arrow table for Ibis, which the nightly run writes from; a DataFrame for pandas), their
ratio, and whether every feature of every line agrees (relative and absolute tolerance
1e-9; the Arrow table is converted to pandas for that check, outside the timing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from telcrm.analytics import backends, features, schemas
from telcrm.analytics.lake import LakeWriter
from telcrm.analytics.months import month_end, month_index, shift_month

TOLERANCE = 1e-9
COUNTS = ("complaints_3m", "complaints_resolved_3m", "termination_requests_3m", "care_contacts_3m")


def _window(lake_dir: Path, kind: str, as_of: str) -> pd.DataFrame:
    """The 12 months ending at ``as_of``, money as float64, with ``back`` and ``x``."""
    first = shift_month(as_of, -11)
    dataset = ds.dataset(Path(lake_dir) / kind, format="parquet", partitioning="hive")
    month = ds.field("month")
    table = dataset.to_table(filter=(month >= first) & (month <= as_of))
    for i, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.float64()))
    frame = table.to_pandas()
    months = frame["month"].astype(str)
    index = months.str[:4].astype(int) * 12 + months.str[5:7].astype(int) - 1
    frame["back"] = month_index(as_of) - index
    frame["x"] = (11 - frame["back"]).astype(float)
    return frame


def _slope_parts(frame: pd.DataFrame, y: pd.Series, months: int, name: str) -> dict[str, pd.Series]:
    within = (frame["back"] < months) & y.notna()
    x, yy = frame["x"].where(within), y.where(within)
    return {f"{name}_n": within.astype(float), f"{name}_sx": x, f"{name}_sy": yy, f"{name}_sxy": x * yy,
            f"{name}_sxx": x * x}


def _slope(sums: pd.DataFrame, name: str) -> pd.Series:
    n, sx, sy = sums[f"{name}_n"], sums[f"{name}_sx"], sums[f"{name}_sy"]
    denominator = (n * sums[f"{name}_sxx"] - sx**2).replace(0, np.nan)
    return (n * sums[f"{name}_sxy"] - sx * sy) / denominator


def reference_spend(lake_dir: Path, as_of: str) -> pd.DataFrame:
    frame = _window(lake_dir, "bills", as_of)
    total, back = frame["total"], frame["back"]
    last3, prev6 = back < 3, (back >= 3) & (back < 9)
    cols = pd.DataFrame({
        "msisdn": frame["msisdn"],
        "total": total,
        "t3": total.where(last3),
        "t6": total.where(back < 6),
        "p6": total.where(prev6),
        **{name: frame[name].where(last3) for name in schemas.BILL_CATEGORIES},
        **_slope_parts(frame, total, 6, "s6"),
        **_slope_parts(frame, total, 12, "s12"),
    })
    sums = [c for c in cols.columns if c.startswith(("s6_", "s12_"))]
    g = cols.groupby("msisdn")
    out = g.agg(
        bill_months_12m=("total", "count"),
        spend_mean_3m=("t3", "mean"),
        spend_mean_6m=("t6", "mean"),
        spend_mean_12m=("total", "mean"),
        spend_mean_prev6=("p6", "mean"),
        bill_months_prev6=("p6", "count"),
        spend_std_12m=("total", "std"),
        **{f"{name}_mean_3m": (name, "mean") for name in schemas.BILL_CATEGORIES},
    )
    slope_sums = g[sums].sum(min_count=1)
    out["spend_slope_6m"] = _slope(slope_sums, "s6")
    out["spend_slope_12m"] = _slope(slope_sums, "s12")
    out["spend_ratio_3v6"] = out.spend_mean_3m / out.spend_mean_prev6.replace(0, np.nan)
    out["spend_volatility_12m"] = out.pop("spend_std_12m") / out.spend_mean_12m.replace(0, np.nan)
    return out


def reference_usage(lake_dir: Path, as_of: str) -> pd.DataFrame:
    frame = _window(lake_dir, "usage", as_of)
    back = frame["back"]
    last3, prev6 = back < 3, (back >= 3) & (back < 9)
    cols = pd.DataFrame({"msisdn": frame["msisdn"], "one": 1})
    for name in (*schemas.USAGE_MEASURES, "competitor_minutes"):
        value = frame[name].astype(float)
        cols[f"{name}_3"], cols[f"{name}_6"] = value.where(last3), value.where(prev6)
    g = cols.groupby("msisdn")
    out = g.agg(
        usage_months_12m=("one", "count"),
        **{f"{name}_mean_3m": (f"{name}_3", "mean") for name in schemas.USAGE_MEASURES},
        **{f"{name}_mean_prev6": (f"{name}_6", "mean") for name in schemas.USAGE_MEASURES},
    )
    sums = g[["voice_minutes_3", "voice_minutes_6", "competitor_minutes_3", "competitor_minutes_6"]].sum(min_count=1)
    for name in schemas.USAGE_MEASURES:
        out[f"{name}_ratio_3v6"] = out[f"{name}_mean_3m"] / out[f"{name}_mean_prev6"].replace(0, np.nan)
    out["competitor_share_3m"] = sums.competitor_minutes_3 / sums.voice_minutes_3.replace(0, np.nan)
    out["competitor_share_prev6"] = sums.competitor_minutes_6 / sums.voice_minutes_6.replace(0, np.nan)
    out["competitor_share_change"] = out.competitor_share_3m - out.competitor_share_prev6
    return out


def reference_attributes(subscribers_path: Path, as_of: str) -> pd.DataFrame:
    s = pd.read_parquet(subscribers_path, columns=list(schemas.SUBSCRIBERS.names))
    day = pd.Timestamp(month_end(as_of))
    for name in ("activated_on", "contract_end", "status_date"):
        s[name] = pd.to_datetime(s[name])
    s = s[s.activated_on <= day].copy()
    in_force = s.status_date <= day
    months = month_index(as_of)
    s["tenure_months"] = months - (s.activated_on.dt.year * 12 + s.activated_on.dt.month - 1)
    s["months_to_contract_end"] = s.contract_end.dt.year * 12 + s.contract_end.dt.month - 1 - months
    s["days_to_contract_end"] = (s.contract_end - day).dt.days
    s["suspended"] = (s.status == "suspended") & in_force
    s["closed"] = (s.status == "closed") & in_force
    s["status_date"] = s.status_date.where(in_force)
    s["status_reason"] = s.status_reason.where(in_force)
    s["arrears"] = s.arrears.astype(float).fillna(0.0)
    for name in COUNTS:
        s[name] = s[name].fillna(0)
    return s.drop(columns=["activated_on", "status"]).set_index("msisdn")


def reference_features(lake_dir: Path, subscribers_path: Path, as_of: str) -> pd.DataFrame:
    out = reference_attributes(subscribers_path, as_of)
    out = out.join(reference_spend(lake_dir, as_of)).join(reference_usage(lake_dir, as_of))
    for name in ("bill_months_12m", "bill_months_prev6", "usage_months_12m"):
        out[name] = out[name].fillna(0)
    return out


def ibis_features(lake_dir: Path, subscribers_path: Path, as_of: str, threads: int | None = None) -> pa.Table:
    """The pipeline's features, materialised as Arrow: the form the nightly run writes from."""
    con = backends.connect(threads=threads)
    expr = features.subscriber_features(
        backends.read_lake(con, lake_dir, "bills"),
        backends.read_lake(con, lake_dir, "usage"),
        backends.read_snapshot(con, subscribers_path, schemas.SUBSCRIBERS),
        as_of=as_of,
    )
    return con.to_pyarrow(expr)


def as_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(date_as_object=False).set_index("msisdn")


def differences(ours: pd.DataFrame, reference: pd.DataFrame) -> dict[str, str]:
    """Columns on which the two disagree (beyond 1e-9), with the worst case."""
    problems = {}
    if set(ours.columns) != set(reference.columns):
        problems["columns"] = str(sorted(set(ours.columns) ^ set(reference.columns)))
        return problems
    if set(ours.index) != set(reference.index):
        problems["lines"] = f"{len(set(ours.index) ^ set(reference.index))} lines differ"
        return problems
    reference = reference.loc[ours.index]
    for name in ours.columns:
        a, b = ours[name], reference[name]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            a, b = a.astype(float).to_numpy(), b.astype(float).to_numpy()
            bad = ~np.isclose(a, b, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True)
        else:
            a, b = a.astype(object), b.astype(object)
            bad = ~((a == b) | (a.isna() & b.isna())).to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            example = f"{ours[name].iloc[i]!r} vs {reference[name].iloc[i]!r}"
            problems[name] = f"{int(bad.sum())} lines, e.g. {ours.index[i]}: {example}"
    return problems


def land_lake(simulation: Path, lake_dir: Path) -> None:
    """Bills and usage into the lake's month partitions, with the importer's writer."""
    for kind in schemas.LAKE_KINDS:
        writer = LakeWriter(lake_dir, kind, f"simulated-{kind}")
        for batch in pq.ParquetFile(simulation / f"{kind}.parquet").iter_batches(1_000_000):
            writer.write(pa.Table.from_batches([batch]))
        writer.commit()


def subscriber_snapshot(simulation: Path, subscribers_path: Path) -> None:
    """The subscriber snapshot from the simulated subscriptions (no arrears, no contacts)."""
    subs = pq.read_table(simulation / "subscriptions.parquet")
    n = subs.num_rows
    columns = {name: subs.column(name) for name in schemas.SUBSCRIBERS.names if name in subs.column_names}
    columns["arrears"] = pa.array([0] * n, pa.decimal128(12, 2))
    columns.update({name: pa.array(np.zeros(n, np.int32)) for name in COUNTS})
    table = pa.table(columns).select(schemas.SUBSCRIBERS.names).cast(schemas.SUBSCRIBERS.to_pyarrow())
    pq.write_table(table, subscribers_path)


def land_simulation(simulation: Path, lake_dir: Path, subscribers_path: Path) -> None:
    land_lake(simulation, lake_dir)
    subscriber_snapshot(simulation, subscribers_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nightly_reference", description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--subscribers", type=Path, required=True, help="subscriber snapshot (Parquet)")
    parser.add_argument("--as-of", required=True, help="YYYY-MM")
    parser.add_argument("--from-simulation", type=Path, help="land this simulator output first")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    args = parser.parse_args(argv)
    if args.from_simulation:
        land_simulation(args.from_simulation, args.lake, args.subscribers)

    start = time.perf_counter()
    table = ibis_features(args.lake, args.subscribers, args.as_of, args.threads)
    ibis_seconds = time.perf_counter() - start
    ours = as_frame(table)
    start = time.perf_counter()
    reference = reference_features(args.lake, args.subscribers, args.as_of)
    pandas_seconds = time.perf_counter() - start
    problems = differences(ours, reference)
    print(json.dumps({
        "as_of": args.as_of,
        "lines": len(ours),
        "features": len(ours.columns),
        "ibis_duckdb_seconds": round(ibis_seconds, 3),
        "pandas_seconds": round(pandas_seconds, 3),
        "ratio_pandas_to_ibis": round(pandas_seconds / ibis_seconds, 2),
        "equal": not problems,
        "differences": problems,
    }, indent=2))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
