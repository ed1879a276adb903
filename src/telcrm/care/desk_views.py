"""Care at the desk: the agent's work list of outbound calls with script, customer context
and outcome codes; care products and their single-use codes (issue, redeem, track); and
the customer 360 page's campaigns card with the contact preferences (issue 4).

Thin adapters like care/views.py; customers are read through ``visible_customers``, so a
call task or a customer outside the user's scope is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telcrm.care import calls, contacts, preferences, services, vouchers
from telcrm.care.forms import CallOutcomeForm, ConsentForm, IssueForm, ProductForm, RedeemForm
from telcrm.care.models import CareProduct, VoucherCode
from telcrm.core.errors import NotFound, TelcrmError
from telcrm.core.masking import mask_text
from telcrm.customers.models import Customer
from telcrm.customers.policy import get_visible_customer
from telcrm.customers.views import AuthedRequest


def _customer_or_404(request: AuthedRequest, customer_no: str) -> Customer:
    try:
        return get_visible_customer(request.user, customer_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@permission_required("care.work_calltask", raise_exception=True)
@require_GET
def call_list(request: AuthedRequest) -> HttpResponse:
    """Open calls of the user's scope, due first; ``?mine=1`` only those assigned to me."""
    mine = request.GET.get("mine") == "1"
    return render(request, "care/calls.html", {
        "nav": "care", "rows": calls.work_list(request.user, mine=mine), "mine": mine,
    })


@login_required
@permission_required("care.work_calltask", raise_exception=True)
@require_http_methods(["GET", "POST"])
def call_detail(request: AuthedRequest, task_id: int) -> HttpResponse:
    """One call: the script, who the customer is (tier, plan, arrears, open campaigns),
    and the outcome form; the outcome lands on the customer's timeline, and what the
    customer said of the programme on the campaign's measures, in one transaction."""
    try:
        card = calls.call_card(request.user, task_id=task_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = CallOutcomeForm()
    if request.method == "POST":
        form = CallOutcomeForm(request.POST)
        if form.is_valid():
            try:
                data, at = form.cleaned_data, timezone.now()
                with transaction.atomic():
                    calls.complete_call(request.user, task=card.task, outcome=data["outcome"], note=data["note"],
                                        at=at)
                    if card.task.campaign is not None and data["aware"] is not None:
                        services.record_feedback(request.user, campaign=card.task.campaign, customer=card.customer,
                                                 aware=data["aware"], satisfaction=data["satisfaction"], at=at)
            except TelcrmError as exc:
                form.add_error(None, mask_text(exc.message))
            else:
                messages.success(request, _("Call outcome recorded."))
                return redirect("care-calls")
    return render(request, "care/call.html", {"nav": "care", "card": card, "form": form})


@login_required
@permission_required("care.view_careproduct", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_list(request: AuthedRequest) -> HttpResponse:
    """Care products with their codes issued and redeemed, the form for a new product and
    the counter's redeem box."""
    form = ProductForm()
    if request.method == "POST":
        if not request.user.has_perm("care.add_careproduct"):
            raise Http404("no such page")
        form = ProductForm(request.POST)
        if form.is_valid():
            form.save()
            messages.success(request, _("Care product saved."))
            return redirect("care-products")
    return render(request, "care/products.html", {
        "nav": "care", "uses": vouchers.product_uses(), "form": form, "redeem_form": RedeemForm(),
    })


@login_required
@permission_required("care.view_careproduct", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_detail(request: AuthedRequest, product_id: int) -> HttpResponse:
    """A product's codes, newest first, and the form that issues codes to customers."""
    product = get_object_or_404(CareProduct, pk=product_id)
    form = IssueForm()
    if request.method == "POST":
        form = IssueForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    issued = vouchers.issue_vouchers(request.user, product=product, at=timezone.now(),
                                                     customer_nos=form.customer_numbers(),
                                                     campaign=form.cleaned_data["campaign"])
            except TelcrmError as exc:
                form.add_error("customers", mask_text(exc.message))
            else:
                messages.success(request, _("%(n)d codes issued.") % {"n": len(issued)})
                return redirect("care-product", product_id=product.pk)
    codes = (VoucherCode.objects.filter(product=product).select_related("issued_to", "campaign")
             .order_by("-issued_at", "-id")[:200])
    return render(request, "care/product.html", {
        "nav": "care", "product": product, "codes": codes, "form": form,
    })


@login_required
@permission_required("care.change_vouchercode", raise_exception=True)
@require_POST
def redeem(request: AuthedRequest) -> HttpResponse:
    form = RedeemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type a code."))
        return redirect("care-products")
    try:
        with transaction.atomic():
            voucher = vouchers.redeem_voucher(request.user, code=form.cleaned_data["code"], at=timezone.now())
    except TelcrmError as exc:
        messages.error(request, mask_text(exc.message))
    else:
        messages.success(request, _("Code %(code)s redeemed: %(product)s.") % {
            "code": voucher.code, "product": voucher.product.name})
    return redirect("care-products")


@login_required
@permission_required("care.view_consent", raise_exception=True)
@require_GET
def customer_panel(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """The campaigns card of the customer 360 page: the campaigns the customer is in (and
    in which group), recent messages, vouchers, and the contact preferences."""
    customer = _customer_or_404(request, customer_no)
    return render(request, "care/_customer_panel.html", {
        "c": customer, "panel": preferences.customer_panel(customer), "consent_form": ConsentForm(),
    })


@login_required
@permission_required("care.add_consent", raise_exception=True)
@require_POST
def customer_consent(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """Record a grant or withdrawal of consent; the card is redrawn in place (HTMX)."""
    customer = _customer_or_404(request, customer_no)
    form = ConsentForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            with transaction.atomic():
                contacts.record_consent(request.user, customer=customer, at=timezone.now(), **form.cleaned_data)
        except TelcrmError as exc:
            error = mask_text(exc.message)
    else:
        error = _("Choose a channel, consent and source.")
    return render(request, "care/_customer_panel.html", {
        "c": customer, "panel": preferences.customer_panel(customer), "consent_form": ConsentForm(),
        "error": error,
    })
