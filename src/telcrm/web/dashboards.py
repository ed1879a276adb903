"""Figures for the role home pages, each one aggregate query over the whole operator.

Managers watch headline figures (customers, active lines, ARPU, arrears, lines by brand);
analysts aggregates; care & marketing the segment sizes (domain.md sections 2 and 5). The
figures are cached for a few minutes: they are scans of the whole base, the same for every
user allowed to see them, and a home page must not wait for them on every visit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.core.cache import cache
from django.db import models
from django.db.models import Count, Max, Q, Sum

from telcrm.billing.models import BillSummary
from telcrm.customers.models import (
    Account,
    Brand,
    Customer,
    CustomerKind,
    CustomerStatus,
    PaymentType,
    Segment,
    Subscription,
    SubscriptionStatus,
)

CACHE_SECONDS = 300


@dataclass(frozen=True)
class Share:
    label: str
    count: int


@dataclass(frozen=True)
class Headline:
    customers: int
    enterprises: int
    active_lines: int
    arpu_month: str
    arpu: Decimal | None
    arrears_total: Decimal
    accounts_in_arrears: int
    lines_by_brand: list[Share]


def _labelled(rows: Iterable[Mapping[str, Any]], key: str, choices: type[models.TextChoices]) -> list[Share]:
    labels = dict(choices.choices)
    return [Share(str(labels.get(r[key], r[key] or "—")), r["n"]) for r in rows]


def _live_customers():  # type: ignore[no-untyped-def]
    return Customer.objects.exclude(status=CustomerStatus.MERGED)


def _compute_headline() -> Headline:
    counts = _live_customers().aggregate(
        customers=Count("id"), enterprises=Count("id", filter=Q(kind=CustomerKind.ENTERPRISE))
    )
    lines = list(
        Subscription.objects.filter(status=SubscriptionStatus.ACTIVE)
        .values("brand").annotate(n=Count("id")).order_by("-n")
    )
    last_month = BillSummary.objects.aggregate(m=Max("month"))["m"]
    arpu = None
    if last_month is not None:
        billed = BillSummary.objects.filter(month=last_month).aggregate(
            total=Sum("total"), lines=Count("subscription_id")
        )
        if billed["lines"]:
            arpu = (billed["total"] / billed["lines"]).quantize(Decimal("0.01"))
    arrears = Account.objects.filter(balance__lt=0).aggregate(total=Sum("balance"), n=Count("id"))
    return Headline(
        customers=counts["customers"], enterprises=counts["enterprises"],
        active_lines=sum(r["n"] for r in lines),
        arpu_month=last_month.strftime("%Y-%m") if last_month else "",
        arpu=arpu, arrears_total=-(arrears["total"] or Decimal("0")).quantize(Decimal("0.01")),
        accounts_in_arrears=arrears["n"],
        lines_by_brand=_labelled(lines, "brand", Brand),
    )


def headline_figures() -> Headline:
    """The manager's headline figures (cached, see the module docstring)."""
    return cast(Headline, cache.get_or_set("telcrm:headline", _compute_headline, CACHE_SECONDS))


@dataclass(frozen=True)
class Aggregates:
    by_segment: list[Share]
    by_kind: list[Share]
    lines_by_status: list[Share]
    lines_by_payment_type: list[Share]
    top_plans: list[Share]


def _compute_aggregates() -> Aggregates:
    customers = _live_customers()
    segments = list(customers.values("segment").annotate(n=Count("id")).order_by("-n"))
    kinds = list(customers.values("kind").annotate(n=Count("id")).order_by("-n"))
    statuses = list(Subscription.objects.values("status").annotate(n=Count("id")).order_by("-n"))
    pay = list(Subscription.objects.values("payment_type").annotate(n=Count("id")).order_by("-n"))
    plans = (
        Subscription.objects.filter(status=SubscriptionStatus.ACTIVE)
        .values("plan__name").annotate(n=Count("id")).order_by("-n")[:10]
    )
    return Aggregates(
        by_segment=_labelled(segments, "segment", Segment),
        by_kind=_labelled(kinds, "kind", CustomerKind),
        lines_by_status=_labelled(statuses, "status", SubscriptionStatus),
        lines_by_payment_type=_labelled(pay, "payment_type", PaymentType),
        top_plans=[Share(r["plan__name"], r["n"]) for r in plans],
    )


def aggregates() -> Aggregates:
    """The analyst's and care team's aggregates: counts only, never a person's record."""
    return cast(Aggregates, cache.get_or_set("telcrm:aggregates", _compute_aggregates, CACHE_SECONDS))
