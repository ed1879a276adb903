"""What happens on a ticket: notes, status history, evidence, work orders, escalations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .desk import Ticket, TicketStatus


class NoteKind(models.TextChoices):
    INTERNAL = "internal", _("internal note")
    CUSTOMER = "customer", _("from the customer")
    REPLY = "reply", _("reply to the customer")
    SYSTEM = "system", _("system")


class TicketNote(models.Model):
    """A note on the ticket; a customer's two-way SMS reply lands here as kind "customer".
    ``work_minutes`` is the agent's handling time, summed for the average handle time."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("kind"), max_length=10, choices=NoteKind.choices, default=NoteKind.INTERNAL)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"))
    text = models.TextField(_("text"))
    work_minutes = models.PositiveIntegerField(_("work minutes"), default=0)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket note")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class StatusChange(models.Model):
    """The ticket's status history (TMF621 statusChange)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=12, choices=TicketStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=TicketStatus.choices)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("status change")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.from_status}->{self.to_status}"


class EvidenceKind(models.TextChoices):
    BILL = "bill", _("bill")
    USAGE = "usage", _("usage")
    SP_SUBSCRIPTION = "sp_subscription", _("SP subscription and charges")
    SUSPENSION = "suspension", _("suspension and its cause")
    PROMOTION = "promotion", _("promotion")
    FILE = "file", _("file")
    NOTE = "note", _("other")


class Evidence(models.Model):
    """What the agent checked before answering a complaint (TMF621 attachment): a snapshot
    of the record as it was (``data``), so the answer can be justified later even when
    billing corrects the record."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=16, choices=EvidenceKind.choices)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    #: Where the snapshot came from, e.g. ``bill:123``.
    source = models.CharField(_("source"), max_length=60, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    file = models.FileField(_("file"), upload_to="tickets/evidence/%Y/%m", blank=True)
    mime_type = models.CharField(_("MIME type"), max_length=80, default="application/json")
    attached_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("attached by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.name


class WorkOrderTeam(models.TextChoices):
    BILLING = "billing", _("billing")
    NETWORK = "network", _("network")
    PROVISIONING = "provisioning", _("provisioning")
    SP_MANAGEMENT = "sp_management", _("SP management")


class WorkOrderStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class WorkOrder(models.Model):
    """Work the ticket's owner hands to a back-office team; the ticket cannot be resolved
    while one is open (one-stop: the owner keeps the customer)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="work_orders")
    team = models.CharField(_("team"), max_length=16, choices=WorkOrderTeam.choices)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=10, choices=WorkOrderStatus.choices,
                              default=WorkOrderStatus.OPEN)
    due_at = models.DateTimeField(_("due"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("work order")
        indexes = [models.Index(fields=["team", "status", "due_at"], name="work_order_queue")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.team} {self.status}"


class EscalationLevel(models.TextChoices):
    SUPERVISOR = "supervisor", _("supervisor")
    MANAGER = "manager", _("manager")


class Escalation(models.Model):
    """A ticket escalated to its supervisor or manager, by the sweep at breach or by an
    agent asking for help; once per level (every escalation recorded, domain.md 5)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    level = models.CharField(_("level"), max_length=10, choices=EscalationLevel.choices)
    at = models.DateTimeField(_("time"))
    reason = models.CharField(_("reason"), max_length=200)
    escalated_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("escalated to"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    #: None when the SLA sweep escalated; the agent who asked for help otherwise.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("escalation")
        constraints = [models.UniqueConstraint(fields=["ticket", "level"], name="one_escalation_per_level")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.level}"
