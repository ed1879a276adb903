"""The ticket's life: open, assign, note, change status (TMF621), resolve, close
(domain.md section 5, one-stop service: one owner from start to end).

Every change to a ticket's row is a compare-and-set on its ``version`` (optimistic
locking): two agents editing the same ticket never overwrite each other, the second gets
``Conflict``. The caller owns the transaction (``transaction.atomic()`` in the view,
handler or command). Work orders, complaint verification, refunds and return visits have
their own modules.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as StaffUser
from django.db.models import F, QuerySet
from django.utils import timezone

from telcrm.core import events
from telcrm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from telcrm.core.roles import Role, role_of
from telcrm.customers.models import (
    Channel,
    Customer,
    Direction,
    Interaction,
    InteractionOutcome,
    InteractionTopic,
    Subscription,
)
from telcrm.customers.policy import customer_scope, visible_customers
from telcrm.value.services import service_level

from . import sla
from .models import (
    OPEN_STATUSES,
    Category,
    Escalation,
    EscalationLevel,
    NoteKind,
    Resolution,
    ReturnVisitStatus,
    SlaPolicy,
    SlaStage,
    StatusChange,
    Team,
    Ticket,
    TicketChannel,
    TicketKind,
    TicketNote,
    TicketStatus,
    WorkOrderStatus,
)
from .states import check_transition

User = StaffUser | AnonymousUser

_TOPIC = {TicketKind.COMPLAINT: InteractionTopic.COMPLAINT, TicketKind.FAULT: InteractionTopic.FAULT,
          TicketKind.INQUIRY: InteractionTopic.INQUIRY, TicketKind.REQUEST: InteractionTopic.INQUIRY}


def require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(f"not allowed: {perm}")


def visible_tickets(actor: User) -> QuerySet[Ticket]:
    """Tickets of the customers the actor may see (customers.policy): outside it a ticket
    does not exist for the actor."""
    if not actor.has_perm("tickets.view_ticket"):
        return Ticket.objects.none()
    return Ticket.objects.filter(customer_scope(actor, via="customer"))


def get_ticket(actor: User, *, ticket_no: str) -> Ticket:
    ticket = visible_tickets(actor).select_related("customer", "category", "team", "owner").filter(
        ticket_no=ticket_no).first()
    if ticket is None:
        raise NotFound(f"ticket {ticket_no} not found")
    return ticket


def is_manager(actor: User) -> bool:
    return role_of(actor) in (Role.MANAGER, Role.ADMINISTRATOR)


def may_work(actor: User, ticket: Ticket) -> bool:
    """One-stop: the owner works the ticket; its team's supervisor and the managers may step
    in; an unowned ticket (opened through the API) is anyone's to take."""
    if not actor.has_perm("tickets.change_ticket"):
        return False
    if ticket.owner_id is None or ticket.owner_id == actor.pk or is_manager(actor):
        return True
    team = ticket.team
    return team is not None and actor.pk in (team.supervisor_id, team.manager_id)


def require_work(actor: User, ticket: Ticket) -> None:
    if not may_work(actor, ticket):
        raise PermissionDenied("only the ticket's owner, its supervisor or a manager may change it")


def save_ticket(ticket: Ticket, *, version: int, fields: dict[str, Any]) -> Ticket:
    """Compare-and-set: write ``fields`` only if the ticket still has ``version``."""
    now = timezone.now()
    done = Ticket.objects.filter(pk=ticket.pk, version=version).update(
        **fields, version=F("version") + 1, updated_at=now)
    if not done:
        raise Conflict(f"ticket {ticket.ticket_no} was changed by someone else; reload it and try again",
                       code="version_conflict")
    for name, value in fields.items():
        setattr(ticket, name, value)
    ticket.version, ticket.updated_at = version + 1, now
    return ticket


def _policy(*, stars: int, kind: str, channel: str) -> SlaPolicy:
    return sla.pick_policy(SlaPolicy.objects.filter(stars=stars, kind=kind), stars=stars, kind=kind,
                           channel=channel)


