"""Import services: whole directories of exports, and the user an import acts as.

Every import is audited with an acting user (``AuditEntry.actor``); a scheduled or command
line import without ``--actor`` acts as the ``import`` system user, which cannot log in.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User

from telcrm.core.errors import NotFound
from telcrm.ingest.kinds import KIND_ORDER
from telcrm.ingest.pipeline import ImportResult, import_file

SYSTEM_USER = "import"


def import_actor(username: str | None = None) -> User:
    """The named user, or the ``import`` system user (created inactive, without password)."""
    if username:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise NotFound(f"actor: no user named {username!r}") from None
    user, created = User.objects.get_or_create(username=SYSTEM_USER, defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def files_in(directory: Path) -> list[tuple[str, Path]]:
    """The export files of ``directory`` in dependency order (Parquet preferred to CSV)."""
    found = []
    for kind in KIND_ORDER:
        for suffix in (".parquet", ".csv"):
            path = Path(directory) / f"{kind}{suffix}"
            if path.is_file():
                found.append((kind, path))
                break
    return found


def import_directory(actor: User, *, directory: Path, progress: bool = True,
                     ) -> list[ImportResult]:
    """Import every kind present, plans first then ``IMPORT_ORDER``, each file in its own
    transaction; the first file with rejects stops the run (``ImportRejected``), since the
    files after it reference its rows."""
    directory = Path(directory)
    if not directory.is_dir():
        raise NotFound(f"{directory}: no such directory")
    return [import_file(actor, kind=kind, path=path, progress=progress)
            for kind, path in files_in(directory)]
