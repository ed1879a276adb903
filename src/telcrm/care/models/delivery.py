"""Triggers, the outbox with its provider parts and suppressions, and outbound call
tasks: how a decision to contact becomes a contact."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from telcrm.care.choices import (
    CallOutcome,
    CallStatus,
    Channel,
    OutboxStatus,
    Purpose,
    SuppressionReason,
    TriggerKind,
)
from telcrm.care.models.campaigns import Campaign, CareProduct, Template
from telcrm.customers.models import Customer, Interaction

_USER = settings.AUTH_USER_MODEL


class Trigger(models.Model):
    """Event-driven care that runs without anyone starting it. ``conditions`` are the
    kind's parameters (e.g. ``{"min_stars": 4, "grace_days": 7}`` for suspension care,
    ``{"ratio": 2.0}`` for bill shock, ``{"days_before": 30}`` for contract end,
    ``{"month": 1, "day": 1}`` for a date campaign)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TriggerKind.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.CARE)
    conditions = models.JSONField(_("conditions"), default=dict)
    delay_days = models.PositiveSmallIntegerField(_("delay (days)"), default=0)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(CareProduct, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priority = models.PositiveSmallIntegerField(_("priority"), default=5)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("trigger")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TriggerFiring(models.Model):
    """A trigger fired for a customer; ``occurrence`` names the event (a date, a ticket,
    a billing month) so each fires once per customer per occurrence."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="firings")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    occurrence = models.CharField(_("occurrence"), max_length=60)
    fired_at = models.DateTimeField(_("fired at"))
    due_at = models.DateTimeField(_("due at"))
    grace_until = models.DateField(_("grace until"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trigger", "customer", "occurrence"], name="fire_once_per_occurrence")
        ]

    def __str__(self) -> str:
        return f"{self.trigger_id} {self.customer_id} {self.occurrence}"


class OutboxMessage(models.Model):
    """A message decided inside the deciding transaction and sent after commit by the
    worker. ``key`` (customer, campaign or trigger firing, step) is unique, so a decision
    taken twice writes one row and a row is sent at most once."""

    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="outbox_messages")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    firing = models.ForeignKey(TriggerFiring, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_by = models.CharField(_("claimed by"), max_length=60, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sending_at = models.DateTimeField(_("handed to the channel at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["customer", "channel", "created_at"]),
            models.Index(fields=["campaign", "status"]),
        ]

    def __str__(self) -> str:
        return self.key


class ProviderPart(models.Model):
    """A part the channel accepted, with the peer's message id, so a delivery receipt
    (which names only that id) finds its message; a long SMS has one per segment."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="parts")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    provider_id = models.CharField(_("provider message id"), max_length=100)
    state = models.CharField(_("state"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "provider_id"], name="one_part_per_provider_id")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.provider_id}"


class Suppression(models.Model):
    """A contact the policy refused, with the reason (issue 4: every suppressed contact
    is recorded)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="suppressions")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="suppressions")
    firing = models.ForeignKey(
        TriggerFiring, null=True, blank=True, on_delete=models.CASCADE, related_name="suppressions"
    )
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("suppression")
        indexes = [models.Index(fields=["campaign", "reason"]), models.Index(fields=["customer", "-at"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel} {self.reason}"


class CallTask(models.Model):
    """A call on an agent's work list, with the script; the outcome is recorded as an
    Interaction on the customer's timeline."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="call_tasks")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="call_tasks")
    firing = models.ForeignKey(
        TriggerFiring, null=True, blank=True, on_delete=models.CASCADE, related_name="call_tasks"
    )
    script = models.TextField(_("script"))
    assigned_to = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=10, choices=CallStatus.choices, default=CallStatus.OPEN)
    outcome = models.CharField(_("outcome"), max_length=14, choices=CallOutcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    interaction = models.OneToOneField(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_task"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("call task")
        ordering = ["due_at", "id"]
        permissions = [("work_calltask", "Can work outbound call tasks and record their outcome")]
        indexes = [models.Index(fields=["status", "assigned_to", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(outcome=""), name="done_call_task_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.status}"