def clock_fields(ticket: Ticket, *, start: dt.datetime | None = None) -> dict[str, Any]:
    """The deadline columns of a ticket from its policy, opening (or ``start``: a reopened
    ticket starts a new cycle), pause and first response."""
    if ticket.sla_policy is None:
        return {}
    targets = sla.targets_of(ticket.sla_policy)
    d = sla.deadlines(targets, opened_at=start or ticket.opened_at, paused_minutes=ticket.paused_minutes)
    times = sla.stage_times(d, responded=ticket.first_response_at is not None)
    running = ticket.status in OPEN_STATUSES and ticket.status != TicketStatus.PENDING
    return {"response_due": d.response_due, "resolution_due": d.resolution_due,
            "regulatory_due": ticket.regulatory_due or d.regulatory_due,
            "warn_at": times.warn_at, "supervisor_at": times.supervisor_at, "manager_at": times.manager_at,
            "sweep_due_at": sla.next_check(times, stage=ticket.sla_stage) if running else None}


def _event_args(ticket: Ticket) -> dict[str, Any]:
    return {"ticket_id": ticket.pk, "ticket_no": ticket.ticket_no, "customer_id": ticket.customer_id,
            "subscription_id": ticket.subscription_id, "kind": ticket.kind,
            "category": ticket.category.code}


def open_ticket(actor: User, *, customer: Customer, kind: str, category: Category, channel: str,
                subject: str, description: str = "", subscription: Subscription | None = None,
                owner: StaffUser | None = None, at: dt.datetime | None = None) -> Ticket:
    """Open a ticket for a customer the actor may see. The customer's star level and the
    kind pick the SLA policy; an open ticket of the same customer and category is flagged
    as a possible duplicate; the contact lands on the customer's timeline."""
    require(actor, "tickets.add_ticket")
    if not visible_customers(actor).filter(pk=customer.pk).exists():
        raise NotFound(f"customer {customer.customer_no} not found")
    if kind not in TicketKind.values:
        raise ValidationFailed(f"unknown ticket kind {kind!r}", code="invalid_kind")
    if channel not in TicketChannel.values:
        raise ValidationFailed(f"unknown channel {channel!r}", code="invalid_channel")
    if not category.active:
        raise ValidationFailed(f"category {category.code} is no longer in use", code="inactive_category")
    if subscription is not None and subscription.customer_id != customer.pk:
        raise ValidationFailed("the line does not belong to this customer", code="foreign_subscription")
    if not subject.strip():
        raise ValidationFailed("a ticket needs a subject", code="missing_subject")
    now = at or timezone.now()
    stars = service_level(customer_id=customer.pk).stars
    policy = _policy(stars=stars, kind=kind, channel=channel)
    staff = actor if isinstance(actor, StaffUser) else None
    owner = owner or staff
    team = Team.objects.filter(members=owner).first() if owner is not None else None
    duplicate = (Ticket.objects.filter(customer=customer, category=category, status__in=OPEN_STATUSES)
                 .order_by("opened_at").first())
    ticket = Ticket(ticket_no=f"TMP-{uuid.uuid4().hex[:16]}", kind=kind, category=category,
                    customer=customer, subscription=subscription, channel=channel, subject=subject.strip(),
                    description=description, priority=policy.priority, stars=stars, owner=owner, team=team,
                    region_id=customer.region_id, opened_by=staff,
                    opened_at=now, sla_policy=policy, duplicate_of=duplicate)
    for name, value in clock_fields(ticket).items():
        setattr(ticket, name, value)
    ticket.save()
    ticket.ticket_no = f"TT{ticket.pk:010d}"
    Ticket.objects.filter(pk=ticket.pk).update(ticket_no=ticket.ticket_no)
    StatusChange.objects.create(ticket=ticket, to_status=ticket.status, at=now,
                                actor=staff, reason="opened")
    Interaction.objects.create(
        customer=customer, subscription=subscription, occurred_at=now, direction=Direction.INBOUND,
        channel=Channel.VISIT if channel == TicketChannel.ACCOUNT_MANAGER else channel,
        agent=ticket.opened_by, topic=_TOPIC[TicketKind(kind)], outcome=InteractionOutcome.PENDING,
        note=f"{ticket.ticket_no}: {ticket.subject}")
    events.ticket_opened.send(sender=Ticket, opened_at=now, channel=channel, **_event_args(ticket))
    return ticket


