"""The ticket workspace, the form that opens a ticket and the return-visit queue.

Thin adapters (architecture.md, convention 13): a view reads through the ticket services
(``get_ticket``: out of scope is 404), shows the customer's context beside the ticket
(the 360 page's data, masked: domain.md section 1) and renders; the changes are posted to
``actions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from telcrm.billing.records import LineRecords
from telcrm.core.errors import NotFound, TelcrmError
from telcrm.customers.policy import get_visible_customer
from telcrm.customers.queries import customer_page
from telcrm.customers.views import AuthedRequest
from telcrm.tickets import complaints, return_visits, services
from telcrm.tickets.forms import (
    AssignForm,
    NoteForm,
    OpenTicketForm,
    RefundForm,
    ResolveForm,
    VisitOutcomeForm,
    WorkOrderForm,
)
from telcrm.tickets.models import Ticket, TicketStatus
from telcrm.tickets.states import TRANSITIONS
from telcrm.tickets.timers import timer_of

#: The status buttons of the workspace; resolving has its own form (it needs a resolution).
BUTTONS: dict[str, object] = {TicketStatus.IN_PROGRESS: gettext_lazy("Start work"),
           TicketStatus.PENDING: gettext_lazy("Wait for the customer"), TicketStatus.HELD: gettext_lazy("Hold"),
           TicketStatus.CLOSED: gettext_lazy("Close"), TicketStatus.REJECTED: gettext_lazy("Reject"),
           TicketStatus.CANCELLED: gettext_lazy("Cancel")}


@dataclass(frozen=True)
class CheckRow:
    source: str
    title: str
    detail: str
    flag: str = ""
    #: "cancel_sp" or "restore" when the record can be corrected from the ticket.
    fix: str = ""


@dataclass(frozen=True)
class CheckGroup:
    kind: str
    label: str
    rows: list[CheckRow]


def _checks(records: LineRecords) -> list[CheckGroup]:
    """The evidence panel: each record of the line with what to look at in it."""
    def rows(kind: str, items: list[dict], title, detail, flag=lambda r: "", fix=lambda r: ""):  # type: ignore[no-untyped-def]
        return [CheckRow(f"{kind}:{r['id']}", title(r), detail(r), flag(r), fix(r)) for r in items]

    return [
        CheckGroup("bill", _("Bills"), rows("bill", records.bills, lambda r: r["month"][:7],
                   lambda r: _("total ¥%(total)s · SP ¥%(vas)s · discount ¥%(discount)s") % r,
                   lambda r: _("SP charges") if r["vas"] not in ("0", "0.00") else "")),
        CheckGroup("usage", _("Usage"), rows("usage", records.usage, lambda r: r["month"][:7],
                   lambda r: _("%(voice_minutes)s min · %(data_mb)s MB · %(sms_count)s SMS") % r)),
        CheckGroup("sp_subscription", _("SP services"), rows(
            "sp_subscription", records.sp_services, lambda r: f"{r['sp_name']} · {r['service']}",
            lambda r: _("¥%(monthly_fee)s a month, ordered %(ordered_at).10s via %(ordered_via)s") % r,
            lambda r: _("cancelled") if r["cancelled_at"] else "",
            lambda r: "" if r["cancelled_at"] else "cancel_sp")),
        CheckGroup("suspension", _("Suspensions"), rows(
            "suspension", records.suspensions, lambda r: f"{r['started_at'][:16]} · {r['cause']}",
            lambda r: ", ".join(f"{k}: {v}" for k, v in (r.get("detail") or {}).items()),
            lambda r: "" if r["ended_at"] else _("still stopped"))),
        CheckGroup("promotion", _("Promotions"), rows(
            "promotion", records.promotions, lambda r: f"{r['code']} · {r['name']}",
            lambda r: _("¥%(monthly_discount)s off a month from %(starts_on)s") % r,
            lambda r: _("ended by %(ended_by__code)s") % r if r.get("ended_by__code") else "",
            lambda r: "restore" if r.get("ended_by__code") else "")),
    ]


def _ticket_or_404(request: AuthedRequest, ticket_no: str) -> Ticket:
    try:
        return services.get_ticket(request.user, ticket_no=ticket_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _history(t: Ticket) -> list[dict]:
    """Notes and status changes as one timeline, oldest first."""
    items = [{"at": n.at, "who": n.author.username if n.author else _("system"),
              "what": n.get_kind_display(), "text": n.text} for n in t.notes.select_related("author")]
    items += [{"at": s.at, "who": s.actor.username if s.actor else _("system"),
               "what": f"→ {s.get_to_status_display()}", "text": s.reason}
              for s in t.status_changes.select_related("actor")]
    return sorted(items, key=lambda i: i["at"])


def workspace_context(request: AuthedRequest, t: Ticket, **forms: object) -> dict:
    user = request.user
    can_change = services.may_work(user, t)
    checks: list[CheckGroup] = []
    if t.kind == "complaint" and t.subscription_id and user.has_perm("tickets.view_evidence"):
        checks = _checks(complaints.verification_records(user, ticket=t))
    category = t.category.name_zh if (get_language() or "").startswith("zh") else t.category.name_en
    initial = {"version": t.version}
    return {
        "nav": "tickets", "t": t, "c": t.customer, "category_name": category,
        "customer_page": customer_page(user, t.customer.customer_no),
        "timer": timer_of(t, now=timezone.now()), "history": _history(t), "checks": checks,
        "attached": set(t.evidence.values_list("source", flat=True)), "can_change": can_change,
        "transitions": [(s, label) for s, label in BUTTONS.items() if s in TRANSITIONS[t.status]],
        "can_resolve": TicketStatus.RESOLVED in TRANSITIONS[t.status] or t.status == TicketStatus.ACKNOWLEDGED,
        "decisions": [("yes", _("Approve")), ("no", _("Reject"))],
        "note_form": forms.get("note_form") or NoteForm(initial=initial),
        "resolve_form": forms.get("resolve_form") or ResolveForm(initial=initial),
        "assign_form": forms.get("assign_form") or AssignForm(initial=initial),
        "work_order_form": forms.get("work_order_form") or WorkOrderForm(initial=initial),
        "refund_form": forms.get("refund_form") or RefundForm(initial=initial),
        "open_panel": forms.get("open_panel", ""),
    }


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def ticket_detail(request: AuthedRequest, ticket_no: str) -> HttpResponse:
    t = _ticket_or_404(request, ticket_no)
    t = Ticket.objects.select_related("customer", "customer__region", "customer__account_manager", "category",
                                      "owner", "team", "sla_policy", "duplicate_of").get(pk=t.pk)
    return render(request, "tickets/detail.html", workspace_context(request, t))


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def ticket_timer(request: AuthedRequest, ticket_no: str) -> HttpResponse:
    """The workspace's countdown, reloaded every minute: business time moves on the
    calendar (not at all at night or on a holiday), so the server recomputes it."""
    t = _ticket_or_404(request, ticket_no)
    t = Ticket.objects.select_related("sla_policy").get(pk=t.pk)
    return render(request, "tickets/_timer.html", {"timer": timer_of(t, now=timezone.now()), "t": t})


@login_required
@permission_required("tickets.add_ticket", raise_exception=True)
@require_http_methods(["GET", "POST"])
def ticket_new(request: AuthedRequest) -> HttpResponseBase:
    """Open a ticket for a customer in the agent's scope (``?customer=`` from the 360 page)."""
    customer_no = request.POST.get("customer_no") or request.GET.get("customer", "")
    customer = None
    if customer_no:
        try:
            customer = get_visible_customer(request.user, customer_no)
        except NotFound:
            customer = None
    form = OpenTicketForm(request.POST or None, customer=customer, initial={"customer_no": customer_no})
    if request.method == "POST" and form.is_valid():
        if customer is None:
            form.add_error("customer_no", _("No customer with this number in your scope."))
        else:
            d = form.cleaned_data
            try:
                with transaction.atomic():
                    ticket = services.open_ticket(
                        request.user, customer=customer, kind=d["kind"], category=d["category"],
                        channel=d["channel"], subject=d["subject"], description=d["description"],
                        subscription=d["subscription"])
            except TelcrmError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Ticket %(no)s opened.") % {"no": ticket.ticket_no})
                if ticket.duplicate_of_id:
                    messages.warning(request, _("The customer already has an open ticket in this category."))
                return redirect("ticket-detail", ticket.ticket_no)
    return render(request, "tickets/new.html", {"nav": "tickets", "form": form, "customer": customer})


@login_required
@permission_required("tickets.view_returnvisit", raise_exception=True)
@require_http_methods(["GET", "POST"])
def visit_queue(request: AuthedRequest) -> HttpResponseBase:
    """The unified callback queue (回访): scheduled visits soonest due first, without the
    customers already called as often as the period allows; the agent records each call."""
    form = VisitOutcomeForm(request.POST or None)
    failed_visit = None
    if request.method == "POST":
        visit_id = request.POST.get("visit", "")
        if form.is_valid() and visit_id.isdigit():
            d = form.cleaned_data
            try:
                with transaction.atomic():
                    visit = return_visits.record_outcome(
                        request.user, visit_id=int(visit_id), reachable=d["reached"],
                        satisfaction=d["satisfaction"] if d["reached"] else None,
                        solved=d["solved"] if d["reached"] else None, note=d["note"])
            except TelcrmError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Return visit of %(no)s recorded.") % {"no": visit.ticket.ticket_no})
                return redirect("ticket-visits")
        failed_visit = visit_id
    visits = list(return_visits.callback_queue(request.user)[:100])
    return render(request, "tickets/visits.html", {
        "nav": "ticket-visits", "visits": visits, "form": form, "failed_visit": failed_visit,
        "now": timezone.now(),
    })
