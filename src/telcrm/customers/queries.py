"""Read side of the customer screens: search results and the customer 360 view (客户360视图).

Two rules shape every function here:

- Personal data leaves this module masked (domain.md section 1, "access by permission
  level"): phone numbers, ID numbers and addresses are turned into their masked form before
  a template sees them, so no template can print a raw value by mistake. Revealing one
  value is a separate, audited request (``services.reveal_field``).
- The 360 page must render in a few milliseconds on a million subscribers (issue 2, "Speed"):
  a fixed handful of indexed queries per page whatever the customer's size, bills and
  usage summed in SQL over this customer's lines only, no query per row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection, models
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from telcrm.billing.models import BillSummary, UsageSummary
from telcrm.core.errors import NotFound
from telcrm.core.masking import mask_address, mask_id_number, mask_phone
from telcrm.customers.models import (
    Account,
    Contact,
    Customer,
    CustomerKind,
    EnterpriseService,
    Interaction,
    Subscription,
    SubscriptionStatus,
)
from telcrm.customers.policy import visible_customers

CHART_MONTHS = 24
TIMELINE_PAGE = 15
LINES_PAGE = 20
CHILDREN_SHOWN = 20

_PHONE = re.compile(r"^1\d{10}$")
_CODE18 = re.compile(r"^[0-9A-Z]{17}[0-9A-Z]$")


def search_customers(user: User, q: str) -> QuerySet[Customer]:
    """Customers in the user's scope matching a phone number, ID number or credit code,
    customer number, or the beginning of a name.

    The kind of query is recognised from its shape so each one hits its own index:
    an 11-digit mobile number looks up lines (closed ones too: a caller may give an old
    number), an 18-character code the ID number and credit code columns.
    """
    q = q.strip()
    scope = visible_customers(user).select_related("region")
    if not q:
        return scope.none()
    if _PHONE.match(q):
        owners = Subscription.objects.filter(msisdn=q).values("customer_id")
        return scope.filter(pk__in=owners)
    if _CODE18.match(q.upper()):
        code = q.upper()
        return scope.filter(Q(id_number=code) | Q(credit_code=code))
    return scope.filter(Q(customer_no=q) | Q(name__startswith=q))


@dataclass(frozen=True)
class SearchHit:
    customer_no: str
    name: str
    kind: str
    region: str
    status: str
    id_masked: str
    address_masked: str
    phones_masked: list[str]


def search_hits(customers: list[Customer]) -> list[SearchHit]:
    """One page of results, masked, with each customer's first lines (one extra query)."""
    phones: dict[int, list[str]] = {}
    lines = (
        Subscription.objects.filter(customer__in=[c.pk for c in customers])
        .exclude(status=SubscriptionStatus.CLOSED).order_by("customer_id", "id")
        .values_list("customer_id", "msisdn")
    )
    for customer_id, msisdn in lines:
        phones.setdefault(customer_id, []).append(mask_phone(msisdn))
    return [
        SearchHit(
            customer_no=c.customer_no, name=c.name, kind=c.get_kind_display(), region=str(c.region),
            status=c.get_status_display(),
            id_masked=mask_id_number(c.id_number) if c.id_number else c.credit_code,
            address_masked=mask_address(c.address), phones_masked=phones.get(c.pk, [])[:3],
        )
        for c in customers
    ]


@dataclass(frozen=True)
class Line:
    pk: int
    msisdn_masked: str
    plan: str
    brand: str
    payment_type: str
    status: str
    status_label: str
    status_date: object
    status_reason: str
    activated_on: object
    contract_end: object
    region: str


@dataclass(frozen=True)
class ContactRow:
    name: str
    title: str
    decision_power: str
    is_decision_maker: bool
    phone_masked: str
    email: str


@dataclass
class CustomerPage:
    """Everything the 360 page shows; personal data only in masked form."""

    customer: Customer
    id_masked: str
    address_masked: str
    lines: LinesPage
    accounts: Sequence[Account]
    arrears_total: Decimal
    spend_chart: dict
    usage_chart: dict
    contacts: list[ContactRow] = field(default_factory=list)
    circuits: list[EnterpriseService] = field(default_factory=list)
    children: list[Customer] = field(default_factory=list)
    children_count: int = 0

    @property
    def is_enterprise(self) -> bool:
        return self.customer.kind == CustomerKind.ENTERPRISE


@dataclass(frozen=True)
class LinesPage:
    items: list[Line]
    page: int
    has_more: bool
    total: int


def lines_page(customer: Customer, *, page: int = 1) -> LinesPage:
    """One page of a customer's lines, open ones first. An enterprise may hold hundreds
    of lines: the page shows the first ones and loads more on request, so its size and
    time do not grow with the customer's."""
    start = (page - 1) * LINES_PAGE
    subs = list(
        Subscription.objects.filter(customer=customer).select_related("plan", "region")
        .order_by("status", "-activated_on", "id")[start : start + LINES_PAGE + 1]
    )
    has_more = len(subs) > LINES_PAGE
    total = Subscription.objects.filter(customer=customer).count() if has_more or page > 1 else len(subs)
    items = [
        Line(
            pk=s.pk, msisdn_masked=mask_phone(s.msisdn), plan=s.plan.name, brand=s.get_brand_display(),
            payment_type=s.get_payment_type_display(), status=s.status,
            status_label=s.get_status_display(), status_date=s.status_date,
            status_reason=s.status_reason, activated_on=s.activated_on,
            contract_end=s.contract_end, region=str(s.region),
        )
        for s in subs[:LINES_PAGE]
    ]
    return LinesPage(items=items, page=page, has_more=has_more, total=total)


