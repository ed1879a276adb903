"""The SLA sweep (``telcrm tickets sweep``): every ticket whose next SLA stage has fallen
due moves to the stage it has reached, and each escalation level it passes is recorded
once, addressed to the team's supervisor or manager (domain.md section 5: "escalation to
the supervisor and then the manager at breach; every escalation recorded").

Built for a million open tickets, the sweep is five set-wise statements and never loads a
ticket into Python: the tickets to look at are those with ``sweep_due_at <= now`` (a
range on its partial index), and the stage each has reached is a comparison of the stored
stage times (``warn_at``, ``supervisor_at``, ``manager_at``) with ``now``: the set-wise
form of ``sla.stage_at``. First each escalation level passed is inserted from a SELECT
(``ON CONFLICT DO NOTHING`` on the unique (ticket, level) constraint makes a repeated or
concurrent sweep a no-op), then the tickets move to their stage, the highest first. The
sweep writes only the clock columns, never what agents edit, so it does not bump
``version`` and never makes an agent's save conflict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce

from .models import EscalationLevel, SlaStage, Ticket

_REASON = {EscalationLevel.SUPERVISOR: "SLA breached", EscalationLevel.MANAGER: "SLA breached well beyond target"}

# The escalation of each level for every due ticket that reached it and was below it; the
# supervisor is the team's, or the owner's own (core.UserProfile) for a ticket without a team.
_ESCALATE = """
INSERT INTO tickets_escalation (ticket_id, level, at, reason, escalated_to_id, actor_id)
SELECT t.id, %s, %s, %s, {recipient}, NULL
FROM tickets_ticket t LEFT JOIN tickets_team tm ON tm.id = t.team_id
WHERE t.sweep_due_at <= %s AND t.sla_stage < %s AND t.{reached} <= %s
ON CONFLICT DO NOTHING
"""
_RECIPIENT = {
    EscalationLevel.SUPERVISOR: ("supervisor_at", "COALESCE(tm.supervisor_id, (SELECT p.supervisor_id FROM "
                                                  "core_userprofile p WHERE p.user_id = t.owner_id))"),
    EscalationLevel.MANAGER: ("manager_at", "tm.manager_id"),
}
_STAGE_OF = {EscalationLevel.SUPERVISOR: SlaStage.SUPERVISOR, EscalationLevel.MANAGER: SlaStage.MANAGER}


@dataclass(frozen=True)
class SweepResult:
    due: int
    warned: int
    to_supervisor: int
    to_manager: int


def due_tickets(now: dt.datetime) -> QuerySet[Ticket]:
    """Every ticket whose next stage is due."""
    return Ticket.objects.filter(sweep_due_at__lte=now)


def _escalate(level: EscalationLevel, now: dt.datetime) -> int:
    reached, recipient = _RECIPIENT[level]
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_ESCALATE.format(recipient=recipient, reached=reached),
                       [level.value, at, _REASON[level], at, int(_STAGE_OF[level]), at])
        return max(cursor.rowcount, 0)


def sweep_sla(*, now: dt.datetime) -> SweepResult:
    """Run one sweep at ``now``; the caller owns the transaction."""
    due = due_tickets(now)
    count = due.count()
    if not count:
        return SweepResult(0, 0, 0, 0)
    to_supervisor = _escalate(EscalationLevel.SUPERVISOR, now)
    to_manager = _escalate(EscalationLevel.MANAGER, now)
    warned = Coalesce(F("warned_at"), Value(now))
    # Highest stage first: a ticket moved by one statement is no longer due for the next.
    due.filter(manager_at__lte=now, sla_stage__lt=SlaStage.MANAGER).update(
        sla_stage=SlaStage.MANAGER, sweep_due_at=None, warned_at=warned)
    due.filter(supervisor_at__lte=now, sla_stage__lt=SlaStage.SUPERVISOR).update(
        sla_stage=SlaStage.SUPERVISOR, sweep_due_at=F("manager_at"), warned_at=warned)
    newly_warned = due.filter(warn_at__lte=now, sla_stage__lt=SlaStage.WARNED).update(
        sla_stage=SlaStage.WARNED, sweep_due_at=F("supervisor_at"), warned_at=warned)
    # Anything still due had its stage already (a stale check time): look again at the next.
    for stage, column in ((SlaStage.ON_TIME, "warn_at"), (SlaStage.WARNED, "supervisor_at"),
                          (SlaStage.SUPERVISOR, "manager_at")):
        due.filter(sla_stage=stage).update(sweep_due_at=F(column))
    due.filter(sla_stage=SlaStage.MANAGER).update(sweep_due_at=None)
    return SweepResult(due=count, warned=newly_warned, to_supervisor=to_supervisor, to_manager=to_manager)
