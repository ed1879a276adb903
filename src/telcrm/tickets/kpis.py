"""Agent and team KPIs of the service desk (issue 5, "Agent and team KPIs"; domain.md
section 5: "share of interactions solved without escalation (empowerment) ... non-contact
time").

Pure functions over plain rows (``TicketFacts``, ``VisitFacts``), no
database and no clock: ``telcrm.tickets.kpi_data`` reads the rows, these compute. Every
share is returned as a ``Share`` (numerator and denominator kept), so a dashboard can show
"41 of 50" and a team's figure is the sum of its agents' counts, not a mean of means.

- **First-contact resolution** (一次解决率): resolved tickets solved by the agent who took
  the contact, with no work order, escalation or wait, among resolved tickets.
- **Empowerment** (授权解决率): resolved tickets never escalated, among resolved tickets.
- **Average handle time**: agent working minutes (contact and paperwork) per resolved ticket.
- **Non-contact time**: the share of the agents' working minutes on tickets spent away from
  the customer (internal notes, paperwork), against time in contact (replies, calls).
- **Backlog and ageing**: open tickets, by age since opening.
- **SLA attainment**: tickets resolved by their resolution deadline, among tickets whose
  outcome is known (resolved, or open past the deadline).
- **Return visits** (回访): satisfaction (1-10) of reached customers; visit rate (visits
  made among visits due) and timeliness (made by the due time).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

#: Age bands of the backlog, in days since opening: [0, 1), [1, 3), [3, 7), [7, ...).
AGE_BANDS: tuple[tuple[str, float], ...] = (("<1d", 1), ("1-3d", 3), ("3-7d", 7), (">7d", float("inf")))


@dataclass(frozen=True)
class TicketFacts:
    agent: str
    team: str
    region: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution_due: dt.datetime | None
    first_contact: bool = False
    escalated: bool = False
    contact_minutes: float = 0.0
    non_contact_minutes: float = 0.0

    @property
    def handle_minutes(self) -> float:
        return self.contact_minutes + self.non_contact_minutes


@dataclass(frozen=True)
class VisitFacts:
    agent: str
    team: str
    region: str
    due: dt.datetime
    done_at: dt.datetime | None
    reached: bool = False
    satisfaction: int | None = None
    solved: bool | None = None


@dataclass(frozen=True)
class Share:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """None when nothing was counted: "no tickets" is not "0 %"."""
        return self.numerator / self.denominator if self.denominator else None

    def __add__(self, other: Share) -> Share:
        return Share(self.numerator + other.numerator, self.denominator + other.denominator)


def _resolved(tickets: Iterable[TicketFacts]) -> list[TicketFacts]:
    return [t for t in tickets if t.resolved_at is not None]


def first_contact_resolution(tickets: Iterable[TicketFacts]) -> Share:
    done = _resolved(tickets)
    return Share(sum(1 for t in done if t.first_contact), len(done))


def empowerment(tickets: Iterable[TicketFacts]) -> Share:
    done = _resolved(tickets)
    return Share(sum(1 for t in done if not t.escalated), len(done))


def average_handle_minutes(tickets: Iterable[TicketFacts]) -> float | None:
    done = _resolved(tickets)
    return sum(t.handle_minutes for t in done) / len(done) if done else None


def non_contact_share(tickets: Iterable[TicketFacts]) -> float | None:
    """Minutes away from the customer among all working minutes on the tickets."""
    rows = list(tickets)
    total = sum(t.handle_minutes for t in rows)
    return sum(t.non_contact_minutes for t in rows) / total if total > 0 else None


def backlog_ageing(tickets: Iterable[TicketFacts], *, now: dt.datetime) -> dict[str, int]:
    """Open tickets (opened by ``now``, not resolved by then) per age band."""
    bands = {name: 0 for name, _ in AGE_BANDS}
    for t in tickets:
        if t.opened_at > now or (t.resolved_at is not None and t.resolved_at <= now):
            continue
        age_days = (now - t.opened_at).total_seconds() / 86400
        name = next(n for n, upper in AGE_BANDS if age_days < upper)
        bands[name] += 1
    return bands


def sla_attainment(tickets: Iterable[TicketFacts], *, now: dt.datetime) -> Share:
    """Met among known outcomes; an open ticket not yet due has no outcome yet."""
    met = known = 0
    for t in tickets:
        if t.resolution_due is None:
            continue
        if t.resolved_at is not None:
            known += 1
            met += t.resolved_at <= t.resolution_due
        elif now > t.resolution_due:
            known += 1
    return Share(met, known)


def visit_satisfaction(visits: Iterable[VisitFacts]) -> float | None:
    scores = [v.satisfaction for v in visits if v.reached and v.satisfaction is not None]
    return sum(scores) / len(scores) if scores else None


def visit_rate(visits: Iterable[VisitFacts], *, now: dt.datetime) -> Share:
    """Visits made among visits due by ``now`` (a visit not yet due is not late)."""
    due = [v for v in visits if v.due <= now or v.done_at is not None]
    return Share(sum(1 for v in due if v.done_at is not None), len(due))


def visit_timeliness(visits: Iterable[VisitFacts]) -> Share:
    made = [v for v in visits if v.done_at is not None]
    return Share(sum(1 for v in made if v.done_at is not None and v.done_at <= v.due), len(made))


@dataclass
class Scorecard:
    """Every KPI of one group (an agent, a team, a region, a period, or everyone)."""

    key: str
    tickets: int
    resolved: int
    first_contact: Share
    empowerment: Share
    handle_minutes: float | None
    non_contact: float | None
    backlog: dict[str, int]
    sla: Share
    satisfaction: float | None
    visit_rate: Share
    visit_timeliness: Share


def scorecard(key: str, tickets: Sequence[TicketFacts], visits: Sequence[VisitFacts], *,
              now: dt.datetime) -> Scorecard:
    return Scorecard(
        key=key, tickets=len(tickets), resolved=len(_resolved(tickets)),
        first_contact=first_contact_resolution(tickets), empowerment=empowerment(tickets),
        handle_minutes=average_handle_minutes(tickets), non_contact=non_contact_share(tickets),
        backlog=backlog_ageing(tickets, now=now), sla=sla_attainment(tickets, now=now),
        satisfaction=visit_satisfaction(visits), visit_rate=visit_rate(visits, now=now),
        visit_timeliness=visit_timeliness(visits),
    )


Row = TypeVar("Row", TicketFacts, VisitFacts)
GROUPINGS: dict[str, Callable[[TicketFacts | VisitFacts], str]] = {
    "agent": lambda r: r.agent, "team": lambda r: r.team, "region": lambda r: r.region,
}


def _group(rows: Iterable[Row], key: Callable[[Row], str]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        out[key(r)].append(r)
    return out


def scorecards_by(by: str, tickets: Sequence[TicketFacts], visits: Sequence[VisitFacts], *,
                  now: dt.datetime) -> list[Scorecard]:
    """One scorecard per agent, team or region (``by``), sorted by key."""
    key = GROUPINGS[by]
    t, v = _group(tickets, key), _group(visits, key)
    return [scorecard(k, t.get(k, []), v.get(k, []), now=now) for k in sorted(set(t) | set(v))]


def monthly_trend(tickets: Sequence[TicketFacts], visits: Sequence[VisitFacts], *,
                  now: dt.datetime) -> list[Scorecard]:
    """Scorecards per calendar month of opening (tickets) and of the due date (visits),
    for the dashboard's charts. Backlog is as of each month's end (or ``now``)."""
    def month(d: dt.datetime) -> str:
        return d.strftime("%Y-%m")

    t = _group(tickets, lambda r: month(r.opened_at))
    v = _group(visits, lambda r: month(r.due))
    cards = []
    for k in sorted(set(t) | set(v)):
        year, mon = map(int, k.split("-"))
        first_next = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=now.tzinfo)
        cards.append(scorecard(k, t.get(k, []), v.get(k, []), now=min(now, first_next)))
    return cards
