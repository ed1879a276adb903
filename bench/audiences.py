"""Audience evaluation plus contact policy at scale (issue 4, "Speed": 10M subscribers, aim
under 10 s), with ratios against bare DuckDB scans of the same files.

    python -m bench.audiences [--lines 10000000] [--work var/bench] [--threads T]

The nightly files an audience reads (features.parquet, results_lines.parquet,
results_enterprises.parquet, the shapes the nightly run leaves) are generated once into
``WORK/audiences-N/`` with random but plausible values (1.25 lines per customer) and
reused by later runs. Then:

- ``bare count``: ``count(*)`` of the features file (Parquet metadata: the floor);
- ``bare distinct``: ``count(DISTINCT customer_id)`` over it (reading a column and
  deduplicating it: the same kind of work an audience does, without filters or join);
- ``audience count``: a typical saved audience (VIP or growth, churn risk >= 0.3, tenure
  >= 12 months, not suspended) compiled by analytics/audiences.py, counted on DuckDB;
- ``audience ids``: the same audience's customer ids fetched to Python (what a campaign
  start draws its groups from);
- ``policy``: care/policy.py's ``Decider`` (``decide`` once per distinct case) for every
  customer of that audience with facts held in memory (consent, opt-outs, holdout, prior
  contacts drawn at random); gathering the facts from the database is not in this figure.

The aim is for ``audience ids`` + ``policy`` together.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings")

from telcrm.analytics import backends
from telcrm.analytics.audiences import AudienceFilters, NightlyFiles, audience, count
from telcrm.care.choices import Channel, Purpose
from telcrm.care.policy import ContactRequest, CustomerFacts, Decider, PolicyConfig, PriorContact

CHUNK = 1_000_000
FILTERS = {"segments": ["vip", "growth"], "min_churn_risk": 0.3, "min_tenure_months": 12}
BRANDS = np.array(["gotone", "easyown", "mzone"])
REGIONS = np.array(["SH-XH", "SH-PD", "SH-HP", "SH-JA", "SH-MH"])
SEGMENTS = np.array(["vip", "growth", "mass"])


def _chunk(rng: np.random.Generator, start: int, n: int, customers: int) -> tuple[pa.Table, pa.Table]:
    ids = np.arange(start + 1, start + n + 1, dtype=np.int64)
    customer = rng.integers(1, customers + 1, n, dtype=np.int64)
    spend = rng.gamma(2.0, 60.0, n)
    contract = rng.integers(-200, 400, n)
    features = pa.table({
        "subscription_id": ids, "customer_id": customer,
        "msisdn": pa.array([f"1{i:010d}" for i in ids]),
        "brand": BRANDS[rng.integers(0, 3, n)], "region": REGIONS[rng.integers(0, 5, n)],
        "payment_type": np.where(rng.random(n) < 0.6, "postpaid", "prepaid"),
        "tenure_months": rng.integers(0, 180, n, dtype=np.int32),
        "days_to_contract_end": pa.array(contract, mask=rng.random(n) < 0.5),
        "suspended": rng.random(n) < 0.03, "arrears": np.where(rng.random(n) < 0.05, rng.gamma(2, 40, n), 0.0),
        "complaints_3m": rng.poisson(0.1, n).astype(np.int32),
        "spend_mean_3m": spend, "spend_mean_prev6": spend * rng.normal(1.0, 0.2, n),
        "spend_slope_6m": rng.normal(0, 5, n), "voice_minutes_ratio_3v6": rng.normal(1.0, 0.25, n),
    })
    results = pa.table({
        "subscription_id": ids, "customer_id": customer,
        "segment": SEGMENTS[rng.choice(3, n, p=[0.1, 0.3, 0.6])],
        "revenue": spend, "lifetime_value": spend * rng.uniform(10, 40, n),
        "risk": rng.beta(1.2, 6.0, n), "warned": rng.random(n) < 0.08,
    })
    return features, results


def generate(directory: Path, lines: int) -> NightlyFiles:
    files = NightlyFiles.in_directory(directory)
    if files.exist():
        return files
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(4)
    customers = int(lines / 1.25)
    writers: dict[str, pq.ParquetWriter] = {}
    for start in range(0, lines, CHUNK):
        features, results = _chunk(rng, start, min(CHUNK, lines - start), customers)
        for name, table in (("features", features), ("results", results)):
            if name not in writers:
                path = files.features if name == "features" else files.line_results
                writers[name] = pq.ParquetWriter(path, table.schema, compression="zstd")
            writers[name].write_table(table)
    for writer in writers.values():
        writer.close()
    pq.write_table(pa.table({"customer_id": pa.array([], pa.int64()), "grade": pa.array([], pa.string()),
                             "stars": pa.array([], pa.int64()), "revenue": pa.array([], pa.float64()),
                             "lifetime_value": pa.array([], pa.float64())}), files.enterprise_results)
    return files


def timed(label: str, fn, reference: float | None = None):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    ratio = f"  x{seconds / reference:,.1f} of bare distinct" if reference else ""
    print(f"{label:<16} {seconds:8.3f} s{ratio}", flush=True)
    return result, seconds


def policy_pass(customer_ids: list[int]) -> tuple[int, int]:
    """``decide`` for every customer with facts drawn at random (seeded)."""
    rng = np.random.default_rng(9)
    n = len(customer_ids)
    consent, opted, holdout = rng.random(n) < 0.7, rng.random(n) < 0.05, rng.random(n) < 0.05
    recent = rng.poisson(1.0, n)
    decide, zone = Decider(PolicyConfig()), "Asia/Shanghai"
    at = dt.datetime(2026, 11, 20, 12, tzinfo=ZoneInfo(zone))
    prior = [PriorContact(Channel.SMS, at - dt.timedelta(days=k + 1), 99, 5) for k in range(8)]
    request = ContactRequest(purpose=Purpose.MARKETING, channel=Channel.SMS, at=at, campaign_id=1, priority=3)
    allowed = 0
    for i in range(n):
        facts = CustomerFacts(time_zone=zone, address="13800000000", consent={Channel.SMS: bool(consent[i])},
                              opted_out=frozenset({Channel.SMS}) if opted[i] else frozenset(),
                              in_holdout=bool(holdout[i]), prior=prior[: recent[i]])
        allowed += decide(request, facts).allowed
    return n, allowed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(f"audiences over {args.lines:,} lines (files in {args.work})", flush=True)
    files, _ = timed("generate/reuse", lambda: generate(args.work / f"audiences-{args.lines}", args.lines))
    con = backends.connect(threads=args.threads)
    lines = con.read_parquet(str(files.features))
    lines.limit(1).to_pyarrow()  # the engine's start-up is nobody's figure
    timed("bare count", lambda: lines.count().to_pyarrow())
    _, bare = timed("bare distinct", lambda: lines.customer_id.nunique().to_pyarrow())
    filters = AudienceFilters.from_dict(FILTERS)
    size, _ = timed("audience count", lambda: count(con, files, filters), bare)
    ids_table, fetch = timed("audience ids", lambda: audience(con, files, filters).to_pyarrow(), bare)
    ids = ids_table.column("customer_id").to_pylist()
    (decided, allowed), policy = timed("policy", lambda: policy_pass(ids), bare)
    print(f"audience: {size:,} customers; policy allowed {allowed:,} of {decided:,} "
          f"({decided / policy:,.0f} decisions/s)")
    total = fetch + policy
    print(f"audience ids + policy: {total:.2f} s (aim < 10 s: {'met' if total < 10 else 'missed'}), "
          f"x{total / bare:,.1f} of bare distinct")


if __name__ == "__main__":
    main()
