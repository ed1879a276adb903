"""Work orders: the owner hands part of the work to a back-office team (billing, network,
provisioning, SP management), each with its own due time, and keeps the customer
(domain.md section 5, one-stop service). A ticket is not resolved while one is open."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User as StaffUser
from django.utils import timezone

from telcrm.core.calendar import configured_calendar
from telcrm.core.errors import NotFound, ValidationFailed

from .models import NoteKind, Ticket, TicketNote, WorkOrder, WorkOrderStatus, WorkOrderTeam
from .services import User, require, require_work, visible_tickets

#: Default turnaround of each back-office team, in business minutes (a day is 540).
TURNAROUND = {WorkOrderTeam.BILLING: 540, WorkOrderTeam.NETWORK: 1080, WorkOrderTeam.PROVISIONING: 1620,
              WorkOrderTeam.SP_MANAGEMENT: 540}


def _actor(actor: User) -> StaffUser | None:
    return actor if isinstance(actor, StaffUser) else None


def split_work_order(actor: User, *, ticket: Ticket, team: str, description: str,
                     due_at: dt.datetime | None = None, at: dt.datetime | None = None) -> WorkOrder:
    require(actor, "tickets.add_workorder")
    require_work(actor, ticket)
    if not ticket.is_open:
        raise ValidationFailed("the ticket is no longer open", code="ticket_not_open")
    if team not in WorkOrderTeam.values:
        raise ValidationFailed(f"unknown back-office team {team!r}", code="invalid_team")
    if not description.strip():
        raise ValidationFailed("say what the team must do", code="missing_description")
    now = at or timezone.now()
    due = due_at or configured_calendar().add_business_minutes(now, TURNAROUND[WorkOrderTeam(team)])
    if due <= now:
        raise ValidationFailed("the due time must be in the future", code="due_in_past")
    order = WorkOrder.objects.create(ticket=ticket, team=team, description=description.strip(), due_at=due,
                                     created_by=_actor(actor), created_at=now)
    TicketNote.objects.create(ticket=ticket, kind=NoteKind.SYSTEM, at=now, author=_actor(actor),
                              text=f"work order {order.pk} to {order.get_team_display()}")
    return order


def _open_order(actor: User, work_order_id: int) -> WorkOrder:
    require(actor, "tickets.change_workorder")
    order = (WorkOrder.objects.select_for_update().select_related("ticket")
             .filter(pk=work_order_id, ticket__in=visible_tickets(actor)).first())
    if order is None:
        raise NotFound(f"work order {work_order_id} not found")
    if order.status != WorkOrderStatus.OPEN:
        raise ValidationFailed(f"the work order is already {order.status}", code="work_order_closed")
    return order


def complete_work_order(actor: User, *, work_order_id: int, result: str,
                        at: dt.datetime | None = None) -> WorkOrder:
    """The back-office team reports its work done; the result goes on the ticket."""
    if not result.strip():
        raise ValidationFailed("say what was done", code="missing_result")
    return _finish(actor, work_order_id, WorkOrderStatus.DONE, result.strip(), at)


def cancel_work_order(actor: User, *, work_order_id: int, reason: str,
                      at: dt.datetime | None = None) -> WorkOrder:
    order = _open_order(actor, work_order_id)
    require_work(actor, order.ticket)
    return _finish(actor, work_order_id, WorkOrderStatus.CANCELLED, reason.strip(), at, order=order)


def _finish(actor: User, work_order_id: int, status: str, result: str, at: dt.datetime | None,
            order: WorkOrder | None = None) -> WorkOrder:
    order = order or _open_order(actor, work_order_id)
    now = at or timezone.now()
    order.status, order.result, order.completed_at, order.completed_by = status, result, now, _actor(actor)
    order.save(update_fields=["status", "result", "completed_at", "completed_by"])
    TicketNote.objects.create(ticket=order.ticket, kind=NoteKind.SYSTEM, at=now, author=_actor(actor),
                              text=f"work order {order.pk} {status}: {result}")
    return order
