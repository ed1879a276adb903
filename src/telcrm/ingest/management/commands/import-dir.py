"""``telcrm import-dir DIR``: import every export file in DIR in dependency order."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telcrm.core.errors import TelcrmError
from telcrm.ingest.pipeline import ImportRejected
from telcrm.ingest.services import import_actor, import_directory


class Command(BaseCommand):
    help = "Import plans, customers, ... interactions from DIR; stops at the first file with rejects."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--actor", default=None, help="user name the import is audited as")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: object, **o: object) -> None:
        try:
            results = import_directory(import_actor(o["actor"]),  # type: ignore[arg-type]
                                       directory=o["directory"],  # type: ignore[arg-type]
                                       progress=not o["no_progress"])
        except ImportRejected as exc:
            raise CommandError(exc.message, returncode=2) from None
        except TelcrmError as exc:
            raise CommandError(exc.message) from None
        for result in results:
            self.stdout.write(self.style.SUCCESS(result.summary()))
        if not results:
            raise CommandError(f"{o['directory']}: no export files found")
