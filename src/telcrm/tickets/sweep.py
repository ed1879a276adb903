"""The SLA sweep (``telcrm tickets sweep``): every ticket whose next SLA stage has fallen
due moves to the stage it has reached, and each escalation level it passes is recorded
once, addressed to the team's supervisor or manager (domain.md section 5: "escalation to
the supervisor and then the manager at breach; every escalation recorded").

Built for a million open tickets: the tickets to look at are one range query on the
indexed ``sweep_due_at`` column, the new stage is a comparison with the stored stage times
(no business-time arithmetic), escalations are inserted in bulk (the unique (ticket,
level) constraint makes a second sweep, even a concurrent one, a no-op), and the tickets
are updated with one statement per stage. The sweep writes only the clock columns, never
what agents edit, so it does not bump ``version`` and never makes an agent's save conflict.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Coalesce

from telcrm.core.models import UserProfile

from . import sla
from .models import Escalation, EscalationLevel, SlaStage, Team, Ticket

#: Ids per UPDATE: below every database's limit on statement parameters.
CHUNK = 5000
#: The column holding when the stage after each stage falls due.
_NEXT = {SlaStage.ON_TIME: "warn_at", SlaStage.WARNED: "supervisor_at", SlaStage.SUPERVISOR: "manager_at"}
_REASON = {EscalationLevel.SUPERVISOR: "SLA breached", EscalationLevel.MANAGER: "SLA breached well beyond target"}


@dataclass(frozen=True)
class SweepResult:
    due: int
    warned: int
    to_supervisor: int
    to_manager: int


def due_tickets(now: dt.datetime) -> list[tuple]:
    """Every ticket whose next stage is due: the sweep's one read."""
    return list(Ticket.objects.filter(sweep_due_at__lte=now).order_by()
                .values_list("id", "sla_stage", "warn_at", "supervisor_at", "manager_at", "team_id", "owner_id"))


def _recipients(rows: list[tuple]) -> tuple[dict[int, tuple[int | None, int | None]], dict[int, int | None]]:
    team_ids = {r[5] for r in rows if r[5] is not None}
    teams: dict[int, tuple[int | None, int | None]] = {t: (s, m) for t, s, m in Team.objects.filter(pk__in=team_ids)
             .values_list("id", "supervisor_id", "manager_id")}
    lone = {r[6] for r in rows if r[5] is None and r[6] is not None}
    supervisors: dict[int, int | None] = dict(
        UserProfile.objects.filter(user_id__in=lone).values_list("user_id", "supervisor_id"))
    return teams, supervisors


def sweep_sla(*, now: dt.datetime) -> SweepResult:
    """Run one sweep at ``now``; the caller owns the transaction."""
    rows = due_tickets(now)
    teams, supervisors = _recipients(rows)
    by_stage: dict[int, list[int]] = defaultdict(list)
    escalations: list[Escalation] = []
    for pk, old, warn_at, supervisor_at, manager_at, team_id, owner_id in rows:
        if warn_at is None or supervisor_at is None or manager_at is None:
            by_stage[old].append(pk)
            continue
        new = max(old, sla.stage_at(sla.StageTimes(warn_at, supervisor_at, manager_at), now=now))
        by_stage[new].append(pk)
        for level in sla.escalations_between(old, new):
            boss, manager = teams.get(team_id, (supervisors.get(owner_id), None))
            to = boss if level == EscalationLevel.SUPERVISOR else manager
            escalations.append(Escalation(ticket_id=pk, level=level, at=now, reason=_REASON[level],
                                          escalated_to_id=to))
    Escalation.objects.bulk_create(escalations, batch_size=CHUNK, ignore_conflicts=True)
    for stage, ids in by_stage.items():
        changes: dict[str, Any] = {"sla_stage": stage,
                   "sweep_due_at": F(_NEXT[SlaStage(stage)]) if stage in _NEXT else Value(None)}
        if stage >= SlaStage.WARNED:
            changes["warned_at"] = Coalesce(F("warned_at"), Value(now))
        for start in range(0, len(ids), CHUNK):
            Ticket.objects.filter(pk__in=ids[start:start + CHUNK]).update(**changes)
    passed = [e.level for e in escalations]
    return SweepResult(due=len(rows), warned=sum(len(v) for k, v in by_stage.items() if k == SlaStage.WARNED),
                       to_supervisor=passed.count(EscalationLevel.SUPERVISOR),
                       to_manager=passed.count(EscalationLevel.MANAGER))
