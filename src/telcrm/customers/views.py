"""Customer screens: search, the 360 page, reveal, edit, merge and exports.

Views are thin adapters (architecture.md, convention 13): they parse the request, call one
query or service, and render. Domain errors become a message on the page; a customer
outside the user's scope is a 404, never a 403, so its existence does not leak.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telcrm.core.errors import NotFound, TelcrmError
from telcrm.core.masking import MASKERS, mask_text
from telcrm.customers import duplicates, queries
from telcrm.customers.exports import export_customers
from telcrm.customers.forms import CustomerEditForm, MergeForm, RevealForm
from telcrm.customers.history import field_history, update_customer
from telcrm.customers.models import Customer, Subscription
from telcrm.customers.policy import can_edit, get_visible_customer, visible_customers
from telcrm.customers.services import reveal_field

PAGE_SIZE = 25


class AuthedRequest(HttpRequest):
    """A request behind ``login_required``: its user is a signed-in staff member."""

    user: User
_SAVED_SEARCHES = 20


def remember_search(request: HttpRequest, q: str) -> str:
    """Keep a query in the session under a short token.

    Paging and export links carry the token instead of the query, so a phone or ID number
    typed into the search box is never printed back into the page or kept in a URL.
    """
    saved: dict[str, str] = request.session.get("searches", {})
    for token, query in saved.items():
        if query == q:
            return token
    token = secrets.token_urlsafe(6)
    saved[token] = q
    request.session["searches"] = dict(list(saved.items())[-_SAVED_SEARCHES:])
    return token


def recall_search(request: HttpRequest) -> tuple[str, str]:
    """The query of this request (``q``) or of an earlier one (``s``), and its token."""
    q = request.GET.get("q", "").strip()
    if q:
        return q, remember_search(request, q)
    token = request.GET.get("s", "")
    return request.session.get("searches", {}).get(token, ""), token


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_search(request: AuthedRequest) -> HttpResponse:
    """Search results, or the whole list of the user's customers when there is no query.

    The search box posts its query, which is kept in the session and replaced by a token
    in the redirect: a typed phone or ID number never enters a URL, so neither access
    logs nor the browser history hold it. ``?q=`` works as well, for links and scripts.
    """
    if request.method == "POST":
        q = request.POST.get("q", "").strip()
        target = reverse("customer-search")
        return redirect(f"{target}?s={remember_search(request, q)}" if q else target)
    q, token = recall_search(request)
    found = (
        queries.search_customers(request.user, q) if q
        else visible_customers(request.user).select_related("region")
    )
    page = Paginator(found.order_by("customer_no"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/search.html", {
        "nav": "customers", "q_masked": mask_text(q), "token": token, "page": page,
        "hits": queries.search_hits(list(page.object_list)),
    })


def _page_or_404(request: AuthedRequest, customer_no: str) -> queries.CustomerPage:
    try:
        return queries.customer_page(request.user, customer_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _customer_or_404(request: AuthedRequest, customer_no: str) -> Customer:
    try:
        return get_visible_customer(request.user, customer_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_GET
def customer_detail(request: AuthedRequest, customer_no: str) -> HttpResponse:
    page = _page_or_404(request, customer_no)
    customer = page.customer
    editable = can_edit(request.user, customer)
    return render(request, "customers/detail.html", {
        "nav": "customers", "page": page, "c": customer,
        "timeline": queries.timeline(customer),
        "history": field_history(request.user, customer=customer)[:20],
        "can_reveal": request.user.has_perm("core.reveal_pii"),
        "can_edit": editable,
    })


@login_required
@permission_required("customers.view_interaction", raise_exception=True)
@require_GET
def customer_timeline(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """One more page of the interaction timeline, appended by HTMX."""
    customer = _customer_or_404(request, customer_no)
    return render(request, "customers/_timeline.html", {
        "c": customer, "timeline": queries.timeline(customer, page=_page_number(request)),
    })


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@login_required
@permission_required("customers.view_subscription", raise_exception=True)
@require_GET
def customer_lines(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """More of a customer's lines, appended by HTMX."""
    customer = _customer_or_404(request, customer_no)
    return render(request, "customers/_lines.html", {
        "c": customer, "lines": queries.lines_page(customer, page=_page_number(request)),
        "can_reveal": request.user.has_perm("core.reveal_pii"),
    })


