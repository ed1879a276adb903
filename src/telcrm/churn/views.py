"""Churn screens: the warnings inbox, one warning with its follow-ups, who stayed, the
inbox export, and the risk panel of the customer 360 page.

Thin adapters (architecture.md, convention 13): each view parses the request, calls one
``inbox`` service or ``queries`` function and renders. A warning outside the user's scope
is a 404, like a customer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telcrm.churn import inbox, queries
from telcrm.churn.models import FollowUpAction, FollowUpOutcome, Warning, WarningStatus
from telcrm.core.errors import NotFound, TelcrmError
from telcrm.core.masking import mask_phone, mask_text
from telcrm.customers.views import AuthedRequest

PAGE_SIZE = 25


class AssignForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=FollowUpAction.choices)
    assigned_to = forms.ModelChoiceField(label=gettext_lazy("Assign to"), queryset=User.objects.none())
    due_on = forms.DateField(label=gettext_lazy("Due on"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, warning: Warning, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = inbox.assignable_users(warning)  # type: ignore[attr-defined]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=[
        c for c in FollowUpOutcome.choices if c[0] != FollowUpOutcome.PENDING])
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _month(value: str | None) -> dt.date | None:
    """``2026-03`` (or a full date) as the first of the month; anything else is no filter."""
    try:
        return dt.date.fromisoformat(f"{value}-01" if value and len(value) == 7 else value or "").replace(day=1)
    except ValueError:
        return None


def _filters(request: AuthedRequest) -> tuple[dt.date | None, str | None]:
    status = request.GET.get("status", "")
    return _month(request.GET.get("month")), status if status in WarningStatus.values else None


def _rows(warnings: list) -> list[dict]:
    return [{"w": w, "msisdn": mask_phone(w.subscription.msisdn), "reasons": inbox.rule_labels(w.rules),
             "last": next(iter(w.follow_ups.all()), None)} for w in warnings]


@login_required
@permission_required("churn.view_warning", raise_exception=True)
@require_GET
def inbox_page(request: AuthedRequest) -> HttpResponse:
    """The inbox of the user's scope, highest expected loss first; month defaults to the
    newest one with warnings."""
    months = inbox.warning_months(request.user)
    month, status = _filters(request)
    if month is None and "month" not in request.GET and months:
        month = months[0]
    page = Paginator(inbox.inbox_warnings(request.user, month=month, status=status), PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "churn/inbox.html", {
        "nav": "inbox", "page": page, "rows": _rows(list(page.object_list)), "months": months, "month": month,
        "status": status or "", "statuses": WarningStatus.choices, "query": query.urlencode(),
        "month_param": f"{month:%Y-%m}" if month else "",
        "handled": queries.warnings_handled(request.user, month=month) if month else None,
    })


def _warning_or_404(request: AuthedRequest, warning_id: int) -> Warning:
    try:
        return inbox.get_warning(request.user, warning_id=warning_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@permission_required("churn.view_warning", raise_exception=True)
@require_http_methods(["GET", "POST"])
def warning_detail(request: AuthedRequest, warning_id: int) -> HttpResponse:
    """One warning: its reasons and figures, its follow-ups, and the form that assigns one."""
    warning = _warning_or_404(request, warning_id)
    form = AssignForm(initial={"assigned_to": request.user.pk, "action": FollowUpAction.CALL}, warning=warning)
    if request.method == "POST":
        form = AssignForm(request.POST, warning=warning)
        if form.is_valid():
            try:
                with transaction.atomic():
                    data = form.cleaned_data
                    inbox.assign_follow_up(request.user, warning=warning, action=data["action"],
                                           assignee=data["assigned_to"], due_on=data["due_on"], note=data["note"])
            except TelcrmError as exc:
                field, _sep, rule = exc.message.partition(": ")
                form.add_error(field if field in form.fields else None, mask_text(rule or exc.message))
            else:
                messages.success(request, _("Follow-up assigned."))
                return redirect("churn-warning", warning_id=warning.pk)
    return render(request, "churn/warning.html", {
        "nav": "inbox", "w": warning, "msisdn": mask_phone(warning.subscription.msisdn),
        "reasons": inbox.rule_labels(warning.rules),
        "figures": [mask_text(p) for p in warning.details.split("; ") if p],
        "follow_ups": list(warning.follow_ups.all()), "form": form, "outcome_form": OutcomeForm(),
        "can_assign": request.user.has_perm("churn.add_followup"),
        "can_close": request.user.has_perm("churn.change_followup"),
    })


@login_required
@permission_required("churn.change_followup", raise_exception=True)
@require_POST
def follow_up_outcome(request: AuthedRequest, follow_up_id: int) -> HttpResponse:
    try:
        follow_up = inbox.get_follow_up(request.user, follow_up_id=follow_up_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
    else:
        try:
            with transaction.atomic():
                inbox.record_outcome(request.user, follow_up=follow_up, **form.cleaned_data)
        except TelcrmError as exc:
            messages.error(request, mask_text(exc.message))
        else:
            messages.success(request, _("Outcome recorded."))
    return redirect("churn-warning", warning_id=follow_up.warning_id)


@login_required
@permission_required("churn.view_warning", raise_exception=True)
@require_GET
def stayed_page(request: AuthedRequest) -> HttpResponse:
    """Which warned customers stayed, and the retention rate by action taken."""
    months = inbox.warning_months(request.user)
    month = _month(request.GET.get("month")) or (months[0] if months else None)
    context: dict = {"nav": "inbox", "months": months, "month": month}
    if month is not None:
        page = Paginator(inbox.stayed_warnings(request.user, month=month), PAGE_SIZE).get_page(
            request.GET.get("page"))
        context.update(page=page, rows=[{"w": w, "msisdn": mask_phone(w.subscription.msisdn)}
                                        for w in page.object_list],
                       by_action=inbox.retention_by_action(request.user, month=month))
    return render(request, "churn/stayed.html", context)


@login_required
@permission_required("churn.view_warning", raise_exception=True)
@require_GET
def inbox_export(request: AuthedRequest) -> HttpResponseBase:
    """The filtered inbox as CSV (or Excel), masked and audited by the export service."""
    month, status = _filters(request)
    try:
        stream = inbox.export_inbox(request.user, month=month, status=status,
                                    fmt=request.GET.get("format", "csv"))
    except TelcrmError as exc:
        return HttpResponse(mask_text(exc.message), status=exc.status)
    response = StreamingHttpResponse(stream.chunks, content_type=stream.content_type)
    response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
    return response


@login_required
@permission_required("churn.view_linerisk", raise_exception=True)
@require_GET
def customer_risk_panel(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """The churn-risk panel of the 360 page, loaded after the page (as the value panel)."""
    try:
        panel = queries.risk_panel(request.user, customer_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "churn/_risk_panel.html", {"panel": panel, "c": panel.customer})
