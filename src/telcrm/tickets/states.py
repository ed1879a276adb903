"""The TMF621 trouble-ticket state machine, as a table (pure).

acknowledged -> inProgress | rejected | cancelled; inProgress -> pending (waiting for the
customer: the SLA clock stops) | held (waiting on our side: the clock runs) | resolved |
cancelled; pending and held -> inProgress | cancelled; resolved -> closed, or back to
inProgress when the customer says it is not solved (a return visit reopens it); closed,
rejected and cancelled are final.
"""

from __future__ import annotations

from telcrm.core.errors import ValidationFailed

from .models import TicketStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.REJECTED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.PENDING, S.HELD, S.RESOLVED, S.CANCELLED}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.HELD: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}


class IllegalTransition(ValidationFailed):
    code = "illegal_transition"


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS:
        raise ValidationFailed(f"unknown ticket status {target!r}", code="invalid_status")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final)"
        raise IllegalTransition(f"a ticket cannot go from {current} to {target}; allowed: {allowed}")