@login_required
@require_POST
def reveal(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """Show one personal-data value with a stated reason; ``reveal_field`` writes the audit
    entry in the same transaction. The line is named by its id, never by its number, so
    the form itself carries no personal data."""
    customer = _customer_or_404(request, customer_no)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Invalid request."), status=400)
    field, line_id = form.cleaned_data["field"], form.cleaned_data["line"]
    msisdn = None
    if field == "phone":
        line = Subscription.objects.filter(customer=customer, pk=line_id).first()
        if line is None:
            raise Http404("no such line")
        msisdn = line.msisdn
    raw = msisdn if field == "phone" else getattr(customer, field)
    context = {"c": customer, "field": field, "line_id": line_id, "can_reveal": True,
               "masked": MASKERS[field](raw)}
    try:
        with transaction.atomic():
            context["value"] = reveal_field(
                request.user, customer=customer, field=field, reason=form.cleaned_data["reason"],
                msisdn=msisdn,
            )
    except TelcrmError as exc:
        context["error"] = _error_text(exc)
    return render(request, "customers/_reveal.html", context)


def _error_text(exc: TelcrmError) -> str:
    """Domain errors carry "field: rule"; the UI shows the rule in the user's language."""
    return {
        "forbidden": _("Your role may not reveal personal data."),
        "invalid": _("State why you need to see this value (at least 4 characters)."),
        "conflict": _("Someone else changed this customer meanwhile: reload and edit again."),
    }.get(exc.code, mask_text(exc.message))


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """The edit form (GET, loaded when the user opens it: rendering form widgets would cost
    the 360 page a third of its time) and its save (POST); a stale ``version`` becomes a
    Conflict message, not an overwrite."""
    customer = _customer_or_404(request, customer_no)
    if not can_edit(request.user, customer):
        raise Http404("not editable")
    if request.method == "GET":
        return render(request, "customers/_edit_form.html", {
            "c": customer, "edit_form": CustomerEditForm(instance=customer)})
    form = CustomerEditForm(request.POST, instance=customer)
    if not form.is_valid():
        messages.error(request, _("Please correct the form: %(errors)s") % {
            "errors": "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())})
        return redirect("customer-detail", customer_no=customer_no)
    try:
        with transaction.atomic():
            update_customer(
                request.user, customer=customer, changes=form.changes(),
                expected_version=form.cleaned_data["version"], source="web",
            )
    except TelcrmError as exc:
        messages.error(request, _error_text(exc) if exc.code == "conflict" else mask_text(exc.message))
    else:
        messages.success(request, _("Customer saved."))
    return redirect("customer-detail", customer_no=customer_no)


@login_required
@require_GET
def customer_export(request: AuthedRequest) -> HttpResponseBase:
    """Stream the current search (or the whole list in scope) as CSV or Excel; the export
    service masks the rows, intersects with the user's scope and writes the audit entry."""
    q, _token = recall_search(request)
    if request.GET.get("s") and not q:
        # The search behind the button is gone (another session, or expired): exporting
        # the whole list instead would hand out far more than the user asked for.
        return HttpResponse(_("This search has expired: search again, then export."), status=410)
    found = queries.search_customers(request.user, q) if q else None
    try:
        stream = export_customers(
            request.user, queryset=found, fmt=request.GET.get("format", "csv"),
            description=f"search: {mask_text(q)}" if q else "customer list",
        )
    except TelcrmError as exc:
        return HttpResponse(mask_text(exc.message), status=exc.status)
    response = StreamingHttpResponse(stream.chunks, content_type=stream.content_type)
    response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
    return response


def _reason_labels() -> dict[str, str]:
    return {
        duplicates.SAME_ID_NUMBER: _("same ID number"),
        duplicates.SAME_CREDIT_CODE: _("same credit code"),
        duplicates.SAME_PHONE: _("same phone number"),
        duplicates.SIMILAR_NAME_ADDRESS: _("similar name and address"),
        duplicates.SIMILAR_NAME: _("similar name"),
    }


@login_required
@require_GET
def customer_duplicates(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """The duplicates panel, loaded after the page: finding similar names compares this
    customer with its region's records of the same surname, too slow for the page itself."""
    customer = _customer_or_404(request, customer_no)
    labels = _reason_labels()
    found = [
        {"other": p.second if p.first.pk == customer.pk else p.first, "score": p.score,
         "reasons": [labels.get(r, r) for r in p.reasons]}
        for p in duplicates.duplicates_of(request.user, customer=customer)
    ]
    return render(request, "customers/_duplicate_list.html", {
        "c": customer, "duplicates": found, "can_merge": request.user.has_perm("core.merge_customers"),
    })


@login_required
@require_POST
def customer_merge(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """Merge a duplicate into this record; the service moves every line, interaction and
    ticket, and writes the audit entry (issue 2, "Duplicates, history and exports")."""
    keep = _customer_or_404(request, customer_no)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Invalid request."), status=400)
    merge = _customer_or_404(request, form.cleaned_data["duplicate"])
    try:
        with transaction.atomic():
            duplicates.merge_customers(request.user, keep=keep, merge=merge,
                                       reason=request.POST.get("reason", ""))
    except TelcrmError as exc:
        messages.error(request, mask_text(exc.message))
    else:
        messages.success(request, _("%(merged)s was merged into this customer.") % {
            "merged": merge.customer_no})
    return redirect("customer-detail", customer_no=customer_no)
