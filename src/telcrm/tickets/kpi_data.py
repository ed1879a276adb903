"""The rows the KPIs are computed from (kpis.py), read from the desk's records in a few
aggregate queries, within what the reader may see: "supervisors see their teams; managers
see all" (issue 5, KPIs). An agent sees its own figures.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from telcrm.tickets.kpis import TicketFacts, VisitFacts
from telcrm.tickets.models import (
    Escalation,
    NoteKind,
    ReturnVisit,
    ReturnVisitStatus,
    Team,
    Ticket,
)

#: Note kinds that are time with the customer; the rest (internal, system) is paperwork.
CONTACT_NOTES = (NoteKind.CUSTOMER, NoteKind.REPLY)
NO_TEAM = "-"


def sees_all(user: User) -> bool:
    return bool(user.has_perm("core.view_all_customers") and user.has_perm("tickets.view_ticket"))


def kpi_scope(user: User, *, via: str = "") -> Q:
    """Tickets whose figures the user may see: all for managers (and analysts), those of
    the teams it supervises and its own for everyone else."""
    prefix = f"{via}__" if via else ""
    if not user.is_authenticated or not user.has_perm("tickets.view_ticket"):
        return Q(pk__in=[])
    if sees_all(user):
        return Q()
    teams = Team.objects.filter(supervisor=user).values("pk")
    return Q(**{f"{prefix}team__in": teams}) | Q(**{f"{prefix}owner": user})


def _tickets(user: User, since: dt.datetime, until: dt.datetime) -> QuerySet[Ticket]:
    return Ticket.objects.filter(kpi_scope(user), opened_at__gte=since, opened_at__lt=until)


def ticket_facts(user: User, *, since: dt.datetime, until: dt.datetime) -> list[TicketFacts]:
    """One row per ticket opened in [since, until), with its escalation flag and the working
    minutes booked on its notes, split into contact and paperwork."""
    rows = (
        _tickets(user, since, until)
        .annotate(
            escalated=Exists(Escalation.objects.filter(ticket=OuterRef("pk"))),
            contact=Coalesce(Sum("notes__work_minutes", filter=Q(notes__kind__in=CONTACT_NOTES)), 0),
            paperwork=Coalesce(Sum("notes__work_minutes", filter=~Q(notes__kind__in=CONTACT_NOTES)), 0),
        )
        .values_list("owner__username", "team__code", "region__code", "opened_at", "resolved_at",
                     "resolution_due", "first_contact_resolution", "escalated", "contact", "paperwork")
    )
    return [TicketFacts(agent=agent or NO_TEAM, team=team or NO_TEAM, region=region, opened_at=opened,
                        resolved_at=resolved, resolution_due=due, first_contact=first, escalated=esc,
                        contact_minutes=float(contact), non_contact_minutes=float(paper))
            for agent, team, region, opened, resolved, due, first, esc, contact, paper in rows]


def visit_facts(user: User, *, since: dt.datetime, until: dt.datetime) -> list[VisitFacts]:
    """Return visits due in [since, until), credited to the ticket's owner and team."""
    rows = (
        ReturnVisit.objects.filter(kpi_scope(user, via="ticket"), due_at__gte=since, due_at__lt=until)
        .exclude(status=ReturnVisitStatus.CANCELLED)
        .values_list("ticket__owner__username", "ticket__team__code", "ticket__region__code", "due_at",
                     "completed_at", "reachable", "satisfaction", "solved")
    )
    return [VisitFacts(agent=agent or NO_TEAM, team=team or NO_TEAM, region=region, due=due, done_at=done,
                       reached=bool(reached), satisfaction=score, solved=solved)
            for agent, team, region, due, done, reached, score, solved in rows]
