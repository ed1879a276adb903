"""After the answer: refunds with approval limits, and return visits (回访)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from telcrm.customers.models import Customer, Subscription

from .desk import Ticket


class ApprovalLevel(models.TextChoices):
    AGENT = "agent", _("agent")
    SUPERVISOR = "supervisor", _("supervisor")
    MANAGER = "manager", _("manager")


class ApprovalLimit(models.Model):
    """The largest refund or credit each level approves on its own (empty: no limit)."""

    level = models.CharField(_("level"), max_length=10, choices=ApprovalLevel.choices, unique=True)
    max_amount = models.DecimalField(_("limit (CNY)"), max_digits=10, decimal_places=2, null=True,
                                     blank=True)

    class Meta:
        verbose_name = _("approval limit")

    def __str__(self) -> str:
        return f"{self.level} {self.max_amount}"


class RefundKind(models.TextChoices):
    REFUND = "refund", _("refund")
    CREDIT = "credit", _("credit to the account")


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class RefundRequest(models.Model):
    """A refund or credit a complaint ends in; ``needs_level`` is who must approve it,
    from the approval limits at the time it was asked for."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="refunds")
    subscription = models.ForeignKey(Subscription, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=RefundKind.choices, default=RefundKind.REFUND)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=RefundStatus.choices,
                              default=RefundStatus.PENDING)
    #: The level whose limit covers the amount: who must approve it.
    needs_level = models.CharField(_("needs approval by"), max_length=10, choices=ApprovalLevel.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approver"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("refund request")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]
        indexes = [models.Index(fields=["status", "needs_level"], name="refund_approval_queue")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.amount} {self.status}"


class ReturnVisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    DONE = "done", _("done")
    UNREACHABLE = "unreachable", _("not reached")
    CANCELLED = "cancelled", _("cancelled")


class ReturnVisit(models.Model):
    """A return visit (回访): the unified callback queue's one call about one matter.
    ``due_at`` follows the rule (3 days after a fault, a week after a provisioned request);
    an unsolved answer reopens the ticket to its owner."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="return_visits")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=ReturnVisitStatus.choices,
                              default=ReturnVisitStatus.SCHEDULED)
    created_at = models.DateTimeField(_("created at"))
    due_at = models.DateTimeField(_("due"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    reachable = models.BooleanField(_("reached"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1-10)"), null=True, blank=True)
    solved = models.BooleanField(_("really solved"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("return visit")
        constraints = [
            models.CheckConstraint(condition=Q(satisfaction__isnull=True)
                                   | Q(satisfaction__gte=1, satisfaction__lte=10),
                                   name="return_visit_satisfaction_1_to_10"),
            # One unified queue: never two scheduled calls about the same matter.
            models.UniqueConstraint(fields=["ticket"], condition=Q(status="scheduled"),
                                    name="one_scheduled_visit_per_ticket"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="return_visit_queue"),
                   models.Index(fields=["customer", "last_attempt_at"], name="return_visit_calls")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.status} {self.due_at:%Y-%m-%d}"
