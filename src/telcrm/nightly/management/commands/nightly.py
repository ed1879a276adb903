"""``telcrm nightly [--engine duckdb|spark] [--as-of YYYY-MM] [--threads N]``: the nightly
analytics for one month (default: the lake's newest), its stages shown as they run."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telcrm.analytics.backends import ENGINES
from telcrm.core.errors import TelcrmError
from telcrm.nightly.services import run_nightly


class Command(BaseCommand):
    help = "Compute features, tiers, warnings, values and churn scores for a month and write them back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--engine", choices=ENGINES, default="duckdb")
        parser.add_argument("--as-of", dest="as_of", default=None, help="month YYYY-MM (default: newest in the lake)")
        parser.add_argument("--threads", type=int, default=None, help="worker threads (default: all cores)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar, stage lines only")

    def handle(self, *args: object, engine: str, as_of: str | None, threads: int | None, no_progress: bool,
               **options: object) -> None:
        try:
            run = run_nightly(as_of=as_of, engine=engine, threads=threads, out=self.stdout, progress=not no_progress)
        except TelcrmError as error:
            raise CommandError(error.message) from None
        except Exception as error:
            raise CommandError(f"nightly run failed: {type(error).__name__}: {error}") from error
        total = sum(run.stage_seconds.values())
        self.stdout.write(self.style.SUCCESS(f"Nightly run {run.month:%Y-%m} on {run.engine} done in {total:.1f} s"))
