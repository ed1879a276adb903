"""Customers with everything the 360 page shows: lines, bills, usage, interactions,
arrears, and for enterprises contacts, circuits and a group."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from telcrm.billing.models import BillSummary, UsageSummary
from telcrm.customers.models import Contact, Customer, CustomerKind, EnterpriseService, Interaction
from tests import factories as f

_seq = itertools.count(1)


def months(n: int, last: dt.date = dt.date(2025, 12, 1)) -> list[dt.date]:
    out, year, month = [], last.year, last.month
    for _ in range(n):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def bills_and_usage(sub, n_months: int = 24) -> None:  # type: ignore[no-untyped-def]
    for i, month in enumerate(months(n_months)):
        BillSummary.objects.create(
            subscription=sub, month=month, plan_fee=Decimal("128"), voice=Decimal(10 + i),
            data=Decimal("20.50"), sms=Decimal("3"), vas=Decimal("5"), roaming=Decimal("0"),
            discount=Decimal("-10"), total=Decimal(128 + 10 + i + 20.5 + 3 + 5 - 10),
        )
        UsageSummary.objects.create(
            subscription=sub, month=month, voice_minutes=300 + i, data_mb=2048, sms_count=40,
            competitor_calls=12, competitor_minutes=30,
        )


def phone(n: int | None = None) -> str:
    return f"139{(n or next(_seq)) + 20_000_000:08d}"


def rich_customer(*, region_code: str = "SH-XH", lines: int = 2, interactions: int = 3,
                  **fields) -> Customer:  # type: ignore[no-untyped-def]
    """An individual with ``lines`` lines (the first in arrears), 24 months of bills and
    usage on each, and ``interactions`` contacts on the timeline."""
    c = f.customer(region_code=region_code, **fields)
    first = f.subscription(c, msisdn=phone())
    acc = first.account
    acc.balance, acc.arrears_since = Decimal("-88.50"), dt.date(2025, 11, 1)
    acc.save()
    bills_and_usage(first)
    for _ in range(lines - 1):
        bills_and_usage(f.subscription(c, msisdn=phone(), account=acc))
    now = timezone.now()
    for i in range(interactions):
        Interaction.objects.create(
            customer=c, subscription=first, channel="call_centre", direction="in",
            occurred_at=now - dt.timedelta(days=i), topic="billing", outcome="resolved", note=f"账单查询{i}",
        )
    return c


def enterprise(*, account_manager=None, **fields) -> Customer:  # type: ignore[no-untyped-def]
    parent = f.customer(kind=CustomerKind.ENTERPRISE, name="集团总部", account_manager=account_manager)
    c = f.customer(kind=CustomerKind.ENTERPRISE, parent=parent, account_manager=account_manager,
                   strategic_notes="续约谈判中", competitor_presence="联通专线", **fields)
    f.customer(kind=CustomerKind.ENTERPRISE, parent=c, name="分公司一", account_manager=account_manager)
    Contact.objects.create(customer=c, name="赵总", title="CIO", decision_power="decision_maker",
                           phone=phone())
    EnterpriseService.objects.create(
        service_no=f"S{next(_seq):08d}", customer=c, kind="ddn", bandwidth_kbps=2048,
        site_a="上海市浦东新区世纪大道1号", status="active", activated_on=dt.date(2021, 1, 1),
        monthly_fee=Decimal("3000"), one_time_fee=Decimal("5000"),
    )
    bills_and_usage(f.subscription(c, msisdn=phone()), n_months=6)
    return c


def raw_pii(customer: Customer) -> list[str]:
    """Every personal-data value of a customer as stored: what no page may show unrevealed."""
    values = [customer.id_number, customer.address]
    values += list(customer.subscriptions.values_list("msisdn", flat=True))
    values += list(customer.contacts.values_list("phone", flat=True))
    return [v for v in values if v]


def assert_no_raw_pii(html: str, *customers: Customer) -> None:
    for customer in customers:
        leaked = [v for v in raw_pii(customer) if v in html]
        assert not leaked, f"raw personal data of {customer.customer_no} in the page: {leaked}"
