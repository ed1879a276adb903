"""Core records shared by every app: regions, user profiles, API tokens, the audit log
and the field history."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """An operator's region (district or branch): agents and subscriptions belong to one."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    timezone = models.CharField(_("time zone"), max_length=40, default="Asia/Shanghai")

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class UserProfile(models.Model):
    """What the scope rules need to know of a staff member beyond Django's user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"profile of {self.user}"


class AuditAction(models.TextChoices):
    REVEAL = "reveal", _("reveal personal data")
    EXPORT = "export", _("export")
    MERGE = "merge", _("merge records")
    IMPORT = "import", _("import file")
    TOKEN = "token", _("API token issued or revoked")


class AuditEntry(models.Model):
    """Append-only audit log: who did what to whose data, when and why.

    Rows are never updated or deleted by the application (``save`` refuses an update and
    ``delete`` is refused); on PostgreSQL a trigger enforces the same in the database.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    subject_type = models.CharField(_("subject type"), max_length=40, blank=True)
    subject_id = models.CharField(_("subject"), max_length=64, blank=True, db_index=True)
    field = models.CharField(_("field"), max_length=40, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        default_permissions = ("view",)
        permissions = [
            ("reveal_pii", "Can reveal masked personal data with a reason"),
            ("export_data", "Can export lists to CSV and Excel"),
            ("merge_customers", "Can merge duplicate customers"),
            ("view_all_customers", "Sees customers of every region"),
            ("view_region_customers", "Sees customers of its own region"),
            ("view_own_enterprises", "Sees the enterprise customers it manages"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.subject_type}:{self.subject_id}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise ValueError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("audit entries are append-only")


class FieldChange(models.Model):
    """One field of a customer or enterprise changed: who, when, from what to what.

    Values of personal-data fields are stored masked, so the history itself leaks nothing.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_type = models.CharField(max_length=40)
    subject_id = models.CharField(max_length=64)
    field = models.CharField(_("field"), max_length=40)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    source = models.CharField(_("source"), max_length=40, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "-at"])]
        verbose_name = _("field change")
        verbose_name_plural = _("field history")

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id} {self.field}"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token: the API acts with its user's permissions and scope.

    Only a hash is stored; the raw token is shown once when it is issued.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:  # type: ignore[no-untyped-def]
        raw = "tc_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=_hash_token(raw), prefix=raw[:8])
        return token, raw

    @classmethod
    def lookup(cls, raw: str) -> ApiToken | None:
        return (
            cls.objects.select_related("user")
            .filter(key_hash=_hash_token(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
