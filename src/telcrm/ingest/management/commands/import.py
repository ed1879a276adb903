"""``telcrm import KIND FILE``: validate and import one operator export file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telcrm.core.errors import TelcrmError
from telcrm.ingest.kinds import KIND_ORDER
from telcrm.ingest.pipeline import ImportRejected, import_file
from telcrm.ingest.reading import ENCODINGS
from telcrm.ingest.services import import_actor


class Command(BaseCommand):
    help = "Import one CSV or Parquet file of KIND; a file with rejected rows commits nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KIND_ORDER)
        parser.add_argument("file", type=Path)
        parser.add_argument("--allow-partial", action="store_true",
                            help="commit the good rows even if some rows are rejected")
        parser.add_argument("--reject-file", type=Path, default=None,
                            help="where rejected rows go (default FILE.rejects.csv)")
        parser.add_argument("--encoding", choices=ENCODINGS, default="auto")
        parser.add_argument("--actor", default=None, help="user name the import is audited as")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: object, **o: object) -> None:
        try:
            result = import_file(
                import_actor(o["actor"]), kind=o["kind"], path=o["file"],  # type: ignore[arg-type]
                allow_partial=bool(o["allow_partial"]), reject_path=o["reject_file"],  # type: ignore[arg-type]
                encoding=str(o["encoding"]), progress=not o["no_progress"],
            )
        except ImportRejected as exc:
            raise CommandError(exc.message, returncode=2) from None
        except TelcrmError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
