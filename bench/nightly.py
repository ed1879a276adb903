"""Nightly analytics speed (issue 3, "Speed"): wall time and peak memory of each stage of
the nightly run's analytics, and ratios against references measured in the same process.

    python -m bench.nightly --subscribers N --months 24 [--work var/bench] [--spark] [--reference]
                            [--whole-run] [--threads T]

The operator is simulated once into ``WORK/operator-NxM/`` (the layout ``python -m bench``
uses; an existing simulation and lake there are reused), its bills and usage landed into
``lake/`` with the importer's writer if no import put them there, and the snapshot the
run would export from the database is built from the simulator's files instead
(``nightly-snapshot/``: subscriptions, enterprises, their tree and circuits; interaction
counts and arrears zero), so the analytics need no database. Then, for the lake's newest
month:

- ``scan``: a bare DuckDB scan of the lake, ``SELECT count(*), sum(total) FROM bills``:
  reading the data at all, the floor any run stands on;
- the run's stages on DuckDB (``nightly.pipeline.compute`` with the default rules and no
  churn model): features, tiers (segments and grades), warnings, values (value and
  lifetime value), scores, and the ratio of the whole to the scan;
- ``--reference`` (default up to 1M lines): the pandas features of
  ``bench/nightly_reference.py`` against the run's features stage, results checked equal;
- ``--spark`` (default up to 1M lines): the same stages on Spark ``local[2]``, every line's
  and enterprise's result checked equal to DuckDB's (1e-9);
- ``--whole-run``: ``telcrm nightly`` itself (snapshot export from the database and the
  write-back included) when ``WORK/operator-NxM/telcrm.sqlite3`` holds that operator.

Peak memory is the resident set (RSS) of this process and its children (Spark's JVM, the
``telcrm nightly`` process), sampled every 50 ms and read from the kernel's high-water mark.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings")
import django

django.setup()

from bench.nightly_reference import (  # noqa: E402
    as_frame,
    differences,
    ibis_features,
    land_lake,
    reference_features,
    subscriber_snapshot,
)
from telcrm.analytics import backends  # noqa: E402
from telcrm.analytics.tiers import GradeRules, SegmentRules  # noqa: E402
from telcrm.analytics.value import ValueRules  # noqa: E402
from telcrm.analytics.warnings import WarningRules  # noqa: E402
from telcrm.nightly import pipeline  # noqa: E402
from telcrm.nightly.snapshot import Snapshot  # noqa: E402
from telcrm.nightly.stages import StageClock  # noqa: E402

GIB = 1024**3


def _rss_bytes(pid: int, field: str = "VmRSS") -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            found += children
            stack += children
    return found


class Memory:
    """Peak RSS of this process and its descendants since the last ``reset``."""

    def __init__(self, interval: float = 0.05) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)
        self._thread.start()

    def _sample(self, interval: float) -> None:
        me = os.getpid()
        while not self._stop.wait(interval):
            total = _rss_bytes(me) + sum(_rss_bytes(pid) for pid in _descendants(me))
            self.peak = max(self.peak, total)

    def reset(self) -> None:
        """Start a new stage: the kernel's high-water mark of this process restarts too."""
        Path("/proc/self/clear_refs").write_text("5")
        self.peak = 0

    def stage_peak(self) -> int:
        return max(self.peak, _rss_bytes(os.getpid(), "VmHWM"))

    def close(self) -> None:
        self._stop.set()


@contextmanager
def measured(memory: Memory, into: dict, name: str) -> Iterator[None]:
    memory.reset()
    started = time.perf_counter()
    yield
    into[name] = {"seconds": round(time.perf_counter() - started, 2), "peak_gib": round(memory.stage_peak() / GIB, 2)}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(data_dir: Path, subscribers: int, months: int, seed: int) -> tuple[Path, Snapshot]:
    """The operator's lake and a snapshot built from its simulation (see the module doc)."""
    simulation = data_dir / f"operator-{subscribers}x{months}-seed{seed}"
    if not (simulation / "MANIFEST.json").exists():
        _log(f"simulating {subscribers:,} x {months} into {simulation}")
        subprocess.run([sys.executable, "-m", "telcrm.cli", "simulate", "--subscribers", str(subscribers),
                        "--months", str(months), "--seed", str(seed), "--out", str(simulation), "--no-progress"],
                       check=True)
    lake = data_dir / "lake"
    if not pipeline.lake_months(lake):
        _log(f"landing the simulated bills and usage into {lake}")
        land_lake(simulation, lake)
    directory = data_dir / "nightly-snapshot"
    paths = {name: directory / f"{name}.parquet" for name in ("subscribers", "enterprises", "enterprise_tree",
                                                                "circuits")}
    if not all(path.exists() for path in paths.values()):
        _log(f"building the snapshot in {directory}")
        directory.mkdir(parents=True, exist_ok=True)
        _snapshot_from_simulation(simulation, paths)
    return lake, Snapshot(directory=directory, counts={}, **paths)


