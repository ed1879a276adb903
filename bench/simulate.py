"""Simulation speed: rows written per second, against a bare pyarrow write of as many rows.

    python -m bench.simulate [--subscribers N] [--months M] [--format parquet|csv]

The reference writes, in the same process and with the same writer settings, random
integers in files of the same row and column counts as the simulation's, so the ratio
is what realism costs over merely writing that much data. The load average is printed
because the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from telcrm.ingest.schemas import SCHEMAS
from telcrm.simulate.generator import SimulationConfig, simulate
from telcrm.simulate.tables import TRUTH_SCHEMA

BATCH = 1_000_000


def reference_write(out: Path, files: dict[str, int], fmt: str) -> float:
    """Seconds to write random int64 columns with the simulation's row and column counts."""
    columns = {f"{k}.{fmt}": len(s) for k, s in SCHEMAS.items()} | {
        "truth/churn.parquet": len(TRUTH_SCHEMA), "truth/duplicates.parquet": 3,
    }
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for name, rows in files.items():
        path = out / "reference" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        schema = pa.schema([(f"c{i}", pa.int64()) for i in range(columns[name])])
        writer = (
            pq.ParquetWriter(path, schema, compression="zstd") if name.endswith(".parquet")
            else pacsv.CSVWriter(path, schema)
        )
        for start in range(0, rows, BATCH):
            n = min(BATCH, rows - start)
            writer.write_table(pa.table([rng.integers(0, 10**9, n) for _ in schema], schema=schema))
        writer.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", dest="fmt", choices=("parquet", "csv"), default="parquet")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="telcrm-bench-") as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        manifest = simulate(
            SimulationConfig(subscribers=args.subscribers, months=args.months, seed=args.seed,
                             out=out / "operator", fmt=args.fmt),
            progress=False,
        )
        simulated = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = sum(manifest["files"].values())
        reference = reference_write(out, manifest["files"], args.fmt)

    print(f"simulate {args.subscribers:,} subscribers x {args.months} months ({args.fmt}), "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"  rows written        {rows:>14,}")
    print(f"  wall time           {simulated:>14.1f} s")
    print(f"  rows per second     {rows / simulated:>14,.0f}")
    print(f"  line-months per s   {args.subscribers * args.months / simulated:>14,.0f}")
    print(f"  peak RSS            {peak_mb:>14,.0f} MB")
    print(f"  bare pyarrow write  {reference:>14.1f} s ({rows / reference:,.0f} rows/s)")
    print(f"  ratio simulate/bare {simulated / reference:>14.2f}")


if __name__ == "__main__":
    main()
