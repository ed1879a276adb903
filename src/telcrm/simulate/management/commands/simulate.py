"""``telcrm simulate``: write a synthetic operator's export files (issue 2)."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telcrm.simulate.generator import DEFAULT_END_MONTH, SimulationConfig, simulate
from telcrm.simulate.sink import FORMATS


class Command(BaseCommand):
    help = (
        "Simulate an operator: customers, accounts, subscriptions, bills, usage, payments, "
        "interactions and enterprise circuits as export files, plus the churn ground truth."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subscribers", type=int, default=100_000)
        parser.add_argument("--months", type=int, default=24)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", required=True, help="directory for the files")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="parquet")
        parser.add_argument("--end-month", default=DEFAULT_END_MONTH, help="last month, YYYY-MM")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(
        self, *args: object, subscribers: int, months: int, seed: int, out: str,
        fmt: str = "parquet", end_month: str = DEFAULT_END_MONTH, no_progress: bool = False,
        **options: object,
    ) -> None:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", end_month):
            raise CommandError(f"--end-month must be YYYY-MM, not {end_month!r}")
        try:
            config = SimulationConfig(
                subscribers=subscribers, months=months, seed=seed, out=Path(out), fmt=fmt,
                end_month=end_month,
            )
            manifest = simulate(config, progress=not no_progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Wrote {manifest['subscribers']:,} subscribers x {manifest['months']} months "
            f"({manifest['first_month']} to {manifest['end_month']}) to {out}"
        )
        for name, rows in manifest["files"].items():
            self.stdout.write(f"  {name:<28} {rows:>12,} rows")
