"""``make bench``: every benchmark of the project, each printing ratios against a
reference measured in the same run (the machines are noisy; a bare time means little).

    python -m bench [--subscribers 1000000] [--months 24] [--work var/bench] [--only NAME ...]

The database benchmarks need a big operator: it is simulated and imported once into
``WORK/operator-N`` (with ``telcrm demo``'s own steps) and reused by later runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def _run(args: list[str], env: dict[str, str] | None = None) -> None:
    print(f"\n$ {' '.join(args)}", flush=True)
    started = time.perf_counter()
    subprocess.run(args, check=True, env={**os.environ, **(env or {})})
    print(f"({time.perf_counter() - started:.1f} s)", flush=True)


def _operator(work: Path, subscribers: int, months: int) -> Path:
    """A data directory holding a simulated and imported operator of the given size."""
    data_dir = work / f"operator-{subscribers}x{months}"
    env = {"TELCRM_DATA_DIR": str(data_dir)}
    telcrm = [sys.executable, "-m", "telcrm.cli"]
    _run([*telcrm, "migrate", "-v", "0"], env)
    _run([*telcrm, "demo", "--subscribers", str(subscribers), "--months", str(months)], env)
    return data_dir


BENCHMARKS = ["simulate", "ingest", "web", "api", "tickets-api", "sms"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--only", nargs="*", default=None,
                        choices=BENCHMARKS, help="run only these benchmarks")
    args = parser.parse_args()
    chosen = set(args.only or BENCHMARKS)
    python = sys.executable
    size = ["--subscribers", str(args.subscribers), "--months", str(args.months)]
    if "simulate" in chosen:
        _run([python, "-m", "bench.simulate", *size])
    if chosen & {"ingest", "web", "api"}:
        data_dir = _operator(args.work.resolve(), args.subscribers, args.months)
        db = str(data_dir / "telcrm.sqlite3")
        if "ingest" in chosen:
            bills = next(data_dir.glob("operator-*/bills.parquet"))
            _run([python, "-m", "bench.ingest", "--file", str(bills)])
        if "web" in chosen:
            _run([python, "-m", "bench.web", "--db", db])
        if "api" in chosen:
            _run([python, "-m", "bench.api", "--db", db])
    if "tickets-api" in chosen:
        _run([python, "-m", "bench.tickets_api", "--work", str(args.work.resolve() / "tickets-api")])
    if "sms" in chosen:
        _run([python, "-m", "bench.outbox_smpp", "--work", str(args.work)])


if __name__ == "__main__":
    main()
