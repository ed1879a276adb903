"""Return visits (回访): every resolved case is called back, by one unified queue
(domain.md section 5: 100% of cases; within one week after a service is provisioned,
within 3 days after a fault is handled; no repeated calls from different departments;
unresolved issues go back to the account manager).

The rules are configuration: ``settings.TELCRM_RETURN_VISITS`` may override any key of
``DEFAULTS`` (days by ticket kind, the most outbound calls a customer gets in a period,
the attempts before a customer counts as unreachable).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User as StaffUser
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from telcrm.core.errors import Conflict, NotFound, ValidationFailed
from telcrm.customers.models import Channel, CustomerKind, Direction, Interaction, InteractionOutcome, InteractionTopic

from .models import ReturnVisit, ReturnVisitStatus, Ticket, TicketKind, TicketStatus
from .services import User, change_status, require, save_ticket, visible_tickets

DEFAULTS: dict[str, Any] = {
    "days": {TicketKind.FAULT: 3, TicketKind.REQUEST: 7, TicketKind.COMPLAINT: 3, TicketKind.INQUIRY: 7},
    "max_calls": 3,
    "period_days": 7,
    "max_attempts": 3,
}


@dataclass(frozen=True)
class Rules:
    days: dict[str, int]
    max_calls: int
    period_days: int
    max_attempts: int


def rules() -> Rules:
    merged = {**DEFAULTS, **getattr(settings, "TELCRM_RETURN_VISITS", {})}
    return Rules(days={**DEFAULTS["days"], **merged["days"]}, max_calls=merged["max_calls"],
                 period_days=merged["period_days"], max_attempts=merged["max_attempts"])


def schedule_return_visit(*, ticket: Ticket, at: dt.datetime) -> ReturnVisit:
    """The visit for a resolved ticket. One matter, one call: tickets flagged as duplicates
    of one ticket share its scheduled visit (and it theirs)."""
    root = ticket.duplicate_of_id or ticket.pk
    existing = (ReturnVisit.objects.filter(status=ReturnVisitStatus.SCHEDULED)
                .filter(Q(ticket_id=root) | Q(ticket__duplicate_of_id=root)).first())
    if existing is not None:
        return existing
    days = rules().days[ticket.kind]
    return ReturnVisit.objects.create(ticket=ticket, customer_id=ticket.customer_id, created_at=at,
                                      due_at=at + dt.timedelta(days=days), assigned_to=None)


def _calls_since(customer_ids: list[int] | None, since: dt.datetime) -> QuerySet:
    calls = Interaction.objects.filter(direction=Direction.OUTBOUND, channel=Channel.CALL_CENTRE,
                                       occurred_at__gte=since)
    if customer_ids is not None:
        calls = calls.filter(customer_id__in=customer_ids)
    return calls


def callback_queue(actor: User, *, now: dt.datetime | None = None) -> QuerySet[ReturnVisit]:
    """Scheduled visits in the actor's scope, soonest due first, without the customers who
    already had the most calls the period allows (from any department: every outbound
    call on the customer's timeline counts)."""
    require(actor, "tickets.view_returnvisit")
    r = rules()
    since = (now or timezone.now()) - dt.timedelta(days=r.period_days)
    saturated = (_calls_since(None, since).values("customer_id").annotate(n=Count("id"))
                 .filter(n__gte=r.max_calls).values("customer_id"))
    return (ReturnVisit.objects.filter(status=ReturnVisitStatus.SCHEDULED, ticket__in=visible_tickets(actor))
            .exclude(customer_id__in=saturated).select_related("ticket", "customer").order_by("due_at", "id"))


def record_outcome(actor: User, *, visit_id: int, reachable: bool, satisfaction: int | None = None,
                   solved: bool | None = None, note: str = "", at: dt.datetime | None = None) -> ReturnVisit:
    """Record one call. Not reached: try again, up to the attempts allowed. Reached: the
    customer's satisfaction (1 to 10) and whether the problem is really solved; solved
    closes the ticket, unsolved reopens it to its owner (the account manager for an
    enterprise customer)."""
    require(actor, "tickets.change_returnvisit")
    visit = (ReturnVisit.objects.select_for_update().select_related("ticket", "ticket__customer")
             .filter(pk=visit_id, ticket__in=visible_tickets(actor)).first())
    if visit is None:
        raise NotFound(f"return visit {visit_id} not found")
    if visit.status != ReturnVisitStatus.SCHEDULED:
        raise ValidationFailed(f"the return visit is already {visit.status}", code="visit_done")
    if reachable:
        if not isinstance(satisfaction, int) or isinstance(satisfaction, bool) or not 1 <= satisfaction <= 10:
            raise ValidationFailed("satisfaction is a whole number from 1 to 10", code="invalid_satisfaction")
        if not isinstance(solved, bool):
            raise ValidationFailed("say whether the problem is really solved", code="missing_solved")
    now = at or timezone.now()
    r = rules()
    if _calls_since([visit.customer_id], now - dt.timedelta(days=r.period_days)).count() >= r.max_calls:
        raise Conflict(f"the customer was already called {r.max_calls} times in {r.period_days} days",
                       code="call_limit")
    agent = actor if isinstance(actor, StaffUser) else None
    Interaction.objects.create(
        customer_id=visit.customer_id, subscription_id=visit.ticket.subscription_id, channel=Channel.CALL_CENTRE,
        direction=Direction.OUTBOUND, occurred_at=now, agent=agent, topic=InteractionTopic.CARE,
        outcome=InteractionOutcome.RESOLVED if solved else InteractionOutcome.PENDING,
        note=f"return visit {visit.ticket.ticket_no}: {note}"[:500])
    visit.attempts += 1
    visit.last_attempt_at, visit.reachable, visit.note = now, reachable, note
    if reachable:
        visit.status, visit.satisfaction, visit.solved = ReturnVisitStatus.DONE, satisfaction, solved
    elif visit.attempts >= r.max_attempts:
        visit.status = ReturnVisitStatus.UNREACHABLE
    if visit.status != ReturnVisitStatus.SCHEDULED:
        visit.completed_at, visit.completed_by = now, agent
    visit.save()
    if reachable:
        _follow_up(actor, visit.ticket, solved=bool(solved), now=now)
    return visit


def _follow_up(actor: User, ticket: Ticket, *, solved: bool, now: dt.datetime) -> None:
    if ticket.status != TicketStatus.RESOLVED:
        return
    if solved:
        change_status(actor, ticket=ticket, status=TicketStatus.CLOSED, version=ticket.version,
                      reason="return visit: solved", at=now, check_owner=False)
        return
    change_status(actor, ticket=ticket, status=TicketStatus.IN_PROGRESS, version=ticket.version,
                  reason="return visit: not solved", at=now, check_owner=False)
    customer = ticket.customer
    if customer.kind == CustomerKind.ENTERPRISE and customer.account_manager_id is not None:
        save_ticket(ticket, version=ticket.version, fields={"owner_id": customer.account_manager_id})


def visit_rate(actor: User, *, resolved_from: dt.datetime, resolved_to: dt.datetime) -> dict[str, int]:
    """How many tickets resolved in the window got a visit, and how many were visited in
    time (reached or given up before the due time)."""
    tickets = visible_tickets(actor).filter(resolved_at__gte=resolved_from, resolved_at__lt=resolved_to)
    visits = ReturnVisit.objects.filter(ticket__in=tickets)
    done = ~Q(status=ReturnVisitStatus.SCHEDULED)
    return {"resolved": tickets.count(),
            "visits": visits.values("ticket_id").distinct().count(),
            "completed": visits.filter(done).count(),
            "on_time": visits.filter(done, completed_at__lte=F("due_at")).count()}