def _snapshot_from_simulation(simulation: Path, paths: dict[str, Path]) -> None:
    """What ``nightly.snapshot.export_snapshot`` writes, from the simulator's files; the
    database keys are row numbers (customers in file order, lines in file order)."""
    subscriber_snapshot(simulation, paths["subscribers"])
    customers = pq.read_table(simulation / "customers.parquet", columns=["customer_no", "kind", "parent_customer_no"])
    customers = customers.append_column("customer_id", pa.array(range(1, customers.num_rows + 1), pa.int64()))
    subs = pq.read_table(paths["subscribers"])
    position = pc.index_in(subs.column("customer_no"), value_set=customers.column("customer_no"))
    subs = subs.append_column("subscription_id", pa.array(range(1, subs.num_rows + 1), pa.int64()))
    subs = subs.append_column("customer_id", pc.add(pc.cast(position, pa.int64()), 1))
    pq.write_table(subs, paths["subscribers"])
    enterprises = customers.filter(pc.equal(customers.column("kind"), "enterprise"))
    pq.write_table(enterprises.select(["customer_no", "customer_id"]), paths["enterprises"])
    tree = enterprises.select(["customer_no", "parent_customer_no"]).rename_columns(["customer_no", "parent_no"])
    pq.write_table(tree, paths["enterprise_tree"])
    circuits = pq.read_table(simulation / "services.parquet")
    pq.write_table(circuits.select(["service_no", "customer_no", "status", "activated_on", "monthly_fee"]),
                   paths["circuits"])


def bare_scan(lake: Path, threads: int | None) -> dict[str, float]:
    """``SELECT count(*), sum(total) FROM bills`` over every month of the lake."""
    con = backends.connect(threads=threads)
    bills = backends.read_lake(con, lake, "bills")
    row = con.to_pyarrow(bills.aggregate(n=bills.count(), total=bills.total.sum())).to_pylist()[0]
    return {"bills": int(row["n"]), "total": float(row["total"])}


def run_stages(
    memory: Memory, into: dict, engine: str, con: BaseBackend, lake: Path, snapshot: Snapshot, as_of: str
) -> pipeline.Results:
    """``nightly.pipeline.compute`` with the default rules and no churn model, each stage
    measured; ``assemble`` is the joins of the stages' outputs after the last stage."""
    rules = pipeline.RunRules(segments=SegmentRules(), grades=GradeRules(), warnings=WarningRules(),
                              values=ValueRules())
    current: dict = {}

    def close() -> None:
        if current:
            into[f"{engine} {current['name']}"] = {
                "seconds": round(time.perf_counter() - current["started"], 2),
                "peak_gib": round(memory.stage_peak() / GIB, 2),
            }

    def start(name: str) -> None:
        close()
        memory.reset()
        current.update(name=name, started=time.perf_counter())

    started = time.perf_counter()
    clock = StageClock(out=sys.stderr, live=False, on_start=start)
    with clock:
        results = pipeline.compute(con, lake_dir=lake, snapshot=snapshot, as_of=as_of, rules=rules, scorer=None,
                                   clock=clock)
    current["name"] += " + assemble"
    close()
    into[f"{engine} run"] = {"seconds": round(time.perf_counter() - started, 2),
                             "peak_gib": max(v["peak_gib"] for k, v in into.items() if k.startswith(engine))}
    return results


def compare_results(a: pipeline.Results, b: pipeline.Results) -> dict[str, str]:
    """Every line's and enterprise's results, column by column (1e-9)."""
    problems = {}
    for name, key in (("lines", "subscription_id"), ("enterprises", "customer_id")):
        ours, theirs = (getattr(r, name).to_pandas().set_index(key) for r in (a, b))
        problems.update({f"{name}.{k}": v for k, v in differences(ours, theirs).items()})
    return problems


