"""Queries of the append-only audit log (who revealed, exported, merged, imported what).

Reading the log is a role of its own (auditor, administrator; roles.py): the log holds
reasons and names of customers' records that the auditor may read without seeing the
records themselves.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db.models import QuerySet

from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.models import AuditAction, AuditEntry


def audit_log(
    actor: User,
    *,
    action: str | None = None,
    subject_id: str | None = None,
    actor_name: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Entries newest first, filtered; ``since`` is inclusive and ``until`` exclusive so
    consecutive periods never count an entry twice."""
    if not actor.is_authenticated or not actor.has_perm("core.view_auditentry"):
        raise PermissionDenied("your role may not read the audit log")
    entries = AuditEntry.objects.select_related("actor").order_by("-at", "-id")
    if action:
        if action not in AuditAction.values:
            raise ValidationFailed(f"action: unknown action {action!r}")
        entries = entries.filter(action=action)
    if subject_id:
        entries = entries.filter(subject_id=subject_id)
    if actor_name:
        entries = entries.filter(actor__username=actor_name)
    if since is not None:
        entries = entries.filter(at__gte=since)
    if until is not None:
        entries = entries.filter(at__lt=until)
    return entries
