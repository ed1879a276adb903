"""Refunds and credits with approval limits by level (domain.md section 5: a complaint
answered "with an explanation and, where due, a refund"): an agent approves up to its
limit itself, above it a supervisor must, above the supervisor's limit a manager. The
limits are configuration (``ApprovalLimit``); nobody approves their own request above
their own limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User as StaffUser
from django.db.models import QuerySet
from django.utils import timezone

from telcrm.core.errors import NotFound, PermissionDenied, ValidationFailed
from telcrm.core.models import UserProfile

from .models import ApprovalLevel, ApprovalLimit, RefundRequest, RefundStatus, Team, Ticket
from .services import User, is_manager, require, require_work, visible_tickets

RANK = {ApprovalLevel.AGENT: 0, ApprovalLevel.SUPERVISOR: 1, ApprovalLevel.MANAGER: 2}


def required_level(amount: Decimal, limits: Mapping[str, Decimal | None]) -> ApprovalLevel:
    """The lowest level whose limit covers ``amount`` (a level without a limit covers all)."""
    for level in sorted(RANK, key=RANK.__getitem__):
        if level in limits and (limits[level] is None or amount <= limits[level]):  # type: ignore[operator]
            return level
    raise ValidationFailed(f"no level may approve {amount}", code="above_every_limit")


def approval_level_of(user: User) -> ApprovalLevel:
    """Managers and administrators approve at manager level; whoever supervises a desk team
    or an agent at supervisor level; everyone else at agent level."""
    if is_manager(user):
        return ApprovalLevel.MANAGER
    if Team.objects.filter(supervisor_id=user.pk).exists() or UserProfile.objects.filter(
            supervisor_id=user.pk).exists():
        return ApprovalLevel.SUPERVISOR
    return ApprovalLevel.AGENT


def _limits() -> dict[str, Decimal | None]:
    return dict(ApprovalLimit.objects.values_list("level", "max_amount"))


def _amount(value: Decimal | str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{value!r} is not an amount", code="invalid_amount") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("the amount must be positive, in yuan and fen", code="invalid_amount")
    return amount


def request_refund(actor: User, *, ticket: Ticket, amount: Decimal | str, reason: str,
                   kind: str = "refund", at: dt.datetime | None = None) -> RefundRequest:
    """Ask for a refund or credit; within the actor's own limit it is approved at once."""
    require(actor, "tickets.add_refundrequest")
    require_work(actor, ticket)
    if not ticket.is_open:
        raise ValidationFailed("the ticket is no longer open", code="ticket_not_open")
    if not reason.strip():
        raise ValidationFailed("give the reason for the refund", code="missing_reason")
    value = _amount(amount)
    needs = required_level(value, _limits())
    now = at or timezone.now()
    if not isinstance(actor, StaffUser):
        raise PermissionDenied("sign in first")
    refund = RefundRequest(ticket=ticket, subscription_id=ticket.subscription_id, kind=kind, amount=value,
                           reason=reason.strip()[:200], needs_level=needs, requested_by=actor, requested_at=now)
    if RANK[approval_level_of(actor)] >= RANK[needs]:
        refund.status, refund.approver, refund.decided_at = RefundStatus.APPROVED, actor, now
        refund.decision_note = "within the requester's limit"
    refund.save()
    return refund


def refunds_awaiting(actor: User) -> QuerySet[RefundRequest]:
    """Pending refunds the actor may decide: in its scope, up to its level."""
    rank = RANK[approval_level_of(actor)]
    levels = [lvl for lvl, r in RANK.items() if r <= rank]
    return (RefundRequest.objects.filter(status=RefundStatus.PENDING, needs_level__in=levels,
                                         ticket__in=visible_tickets(actor))
            .exclude(requested_by_id=actor.pk).select_related("ticket"))


def decide_refund(actor: User, *, refund_id: int, approve: bool, note: str = "",
                  at: dt.datetime | None = None) -> RefundRequest:
    require(actor, "tickets.change_refundrequest")
    refund = (RefundRequest.objects.select_for_update()
              .filter(pk=refund_id, ticket__in=visible_tickets(actor)).first())
    if refund is None:
        raise NotFound(f"refund request {refund_id} not found")
    if refund.status != RefundStatus.PENDING:
        raise ValidationFailed(f"the refund is already {refund.status}", code="refund_decided")
    if refund.requested_by_id == actor.pk:
        raise PermissionDenied("a refund above your own limit needs someone else's approval")
    level = approval_level_of(actor)
    if RANK[level] < RANK[ApprovalLevel(refund.needs_level)]:
        raise PermissionDenied(f"{refund.amount} is above the {level} limit: a {refund.needs_level} "
                               "must approve it")
    if not isinstance(actor, StaffUser):
        raise PermissionDenied("sign in first")
    refund.status = RefundStatus.APPROVED if approve else RefundStatus.REJECTED
    refund.approver, refund.decided_at, refund.decision_note = actor, at or timezone.now(), note[:200]
    refund.save(update_fields=["status", "approver", "decided_at", "decision_note"])
    return refund