def assign_ticket(actor: User, *, ticket: Ticket, owner: StaffUser, version: int) -> Ticket:
    """Give the ticket a new owner (the one-stop owner; the team follows the owner)."""
    require_work(actor, ticket)
    if not owner.has_perm("tickets.change_ticket"):
        raise ValidationFailed(f"{owner} does not work tickets", code="invalid_owner")
    team = Team.objects.filter(members=owner).first()
    return save_ticket(ticket, version=version, fields={"owner": owner, "team": team})


def add_note(actor: User, *, ticket: Ticket, text: str, kind: str = NoteKind.INTERNAL,
             work_minutes: int = 0, at: dt.datetime | None = None) -> TicketNote:
    """A note; a reply to the customer is the first response when none was given yet (and
    starts the work on an acknowledged ticket). A customer's SMS reply on a pending ticket
    takes it back to work."""
    require(actor, "tickets.add_ticketnote")
    if kind not in NoteKind.values:
        raise ValidationFailed(f"unknown note kind {kind!r}", code="invalid_note_kind")
    if not text.strip():
        raise ValidationFailed("the note is empty", code="empty_note")
    now = at or timezone.now()
    note = TicketNote.objects.create(ticket=ticket, kind=kind, text=text.strip(), work_minutes=work_minutes,
                                     at=now, author=actor if isinstance(actor, StaffUser) else None)
    if kind == NoteKind.REPLY and ticket.first_response_at is None:
        respond(actor, ticket=ticket, version=ticket.version, at=now)
    elif kind == NoteKind.CUSTOMER and ticket.status == TicketStatus.PENDING:
        change_status(actor, ticket=ticket, status=TicketStatus.IN_PROGRESS, version=ticket.version,
                      reason="the customer replied", at=now, check_owner=False)
    return note


def respond(actor: User, *, ticket: Ticket, version: int, at: dt.datetime | None = None) -> Ticket:
    """Record the first response: the response clock stops, only the resolution clock runs."""
    now = at or timezone.now()
    if ticket.first_response_at is not None:
        return ticket
    old = ticket.status
    ticket.first_response_at = now
    fields: dict[str, Any] = {"first_response_at": now}
    if old == TicketStatus.ACKNOWLEDGED:
        ticket.status = fields["status"] = TicketStatus.IN_PROGRESS
    fields.update(clock_fields(ticket))
    save_ticket(ticket, version=version, fields=fields)
    if old != ticket.status:
        _history(actor, ticket, old, now, "first response")
    return ticket


def _history(actor: User, ticket: Ticket, old: str, at: dt.datetime, reason: str) -> None:
    StatusChange.objects.create(ticket=ticket, from_status=old, to_status=ticket.status, at=at,
                                actor=actor if isinstance(actor, StaffUser) else None,
                                reason=reason[:200])


def change_status(actor: User, *, ticket: Ticket, status: str, version: int, reason: str = "",
                  at: dt.datetime | None = None, check_owner: bool = True,
                  resolution: str = "", resolution_note: str = "") -> Ticket:
    """Move a ticket along the TMF621 table (tickets.states); an illegal move is refused.

    pending stops the clock (waiting for the customer) and leaving it moves every deadline
    on by the business minutes spent waiting; resolved needs a resolution, no open work
    order or pending refund, and evidence for a complaint; resolved back to inProgress is
    a reopening, which starts a new SLA cycle.
    """
    if check_owner:
        require_work(actor, ticket)
    check_transition(ticket.status, status)
    now = at or timezone.now()
    fields: dict[str, Any] = {"status": status}
    if status == TicketStatus.PENDING:
        fields["paused_since"] = now
    if ticket.status == TicketStatus.PENDING and ticket.paused_since is not None:
        targets = sla.targets_of(ticket.sla_policy) if ticket.sla_policy else None
        waited = sla.paused_for(targets, since=ticket.paused_since, until=now) if targets else 0
        fields.update(paused_minutes=ticket.paused_minutes + int(waited), paused_since=None)
    if status == TicketStatus.IN_PROGRESS and ticket.first_response_at is None:
        fields["first_response_at"] = now
    start = None
    if status == TicketStatus.RESOLVED:
        fields.update(_resolution_fields(ticket, resolution, resolution_note, now))
    old = ticket.status
    if old == TicketStatus.RESOLVED and status == TicketStatus.IN_PROGRESS:
        # A new SLA cycle: fresh deadlines and warnings (each escalation level is still
        # recorded once per ticket).
        fields.update(reopened=ticket.reopened + 1, resolved_at=None, resolution="",
                      first_contact_resolution=False, paused_minutes=0, sla_stage=SlaStage.ON_TIME,
                      warned_at=None)
        start = now
    if status == TicketStatus.CLOSED:
        fields["closed_at"] = now
    for name, value in fields.items():
        setattr(ticket, name, value)
    fields.update(clock_fields(ticket, start=start))
    save_ticket(ticket, version=version, fields=fields)
    _history(actor, ticket, old, now, reason)
    if start is not None:
        # The call about the old answer is moot; the next resolution schedules a new one.
        ticket.return_visits.filter(status=ReturnVisitStatus.SCHEDULED).update(status=ReturnVisitStatus.CANCELLED)
    if status == TicketStatus.RESOLVED:
        _after_resolution(ticket, now)
    return ticket


