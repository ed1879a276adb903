"""The workspace's changes: each POST parses one form, calls one service inside one
transaction and goes back to the ticket with a message. A stale ``version`` (someone
saved the ticket since the page was loaded) is told as such and changes nothing
(optimistic locking, issue 5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telcrm.core.errors import Conflict, NotFound, TelcrmError, ValidationFailed
from telcrm.customers.views import AuthedRequest
from telcrm.tickets import complaints, refunds, services, work_orders
from telcrm.tickets.forms import (
    AssignForm,
    EvidenceForm,
    NoteForm,
    RefundDecisionForm,
    RefundForm,
    ResolveForm,
    StatusForm,
    WorkOrderDoneForm,
    WorkOrderForm,
)
from telcrm.tickets.models import Ticket
from telcrm.tickets.views import _ticket_or_404, workspace_context

Step = Callable[[Ticket, dict[str, Any]], str]


def _stale(ticket: Ticket, data: dict[str, Any]) -> None:
    """The version the agent saw must still be the ticket's: a form posted from a page
    loaded before someone else's save is refused before anything is written."""
    if "version" in data and data["version"] != ticket.version:
        raise Conflict(_("Someone else changed this ticket since you opened it. Reload it and try again."),
                       code="version_conflict")


def _act(request: AuthedRequest, ticket_no: str, form_class: type[forms.Form], step: Step,
         panel: str = "") -> HttpResponseBase:
    ticket = _ticket_or_404(request, ticket_no)
    form = form_class(request.POST)
    if not form.is_valid():
        context = workspace_context(request, ticket, **{f"{panel}_form": form, "open_panel": panel})
        messages.error(request, _("Please correct the form."))
        return render(request, "tickets/detail.html", context, status=422)
    try:
        with transaction.atomic():
            locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
            _stale(locked, form.cleaned_data)
            done = step(locked, form.cleaned_data)
    except TelcrmError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("ticket-detail", ticket.ticket_no)


def _owner(username: str):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(_("No active user %(name)s.") % {"name": username})
    return user


@login_required
@require_POST
def change_status(request: AuthedRequest, ticket_no: str) -> HttpResponseBase:
    def step(t: Ticket, d: dict[str, Any]) -> str:
        services.change_status(request.user, ticket=t, status=d["status"], version=d["version"],
                               reason=d["reason"])
        return _("Status changed to %(s)s.") % {"s": t.get_status_display()}
    return _act(request, ticket_no, StatusForm, step)


@login_required
@require_POST
def resolve(request: AuthedRequest, ticket_no: str) -> HttpResponseBase:
    def step(t: Ticket, d: dict[str, Any]) -> str:
        services.add_note(request.user, ticket=t, text=d["note"], kind="reply")
        services.resolve_ticket(request.user, ticket=t, version=t.version, resolution=d["resolution"],
                                note=d["note"])
        return _("Ticket resolved; a return visit is scheduled.")
    return _act(request, ticket_no, ResolveForm, step, panel="resolve")


@login_required
@require_POST
def assign(request: AuthedRequest, ticket_no: str) -> HttpResponseBase:
    def step(t: Ticket, d: dict[str, Any]) -> str:
        services.assign_ticket(request.user, ticket=t, owner=_owner(d["owner"]), version=d["version"])
        return _("Ticket handed to %(name)s.") % {"name": d["owner"]}
    return _act(request, ticket_no, AssignForm, step, panel="assign")


@login_required
@require_POST
def add_note(request: AuthedRequest, ticket_no: str) -> HttpResponseBase:
    def step(t: Ticket, d: dict[str, Any]) -> str:
        services.add_note(request.user, ticket=t, text=d["text"], kind=d["kind"],
                          work_minutes=d["work_minutes"] or 0)
        return _("Note added.")
    return _act(request, ticket_no, NoteForm, step, panel="note")


@login_required
@require_POST
def split_work_order(request: AuthedRequest, ticket_no: str) -> HttpResponseBase:
    def step(t: Ticket, d: dict[str, Any]) -> str:
        order = work_orders.split_work_order(request.user, ticket=t, team=d["team"], description=d["description"])
        return _("Work order sent to %(team)s.") % {"team": order.get_team_display()}
    return _act(request, ticket_no, WorkOrderForm, step, panel="work_order")


@login_required
@require_POST
def complete_work_order(request: AuthedRequest, ticket_no: str, work_order_id: int) -> HttpResponseBase:
    def step(t: Ticket, d: dict[str, Any]) -> str:
        if not t.work_orders.filter(pk=work_order_id).exists():
            raise NotFound(_("No such work order on this ticket."))
        work_orders.complete_work_order(request.user, work_order_id=work_order_id, result=d["result"])
        return _("Work order done.")
    return _act(request, ticket_no, WorkOrderDoneForm, step)


def _source(value: str) -> tuple[str, int]:
    kind, _sep, record = value.partition(":")
    if not record.isdigit():
        raise ValidationFailed(_("Unknown record."))
    return kind, int(record)


@login_required
@require_POST
def attach_evidence(request: AuthedRequest, ticket_no: str) -> HttpResponseBase:
    def step(t: Ticket, d: dict[str, Any]) -> str:
        kind, record_id = _source(d["source"])
        evidence = complaints.attach_evidence(request.user, ticket=t, kind=kind, record_id=record_id)
        return _("Attached: %(name)s") % {"name": evidence.name}
    return _act(request, ticket_no, EvidenceForm, step)


@login_required
@require_POST
def correct_record(request: AuthedRequest, ticket_no: str) -> HttpResponseBase:
    """Cancel the SP service or restore the discount a complaint found wrong."""
    def step(t: Ticket, d: dict[str, Any]) -> str:
        kind, record_id = _source(d["source"])
        if kind == "sp_subscription":
            complaints.cancel_sp_service(request.user, ticket=t, sp_subscription_id=record_id)
            return _("SP service cancelled.")
        if kind == "promotion":
            complaints.restore_discount(request.user, ticket=t, promotion_id=record_id)
            return _("Discount restored.")
        raise ValidationFailed(_("This record cannot be corrected from a ticket."))
    return _act(request, ticket_no, EvidenceForm, step)


@login_required
@require_POST
def request_refund(request: AuthedRequest, ticket_no: str) -> HttpResponseBase:
    def step(t: Ticket, d: dict[str, Any]) -> str:
        refund = refunds.request_refund(request.user, ticket=t, amount=d["amount"], reason=d["reason"],
                                        kind=d["kind"])
        if refund.status == "approved":
            return _("Refund of ¥%(amount)s approved within your limit.") % {"amount": refund.amount}
        return _("Refund of ¥%(amount)s sent to a %(level)s for approval.") % {
            "amount": refund.amount, "level": refund.get_needs_level_display()}
    return _act(request, ticket_no, RefundForm, step, panel="refund")


@login_required
@require_POST
def decide_refund(request: AuthedRequest, ticket_no: str, refund_id: int) -> HttpResponseBase:
    def step(t: Ticket, d: dict[str, Any]) -> str:
        if not t.refunds.filter(pk=refund_id).exists():
            raise NotFound(_("No such refund on this ticket."))
        refund = refunds.decide_refund(request.user, refund_id=refund_id, approve=d["approve"], note=d["note"])
        return _("Refund %(status)s.") % {"status": refund.get_status_display()}
    return _act(request, ticket_no, RefundDecisionForm, step)
