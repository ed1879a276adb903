"""Read screens of the service desk: the agent's queue, the supervisor's board, the
manager's KPI dashboard and the tickets card of the customer 360 page.

Thin adapters (architecture.md, convention 13): they read through ``visible_tickets``
(the customer scope) or ``kpi_scope`` ("supervisors see their teams; managers see all",
issue 5) and render; the figures are computed in kpis.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from telcrm.core.errors import NotFound
from telcrm.customers.policy import get_visible_customer
from telcrm.customers.views import AuthedRequest
from telcrm.tickets import kpi_data, kpis
from telcrm.tickets.models import (
    OPEN_STATUSES,
    Escalation,
    SlaStage,
    Team,
    Ticket,
)
from telcrm.tickets.refunds import refunds_awaiting
from telcrm.tickets.services import visible_tickets
from telcrm.tickets.timers import Timer, timer_of

QUEUE_SIZE = 200
#: The dashboard's window: the last twelve months, by month.
DASHBOARD_MONTHS = 12


@dataclass(frozen=True)
class Row:
    t: Ticket
    timer: Timer | None


def _rows(qs, now: dt.datetime) -> list[Row]:  # type: ignore[no-untyped-def]
    return [Row(t, timer_of(t, now=now)) for t in qs]


def _open(qs):  # type: ignore[no-untyped-def]
    return (qs.filter(status__in=OPEN_STATUSES)
            .select_related("customer", "category", "sla_policy", "owner", "team")
            .order_by("resolution_due", "ticket_no"))


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def queue(request: AuthedRequest) -> HttpResponse:
    """My open tickets, the most urgent first, each with its business-time countdown. The
    rows reload every minute (``?rows=1``), so the timers count down on the calendar."""
    now = timezone.now()
    rows = _rows(_open(visible_tickets(request.user).filter(owner=request.user))[:QUEUE_SIZE], now)
    template = "tickets/_queue_rows.html" if request.GET.get("rows") else "tickets/queue.html"
    return render(request, template, {"nav": "tickets", "rows": rows, "now": now})


def _supervised(user) -> list[Team]:  # type: ignore[no-untyped-def]
    if kpi_data.sees_all(user):
        return list(Team.objects.order_by("code"))
    return list(Team.objects.filter(supervisor=user).order_by("code"))


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def board(request: AuthedRequest) -> HttpResponse:
    """The supervisor's board: its teams' open tickets with warnings and breaches first,
    recent escalations, and the refunds it may approve (its scope, up to its level)."""
    now = timezone.now()
    teams = _supervised(request.user)
    scoped = visible_tickets(request.user).filter(kpi_data.kpi_scope(request.user))
    open_qs = _open(scoped)
    team_code = request.GET.get("team", "")
    if team_code:
        open_qs = open_qs.filter(team__code=team_code)
    attention = _rows(open_qs.filter(sla_stage__gte=SlaStage.WARNED)
                      .order_by("-sla_stage", "resolution_due")[:QUEUE_SIZE], now)
    counts = open_qs.aggregate(
        total=Count("pk"), warned=Count("pk", filter=Q(sla_stage=SlaStage.WARNED)),
        breached=Count("pk", filter=Q(sla_stage__gte=SlaStage.SUPERVISOR)),
        unassigned=Count("pk", filter=Q(owner__isnull=True)),
    )
    escalations = (Escalation.objects.filter(ticket__in=scoped.values("pk"))
                   .select_related("ticket", "ticket__owner", "escalated_to").order_by("-at")[:30])
    refunds = refunds_awaiting(request.user).select_related("requested_by").order_by("requested_at")[:50]
    return render(request, "tickets/board.html", {
        "nav": "ticket-board", "teams": teams, "team_code": team_code, "counts": counts,
        "attention": attention, "escalations": escalations, "refunds": refunds,
    })


def _percent(share: kpis.Share) -> float | None:
    return None if share.value is None else round(100 * share.value, 1)


def _month_start(d: dt.datetime) -> dt.datetime:
    return d.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _charts(trend: list[kpis.Scorecard]) -> dict[str, dict]:
    labels = [c.key for c in trend]
    return {
        "volume": {"type": "bar", "labels": labels, "yTitle": _("tickets"), "series": [
            {"label": _("Opened"), "data": [c.tickets for c in trend]},
            {"label": _("Resolved"), "data": [c.resolved for c in trend]}]},
        "shares": {"type": "line", "labels": labels, "yTitle": "%", "series": [
            {"label": _("First-contact resolution"), "data": [_percent(c.first_contact) for c in trend]},
            {"label": _("Solved without escalation"), "data": [_percent(c.empowerment) for c in trend]},
            {"label": _("SLA attainment"), "data": [_percent(c.sla) for c in trend]}]},
        "visits": {"type": "line", "labels": labels, "yTitle": _("satisfaction (1-10)"),
                   "y2Title": "%", "series": [
            {"label": _("Return-visit satisfaction"),
             "data": [None if c.satisfaction is None else round(c.satisfaction, 2) for c in trend]},
            {"label": _("Return visits made on time"), "axis": "y2",
             "data": [_percent(c.visit_timeliness) for c in trend]}]},
    }


def _month(value: str | None, tz: dt.tzinfo) -> dt.datetime | None:
    """``2026-03`` as the start of that month; anything else is no choice."""
    try:
        year, month = map(int, (value or "").split("-"))
        return dt.datetime(year, month, 1, tzinfo=tz)
    except ValueError:
        return None


def _next_month(d: dt.datetime) -> dt.datetime:
    return (d + dt.timedelta(days=32)).replace(day=1)


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def dashboard(request: AuthedRequest) -> HttpResponse:
    """KPIs per agent, team or region (``?by=``) over a period of months (``?from=2026-01
    &to=2026-06``, by default the last twelve), with monthly charts; a supervisor sees its
    teams, a manager everyone. Tickets count in the month they were opened."""
    now = timezone.localtime()
    zone = timezone.get_current_timezone()
    by = request.GET.get("by", "team")
    if by not in kpis.GROUPINGS:
        by = "team"
    since = _month(request.GET.get("from"), zone) or _month_start(
        now - dt.timedelta(days=31 * (DASHBOARD_MONTHS - 1)))
    last = _month(request.GET.get("to"), zone)
    until = min(now, _next_month(last)) if last is not None and last >= since else now
    tickets = kpi_data.ticket_facts(request.user, since=since, until=until)
    visits = kpi_data.visit_facts(request.user, since=since, until=until)
    overall = kpis.scorecard(_("Everyone in view"), tickets, visits, now=until)
    trend = kpis.monthly_trend(tickets, visits, now=until)
    groupings = [("agent", _("Agent")), ("team", _("Team")), ("region", _("Region"))]
    return render(request, "tickets/dashboard.html", {
        "nav": "ticket-dashboard", "by": by, "by_label": dict(groupings)[by], "groupings": groupings,
        "overall": overall, "since": since, "until": until - dt.timedelta(seconds=1),
        "cards": kpis.scorecards_by(by, tickets, visits, now=until), "charts": _charts(trend),
        "bands": [name for name, _upper in kpis.AGE_BANDS],
        "period": f"from={since:%Y-%m}&to={(until - dt.timedelta(seconds=1)):%Y-%m}",
    })


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def customer_panel(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """The "Open tickets" card of the customer 360 page, loaded after the page itself."""
    try:
        customer = get_visible_customer(request.user, customer_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    now = timezone.now()
    tickets = visible_tickets(request.user).filter(customer=customer)
    rows = _rows(_open(tickets)[:20], now)
    recent = tickets.exclude(status__in=OPEN_STATUSES).select_related("category").order_by("-opened_at")[:5]
    return render(request, "tickets/_customer_panel.html", {"c": customer, "rows": rows, "recent": recent})