def _resolution_fields(ticket: Ticket, resolution: str, note: str, now: dt.datetime) -> dict[str, Any]:
    if resolution not in Resolution.values:
        raise ValidationFailed("choose how the ticket was resolved", code="missing_resolution")
    if ticket.work_orders.filter(status=WorkOrderStatus.OPEN).exists():
        raise ValidationFailed("a work order is still open: complete or cancel it first",
                               code="work_order_open")
    if ticket.refunds.filter(status="pending").exists():
        raise ValidationFailed("a refund is waiting for approval", code="refund_pending")
    if ticket.kind == TicketKind.COMPLAINT and not ticket.evidence.exists():
        raise ValidationFailed("verify the complaint against the records and attach what you checked",
                               code="not_verified")
    first_contact = (not ticket.work_orders.exists() and not Escalation.objects.filter(ticket=ticket).exists()
                     and ticket.paused_minutes == 0 and ticket.reopened == 0
                     and ticket.owner_id is not None and ticket.owner_id == ticket.opened_by_id)
    return {"resolution": resolution, "resolution_note": note, "resolved_at": now,
            "first_contact_resolution": first_contact}


def _after_resolution(ticket: Ticket, now: dt.datetime) -> None:
    from .return_visits import schedule_return_visit

    schedule_return_visit(ticket=ticket, at=now)
    events.ticket_resolved.send(sender=Ticket, resolved_at=now, **_event_args(ticket))


def resolve_ticket(actor: User, *, ticket: Ticket, version: int, resolution: str, note: str = "",
                   at: dt.datetime | None = None) -> Ticket:
    """Resolve (from acknowledged via inProgress: an inquiry answered on the first call)."""
    now = at or timezone.now()
    if ticket.status == TicketStatus.ACKNOWLEDGED:
        change_status(actor, ticket=ticket, status=TicketStatus.IN_PROGRESS, version=version, at=now)
        version = ticket.version
    return change_status(actor, ticket=ticket, status=TicketStatus.RESOLVED, version=version, at=now,
                         resolution=resolution, resolution_note=note)


def close_ticket(actor: User, *, ticket: Ticket, version: int, at: dt.datetime | None = None) -> Ticket:
    return change_status(actor, ticket=ticket, status=TicketStatus.CLOSED, version=version, at=at)


def escalate_ticket(actor: User, *, ticket: Ticket, level: str, reason: str,
                    at: dt.datetime | None = None) -> Escalation:
    """An agent asks for help before the clock forces it (the sweep escalates at breach):
    recorded like the sweep's, once per level, to the team's supervisor or manager."""
    require_work(actor, ticket)
    if level not in EscalationLevel.values:
        raise ValidationFailed(f"unknown escalation level {level!r}", code="invalid_level")
    if not ticket.is_open:
        raise ValidationFailed("the ticket is no longer open", code="ticket_not_open")
    if not reason.strip():
        raise ValidationFailed("say why the ticket needs escalating", code="missing_reason")
    if ticket.escalations.filter(level=level).exists():
        raise Conflict(f"the ticket is already escalated to the {level}", code="already_escalated")
    team = ticket.team
    to = None
    if team is not None:
        to = team.supervisor_id if level == EscalationLevel.SUPERVISOR else team.manager_id
    return Escalation.objects.create(ticket=ticket, level=level, at=at or timezone.now(), reason=reason.strip()[:200],
                                     escalated_to_id=to, actor=actor if isinstance(actor, StaffUser) else None)

