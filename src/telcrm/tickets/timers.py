"""The countdown shown beside each open ticket: business minutes left until the resolution
deadline on the ticket's calendar (back office 09:00-18:00 on Chinese working days, or the
call centre's 24x7), standing still while the ticket waits for the customer (domain.md
section 5; the rule is ``sla.remaining_minutes``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from telcrm.tickets.models import SlaStage, Ticket
from telcrm.tickets.sla import remaining_minutes, targets_of


@dataclass(frozen=True)
class Timer:
    minutes: float
    paused: bool
    #: ok, warn (past the warning share) or breach (past the deadline).
    state: str

    @property
    def label(self) -> str:
        """``3h 05m`` left, or ``-1h 20m`` overdue, in business time."""
        total = round(abs(self.minutes))
        sign = "-" if self.minutes < 0 else ""
        return f"{sign}{total // 60}h {total % 60:02d}m"


def timer_of(ticket: Ticket, *, now: dt.datetime) -> Timer | None:
    """None for a ticket that is no longer open or has no SLA policy."""
    if not ticket.is_open or ticket.resolution_due is None or ticket.sla_policy is None:
        return None
    left = remaining_minutes(targets_of(ticket.sla_policy), due=ticket.resolution_due, now=now,
                             paused_since=ticket.paused_since)
    if left < 0 or ticket.sla_stage >= SlaStage.SUPERVISOR:
        state = "breach"
    elif ticket.sla_stage >= SlaStage.WARNED:
        state = "warn"
    else:
        state = "ok"
    return Timer(minutes=left, paused=ticket.paused_since is not None, state=state)