_SPEND = (
    ("plan_fee", gettext_lazy("Plan")), ("voice", gettext_lazy("Voice")),
    ("data", gettext_lazy("Data")), ("sms", gettext_lazy("SMS")),
    ("vas", gettext_lazy("Value-added")), ("roaming", gettext_lazy("Roaming")),
    ("discount", gettext_lazy("Discount")),
)


def _monthly_sums(model: type[models.Model], columns: list[str], customer: Customer) -> list[tuple]:
    """``(month, sum of each column)`` over the customer's lines, newest 24 months last.

    Plain SQL (portable: SQLite and PostgreSQL) rather than the ORM: building this
    aggregate through the query compiler cost fourteen times its execution, and the two
    charts are the 360 page's heaviest queries. Table and column names come from the
    models, so a renamed field still breaks loudly here.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    lines = connection.ops.quote_name(Subscription._meta.db_table)
    column_of = {f.name: f.column for f in model._meta.concrete_fields if f.column}
    sums = ", ".join(f"SUM(m.{connection.ops.quote_name(column_of[c])})" for c in columns)
    sql = (f"SELECT m.month, {sums} FROM {table} m JOIN {lines} s ON s.id = m.subscription_id "
           f"WHERE s.customer_id = %s GROUP BY m.month ORDER BY m.month DESC LIMIT {CHART_MONTHS}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer.pk])
        rows = cursor.fetchall()
    rows.reverse()
    return rows


def _month_label(value: object) -> str:
    """SQLite hands back the month as text, PostgreSQL as a date."""
    return str(value)[:7]


def spend_chart(customer: Customer) -> dict:
    """Stacked monthly spend by category over the customer's last 24 billed months.

    One GROUP BY over this customer's lines (the (subscription, month) unique index); the
    discount category is negative and stacks below zero.
    """
    rows = _monthly_sums(BillSummary, [name for name, _label in _SPEND], customer)
    return {
        "type": "bar", "stacked": True, "yTitle": _("CNY"),
        "labels": [_month_label(r[0]) for r in rows],
        "series": [
            {"label": str(label), "data": [float(r[i] or 0) for r in rows]}
            for i, (_name, label) in enumerate(_SPEND, start=1)
        ],
    }


def usage_chart(customer: Customer) -> dict:
    """Monthly minutes, MB and SMS, and the share of minutes to competitor networks (a churn
    signal, domain.md section 3)."""
    rows = _monthly_sums(
        UsageSummary, ["voice_minutes", "data_mb", "sms_count", "competitor_minutes"], customer
    )
    share = [round(100 * rival / minutes, 1) if minutes else 0 for _m, minutes, _mb, _sms, rival in rows]
    return {
        "type": "line", "yTitle": _("minutes / MB / SMS"), "y2Title": _("percent of minutes"),
        "labels": [_month_label(r[0]) for r in rows],
        "series": [
            {"label": _("Voice minutes"), "data": [int(r[1] or 0) for r in rows]},
            {"label": _("Data (MB)"), "data": [int(r[2] or 0) for r in rows]},
            {"label": _("SMS"), "data": [int(r[3] or 0) for r in rows]},
            {"label": _("Competitor-call share"), "data": share, "axis": "y2"},
        ],
    }


def _enterprise_extras(page: CustomerPage) -> None:
    customer = page.customer
    page.contacts = [
        ContactRow(
            name=c.name, title=c.title, decision_power=c.get_decision_power_display(),
            is_decision_maker=c.decision_power == "decision_maker", phone_masked=mask_phone(c.phone),
            email=c.email,
        )
        for c in Contact.objects.filter(customer=customer).order_by("decision_power", "name")
    ]
    page.circuits = list(EnterpriseService.objects.filter(customer=customer).order_by("service_no"))
    children = Customer.objects.filter(parent=customer).order_by("customer_no")
    page.children_count = children.count()
    page.children = list(children.only("customer_no", "name", "size")[:CHILDREN_SHOWN])


def customer_page(user: User, customer_no: str) -> CustomerPage:
    """The 360 view of one customer in the user's scope (``NotFound`` outside it)."""
    customer = (
        visible_customers(user).select_related("region", "account_manager", "parent")
        .filter(customer_no=customer_no).first()
    )
    if customer is None:
        raise NotFound(f"customer {customer_no} not found")
    accounts = list(
        Account.objects.filter(customer=customer).annotate(lines=Count("subscriptions"))
        .order_by("account_no")
    )
    page = CustomerPage(
        customer=customer, id_masked=mask_id_number(customer.id_number),
        address_masked=mask_address(customer.address), lines=lines_page(customer), accounts=accounts,
        arrears_total=-sum((a.balance for a in accounts if a.balance < 0), Decimal("0")),
        spend_chart=spend_chart(customer), usage_chart=usage_chart(customer),
    )
    if page.is_enterprise:
        _enterprise_extras(page)
    return page


@dataclass(frozen=True)
class TimelinePage:
    items: list[Interaction]
    page: int
    has_more: bool


def timeline(customer: Customer, *, page: int = 1) -> TimelinePage:
    """Interactions on every channel, newest first, read by the (customer, time) index."""
    start = (page - 1) * TIMELINE_PAGE
    rows = list(
        Interaction.objects.filter(customer=customer).select_related("agent")
        .order_by("-occurred_at", "-id")[start : start + TIMELINE_PAGE + 1]
    )
    return TimelinePage(items=rows[:TIMELINE_PAGE], page=page, has_more=len(rows) > TIMELINE_PAGE)
