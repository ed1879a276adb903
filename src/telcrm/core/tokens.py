"""Personal API tokens: the API acts with its user's permissions and scope (issue 2,
"API tokens per user with the same permissions").

Only a SHA-256 hash of a token is stored (``core.ApiToken``); the raw token is shown once.
Issuing and revoking are written to the audit log, since a token is a credential.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.models import ApiToken, AuditAction, AuditEntry
from telcrm.core.roles import Role, role_of

#: ``last_used_at`` is refreshed at most this often: a write on every API request would
#: serialise all readers behind SQLite's single writer for a value read at minute grain.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
NAME_MAX_LENGTH = 64  # ApiToken.name


def _audit(actor: User, token: ApiToken, event: str) -> None:
    AuditEntry.objects.create(
        actor=actor, action=AuditAction.TOKEN, subject_type="api_token", subject_id=str(token.pk),
        detail={"event": event, "name": token.name, "prefix": token.prefix,
                "owner": token.user.get_username()},
    )


def issue_token(actor: User, *, name: str) -> tuple[ApiToken, str]:
    """Issue a token for the actor itself; the raw value is returned once and never stored."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("sign in to issue an API token")
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed("name: give the token a name of 1 to 64 characters")
    with transaction.atomic():
        token, raw = ApiToken.issue(actor, name)
        _audit(actor, token, "issued")
    return token, raw


def revoke_token(actor: User, *, token: ApiToken) -> None:
    """Revoke a token: a user revokes its own tokens, an administrator any (a leaked key of
    a departed employee must be stoppable). Revoking twice changes nothing."""
    if not actor.is_authenticated:
        raise PermissionDenied("sign in to revoke an API token")
    if token.user_id != actor.pk and role_of(actor) != Role.ADMINISTRATOR:
        raise PermissionDenied("you may revoke only your own API tokens")
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _audit(actor, token, "revoked")


def authenticate_token(raw: str) -> User | None:
    """The active user owning a valid, unrevoked token, or None."""
    if not raw or not raw.startswith("tc_"):
        return None
    token = ApiToken.lookup(raw)
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
