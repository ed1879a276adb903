"""Small builders for import tests: the fixture operator in ``tests/data/operator`` and
variants of its files with rows changed, written on the fly."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from django.contrib.auth.models import User

from telcrm.ingest.pipeline import ImportResult, import_file
from telcrm.ingest.services import import_actor

OPERATOR = Path(__file__).resolve().parents[1] / "data" / "operator"


def actor() -> User:
    return import_actor()  # type: ignore[return-value]


def read_rows(kind: str) -> tuple[list[str], list[dict[str, str]]]:
    with (OPERATOR / f"{kind}.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def variant(tmp: Path, kind: str, changes: dict[int, dict[str, str]], *, extra: list[dict] | None = None,
            encoding: str = "utf-8") -> Path:
    """The fixture file of ``kind`` with data row ``i`` (0-based) updated by ``changes[i]``."""
    header, rows = read_rows(kind)
    for i, change in changes.items():
        rows[i] = {**rows[i], **change}
    return write_csv(tmp / f"{kind}.csv", header, rows + (extra or []), encoding)


def load(*kinds: str, **options) -> list[ImportResult]:  # type: ignore[no-untyped-def]
    """Import the fixture files of ``kinds`` in order."""
    return [import_file(actor(), kind=k, path=OPERATOR / f"{k}.csv", progress=False, **options)
            for k in kinds]


BASE = ("plans", "customers", "contacts", "accounts", "subscriptions", "services")


def copy_operator(dest: Path) -> Path:
    shutil.copytree(OPERATOR, dest)
    return dest
