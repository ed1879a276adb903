"""Import speed: rows per second of ``telcrm import bills``, against a bare pyarrow read of
the same file (the ratio is what validation, key resolution, the database and the lake
cost over merely reading the rows).

    python -m bench.ingest [--file DIR/bills.parquet] [--subscribers N] [--months M]

Without ``--file`` an operator is simulated first (default 100,000 subscribers x 24
months: 2.4M bills). The kinds bills reference (plans ... subscriptions) are imported from
the same directory into a fresh SQLite database in a temporary data directory, untimed;
then bills are imported twice: into empty tables (insert) and again (the idempotent
re-import, every row an update). The load average is printed because the machine may be
shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq


def _setup_django(data_dir: Path) -> None:
    os.environ["TELCRM_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _account_managers(directory: Path) -> None:
    """The users the customers file names as account managers (the demo creates them)."""
    from django.contrib.auth.models import User

    customers = directory / "customers.parquet"
    if not customers.exists():
        return
    names = pc.unique(pq.read_table(customers, columns=["account_manager"]).column(0)).drop_null()
    for name in names.to_pylist():
        User.objects.get_or_create(username=name)


def _bare_read(path: Path) -> float:
    started = time.perf_counter()
    if path.suffix == ".parquet":
        pq.read_table(path)
    else:
        import pyarrow.csv as pacsv

        pacsv.read_csv(path)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None, help="a bills file of a simulated operator")
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="telcrm-bench-ingest-") as tmp:
        _setup_django(Path(tmp))
        from django.core.management import call_command

        from telcrm.ingest.pipeline import import_file
        from telcrm.ingest.services import files_in, import_actor

        if args.file is None:
            out = Path(tmp) / "operator"
            print(f"Simulating {args.subscribers:,} subscribers x {args.months} months ...", flush=True)
            call_command("simulate", subscribers=args.subscribers, months=args.months, seed=args.seed,
                         out=str(out), no_progress=True)
            bills = out / "bills.parquet"
        else:
            bills = args.file.resolve()
        _account_managers(bills.parent)
        actor = import_actor()
        for kind, path in files_in(bills.parent):
            if kind == "bills":
                break
            import_file(actor, kind=kind, path=path, progress=False)

        reference = min(_bare_read(bills) for _ in range(3))
        size_mb = bills.stat().st_size / 1e6
        runs = {}
        for label in ("insert", "re-import"):
            started = time.perf_counter()
            result = import_file(actor, kind="bills", path=bills, progress=False)
            runs[label] = (time.perf_counter() - started, result.rows)

    rows = runs["insert"][1]
    print(f"\nbills file: {bills.name}, {rows:,} rows, {size_mb:,.0f} MB")
    print(f"bare pyarrow read:     {reference:8.2f} s  {rows / reference:14,.0f} rows/s")
    for label, (seconds, _) in runs.items():
        print(f"import ({label + ')':<10} {seconds:8.2f} s  {rows / seconds:14,.0f} rows/s   "
              f"ratio to bare read: {seconds / reference:6.1f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
