"""Notification listeners (TMF630 "hub") and the outbox of notifications owed to them.

A notification is written in the same transaction as the change that caused it and
posted after commit (architecture.md, convention 4): a rolled-back change notifies
nobody, and a listener that is down gets it later, from the retry command, rather than
never.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HubListener(models.Model):
    """A client's registration to be called back on events of one API (TMF630 hub)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="hub_listeners")
    api = models.CharField(_("API"), max_length=40, help_text=_("e.g. troubleTicket"))
    callback = models.URLField(_("callback URL"), max_length=500)
    query = models.CharField(_("query"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification listener")
        verbose_name_plural = _("notification listeners")
        indexes = [models.Index(fields=["api"], name="api_listener_api")]

    def __str__(self) -> str:
        return f"{self.api} -> {self.callback}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed (gave up)")


class Notification(models.Model):
    """One event owed to one listener; retried with growing delays until it is taken."""

    listener = models.ForeignKey(HubListener, on_delete=models.CASCADE, related_name="notifications")
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(_("event type"), max_length=60)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="api_notif_due")]
        constraints = [models.UniqueConstraint(fields=["listener", "event_id"], name="api_notif_once")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} -> {self.listener_id}"
