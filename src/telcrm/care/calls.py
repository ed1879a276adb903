"""Outbound call tasks (外呼): the agent's work list with the call script, the customer's
context and the outcome codes (issue 4, "Channels, for real"). An outcome is recorded as an
Interaction, so the call shows on the customer's timeline like any other contact; "asked
not to be called" opts the customer out of marketing calls at once. The caller owns the
transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet, Sum
from django.utils import timezone

from telcrm.care import contacts
from telcrm.care.models import (
    CallOutcome,
    CallStatus,
    CallTask,
    CampaignMember,
    Channel,
    ConsentSource,
    Group,
)
from telcrm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from telcrm.core.masking import mask_phone
from telcrm.customers.models import Account, Customer, Direction, Interaction, InteractionOutcome, InteractionTopic
from telcrm.customers.models import Channel as ContactChannel
from telcrm.customers.policy import customer_scope
from telcrm.value.services import ServiceLevel, service_level

#: How a call's outcome reads on the customer's timeline.
_TIMELINE_OUTCOME = {
    CallOutcome.ACCEPTED: InteractionOutcome.RESOLVED,
    CallOutcome.DECLINED: InteractionOutcome.RESOLVED,
    CallOutcome.INFORMED: InteractionOutcome.RESOLVED,
    CallOutcome.CALL_BACK: InteractionOutcome.PENDING,
    CallOutcome.NO_ANSWER: InteractionOutcome.PENDING,
    CallOutcome.WRONG_NUMBER: InteractionOutcome.PENDING,
    CallOutcome.DO_NOT_CALL: InteractionOutcome.RESOLVED,
}


def _require(actor: User) -> None:
    if not actor.has_perm("care.work_calltask"):
        raise PermissionDenied("your role does not work call tasks")


def _tasks(actor: User) -> QuerySet[CallTask]:
    return CallTask.objects.filter(customer_scope(actor, via="customer"))


@dataclass(frozen=True)
class CallRow:
    task: CallTask
    msisdn_masked: str
    overdue: bool


def work_list(actor: User, *, mine: bool = False, at: dt.datetime | None = None) -> list[CallRow]:
    """Open calls of the actor's scope, those due first; ``mine`` only those assigned to the actor."""
    _require(actor)
    tasks = (_tasks(actor).filter(status=CallStatus.OPEN)
             .select_related("customer", "campaign", "assigned_to").order_by("due_at", "id"))
    if mine:
        tasks = tasks.filter(assigned_to=actor)
    rows = list(tasks[:500])
    lines = contacts.primary_lines([t.customer_id for t in rows])
    now = at or timezone.now()
    return [CallRow(t, mask_phone(lines[t.customer_id].msisdn) if t.customer_id in lines else "", t.due_at < now)
            for t in rows]


@dataclass(frozen=True)
class CallCard:
    """What the agent sees before dialling: the script and who the customer is."""

    task: CallTask
    customer: Customer
    msisdn_masked: str
    plan: str
    level: ServiceLevel
    arrears: object
    campaigns: list[CampaignMember]
    recent: list[Interaction]

    @property
    def star_marks(self) -> str:
        return "★" * self.level.stars


def call_card(actor: User, *, task_id: int) -> CallCard:
    _require(actor)
    task = _tasks(actor).select_related("customer", "campaign", "firing__trigger").filter(pk=task_id).first()
    if task is None:
        raise NotFound("call task not found")
    customer = task.customer
    line = contacts.primary_lines([customer.pk]).get(customer.pk)
    arrears = Account.objects.filter(customer=customer, balance__lt=0).aggregate(total=Sum("balance"))["total"]
    return CallCard(
        task=task, customer=customer, msisdn_masked=mask_phone(line.msisdn) if line else "",
        plan=line.plan.name if line else "", level=service_level(customer_id=customer.pk),
        arrears=-arrears if arrears else None,
        campaigns=list(CampaignMember.objects.filter(customer=customer, group=Group.TREATMENT)
                       .select_related("campaign").order_by("-drawn_at")[:5]),
        recent=list(customer.interactions.order_by("-occurred_at")[:5]),
    )


def complete_call(actor: User, *, task: CallTask, outcome: str, note: str, at: dt.datetime) -> CallTask:
    """Close an open call with its outcome, written to the timeline as an outbound care
    contact by the agent. A second completion of the same task is refused (the row is
    locked), so an outcome is never recorded twice."""
    _require(actor)
    if outcome not in CallOutcome.values:
        raise ValidationFailed(f"outcome: unknown {outcome!r}")
    locked = _tasks(actor).select_for_update().filter(pk=task.pk).first()
    if locked is None:
        raise NotFound("call task not found")
    if locked.status != CallStatus.OPEN:
        raise Conflict("the call was already completed")
    line = contacts.primary_lines([locked.customer_id]).get(locked.customer_id)
    label = CallOutcome(outcome).label
    interaction = Interaction.objects.create(
        customer_id=locked.customer_id, subscription=line, channel=ContactChannel.CALL_CENTRE,
        direction=Direction.OUTBOUND, occurred_at=at, agent=actor, topic=InteractionTopic.CARE,
        outcome=_TIMELINE_OUTCOME[CallOutcome(outcome)],
        note=f"{label}" + (f": {note.strip()}" if note.strip() else ""),
    )
    locked.status, locked.outcome, locked.note = CallStatus.DONE, outcome, note.strip()
    locked.interaction, locked.completed_at = interaction, at
    if locked.assigned_to_id is None:
        locked.assigned_to = actor
    locked.save(update_fields=["status", "outcome", "note", "interaction", "completed_at", "assigned_to"])
    if outcome == CallOutcome.DO_NOT_CALL:
        contacts.record_opt_out(locked.customer, channel=Channel.CALL, source=ConsentSource.CALL_CENTRE, at=at)
    return locked
