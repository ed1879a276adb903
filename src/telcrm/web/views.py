"""Role home pages, the audit log and the API tokens page.

Each role lands on what its work needs (issue 2, "The customer 360 view"): an account
manager its enterprise customers and their warnings, an agent the search box and its queue,
a manager headline figures, an analyst and the care team aggregates, an auditor the log.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from telcrm.churn.inbox import top_warnings
from telcrm.core.audit import audit_log
from telcrm.core.errors import PermissionDenied, TelcrmError
from telcrm.core.masking import mask_text
from telcrm.core.models import ApiToken, AuditAction
from telcrm.core.roles import Role, role_of
from telcrm.core.tokens import issue_token, revoke_token
from telcrm.customers.models import Account, CustomerKind, SubscriptionStatus
from telcrm.customers.policy import visible_customers
from telcrm.customers.views import AuthedRequest
from telcrm.value.queries import tier_choices
from telcrm.web import dashboards
from telcrm.web.manager_dashboard import manager_dashboard

AUDIT_PAGE = 50


def _account_manager_context(request: AuthedRequest) -> dict:
    customers = (
        visible_customers(request.user).filter(kind=CustomerKind.ENTERPRISE)
        .annotate(lines=Count("subscriptions", filter=Q(subscriptions__status=SubscriptionStatus.ACTIVE)))
        .select_related("region").order_by("name")
    )
    page = Paginator(customers, 25).get_page(request.GET.get("page"))
    ids = [c.pk for c in page.object_list]
    arrears = dict(
        Account.objects.filter(customer_id__in=ids, balance__lt=0).values("customer_id")
        .annotate(total=Sum("balance")).values_list("customer_id", "total")
    )
    rows = [(c, -arrears[c.pk] if c.pk in arrears else None) for c in page.object_list]
    return {"page": page, "rows": rows, "top_warnings": top_warnings(request.user)}


_TEMPLATES = {
    Role.ADMINISTRATOR: "web/home/manager.html",
    Role.MANAGER: "web/home/manager.html",
    Role.ACCOUNT_MANAGER: "web/home/account_manager.html",
    Role.SERVICE_AGENT: "web/home/agent.html",
    Role.CARE_MARKETING: "web/home/care.html",
    Role.ANALYST: "web/home/analyst.html",
    Role.AUDITOR: "web/home/auditor.html",
}


@login_required
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    role = role_of(request.user)
    context: dict = {"nav": "home", "role": role}
    if role in (Role.ADMINISTRATOR, Role.MANAGER):
        context["figures"] = dashboards.headline_figures()
    if role in (Role.ANALYST, Role.CARE_MARKETING):
        context["aggregates"] = dashboards.aggregates()
    if role == Role.ACCOUNT_MANAGER:
        context.update(_account_manager_context(request))
    if role in (Role.AUDITOR, Role.ADMINISTRATOR):
        context["entries"] = audit_log(request.user)[:10]
    template = _TEMPLATES.get(role, "web/home/none.html") if role else "web/home/none.html"
    return render(request, template, context)


@login_required
@permission_required("nightly.view_nightlyrun", raise_exception=True)
@require_GET
def dashboard_page(request: AuthedRequest) -> HttpResponse:
    """The manager's dashboard of tiers, value, risk, model quality and warnings handled;
    ``lost`` and ``replacing`` pick the two segments or grades of the loss equivalence."""
    choices = tier_choices()
    codes = {code for code, _label in choices}
    lost, replacing = request.GET.get("lost", ""), request.GET.get("replacing", "mass")
    board = manager_dashboard(request.user, lost=lost if lost in codes else None,
                              replacing=replacing if replacing in codes else "mass")
    return render(request, "web/dashboard.html", {"nav": "dashboard", "board": board, "tiers": choices})


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@login_required
@require_GET
def audit_page(request: AuthedRequest) -> HttpResponse:
    """The audit log with filters; dates are whole local days, both ends included."""
    params = request.GET
    action = params.get("action", "") if params.get("action", "") in AuditAction.values else ""
    since, until = _day(params.get("since", "")), _day(params.get("until", ""))
    try:
        entries = audit_log(
            request.user, action=action or None, subject_id=params.get("subject", "").strip() or None,
            actor_name=params.get("actor", "").strip() or None,
            since=_start_of(since) if since else None,
            until=_start_of(until + dt.timedelta(days=1)) if until else None,
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    page = Paginator(entries, AUDIT_PAGE).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(request, "web/audit.html", {
        "nav": "audit", "page": page, "actions": AuditAction.choices, "filters": params,
        "query": query.urlencode(),
    })


def _own_token(request: AuthedRequest, pk: str) -> ApiToken:
    token = ApiToken.objects.filter(pk=pk, user=request.user).select_related("user").first()
    if token is None:
        raise Http404("no such token")
    return token


@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request: AuthedRequest) -> HttpResponse:
    """Issue and revoke personal API tokens. A new token's raw value is rendered in the
    response to the POST itself, never stored in the session, a message or a redirect."""
    context: dict = {"nav": "tokens"}
    if request.method == "POST":
        try:
            with transaction.atomic():
                if "revoke" in request.POST:
                    revoke_token(request.user, token=_own_token(request, request.POST["revoke"]))
                    context["notice"] = _("Token revoked.")
                else:
                    token, raw = issue_token(request.user, name=request.POST.get("name", ""))
                    context.update(new_token=token, new_raw=raw)
        except TelcrmError as exc:
            context["error"] = mask_text(exc.message)
    context["tokens"] = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "web/tokens.html", context)