def whole_run(memory: Memory, into: dict, data_dir: Path, threads: int | None) -> None:
    """``telcrm nightly`` on the operator's database: export, analytics and write-back."""
    env = {**os.environ, "TELCRM_DATA_DIR": str(data_dir)}
    telcrm = [sys.executable, "-m", "telcrm.cli"]
    subprocess.run([*telcrm, "migrate", "-v", "0"], check=True, env=env)
    command = [*telcrm, "nightly", "--no-progress", *(["--threads", str(threads)] if threads else [])]
    with measured(memory, into, "telcrm nightly (whole run)"):
        subprocess.run(command, check=True, env=env, stdout=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--as-of", help="YYYY-MM (default: the lake's newest month)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    parser.add_argument("--memory-limit", default="none",
                        help="DuckDB memory cap, e.g. 8GB (default none: 80%% of RAM)")
    both = argparse.BooleanOptionalAction
    parser.add_argument("--reference", action=both, help="pandas reference (default: up to 1M lines)")
    parser.add_argument("--spark", action=both, help="Spark local[2] (default: up to 1M lines)")
    parser.add_argument("--whole-run", action="store_true", help="also time telcrm nightly on the operator's DB")
    parser.add_argument("--prepare-only", action="store_true", help="simulate and land the operator, then stop")
    args = parser.parse_args()
    small = args.subscribers <= 1_000_000

    data_dir = (args.work / f"operator-{args.subscribers}x{args.months}").resolve()
    lake, snapshot = prepare(data_dir, args.subscribers, args.months, args.seed)
    if args.prepare_only:
        return
    as_of = args.as_of or pipeline.lake_months(lake)[-1]
    memory, stages, checks, ratios = Memory(), {}, {}, {}
    with measured(memory, stages, "duckdb bare scan"):
        checks["scan"] = bare_scan(lake, args.threads)
    limit = None if args.memory_limit == "none" else args.memory_limit
    con = backends.connect(threads=args.threads, memory_limit=limit)
    duckdb = run_stages(memory, stages, "duckdb", con, lake, snapshot, as_of)
    checks["lines"], checks["enterprises"] = duckdb.lines.num_rows, duckdb.enterprises.num_rows
    ratios["duckdb run / bare scan"] = stages["duckdb run"]["seconds"] / stages["duckdb bare scan"]["seconds"]
    if args.reference if args.reference is not None else small:
        with measured(memory, stages, "pandas reference features"):
            reference = reference_features(lake, snapshot.subscribers, as_of)
        with measured(memory, stages, "duckdb features (to Arrow)"):
            ours = ibis_features(lake, snapshot.subscribers, as_of, args.threads)
        checks["reference differences"] = differences(as_frame(ours), reference)
        del reference, ours
        pandas = stages["pandas reference features"]["seconds"]
        ratios["pandas features / duckdb features"] = pandas / stages["duckdb features (to Arrow)"]["seconds"]
        ratios["pandas features / duckdb run"] = pandas / stages["duckdb run"]["seconds"]
    if args.spark if args.spark is not None else small:
        con = backends.connect("spark", threads=2, driver_memory="6g")
        spark = run_stages(memory, stages, "spark", con, lake, snapshot, as_of)
        con.disconnect()
        checks["spark differences"] = compare_results(duckdb, spark)
        if checks["spark differences"]:  # kept for a look at the lines that differ
            for engine, results in (("duckdb", duckdb), ("spark", spark)):
                pq.write_table(results.lines, data_dir / f"nightly-bench-{engine}-lines.parquet")
        ratios["spark local[2] run / duckdb run"] = stages["spark run"]["seconds"] / stages["duckdb run"]["seconds"]
    if args.whole_run and (data_dir / "telcrm.sqlite3").exists():
        whole_run(memory, stages, data_dir, args.threads)
        ratios["telcrm nightly / bare scan"] = (
            stages["telcrm nightly (whole run)"]["seconds"] / stages["duckdb bare scan"]["seconds"]
        )
    memory.close()
    report = {
        "subscribers": args.subscribers, "months": args.months, "as_of": as_of, "cpus": os.cpu_count(),
        "duckdb_memory_limit": args.memory_limit,
        "load_average": round(os.getloadavg()[0], 1), "stages": stages,
        "ratios": {name: round(value, 2) for name, value in ratios.items()}, "checks": checks,
    }
    (data_dir / "nightly-bench.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
