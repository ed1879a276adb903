"""A line's billing and provisioning records as a complaint is verified against them
(domain.md section 5: "each complaint is verified against billing and provisioning
records"), and the two corrections a complaint can end in: an SP subscription cancelled,
a promotion's discount restored.

Callers check the actor's scope over the customer first (the tickets app reads these for
a ticket the agent may see); these functions take ids and return plain values, so a
snapshot of them can be kept as evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from telcrm.billing.models import BillSummary, Promotion, SpSubscription, Suspension, UsageSummary
from telcrm.core.errors import NotFound, ValidationFailed

#: How far back verification looks: the bills a customer usually disputes.
MONTHS = 6


@dataclass(frozen=True)
class LineRecords:
    bills: list[dict] = field(default_factory=list)
    usage: list[dict] = field(default_factory=list)
    sp_services: list[dict] = field(default_factory=list)
    suspensions: list[dict] = field(default_factory=list)
    promotions: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[dict]]:
        return asdict(self)


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        out[key] = value
    return out


def line_records(*, subscription_id: int, months: int = MONTHS) -> LineRecords:
    """The line's last ``months`` bills and usage, every SP service, suspension and
    promotion, newest first. A promotion says which newer one ended it."""
    bills = BillSummary.objects.filter(subscription_id=subscription_id).order_by("-month")[:months]
    usage = UsageSummary.objects.filter(subscription_id=subscription_id).order_by("-month")[:months]
    sp = SpSubscription.objects.filter(subscription_id=subscription_id).order_by("-ordered_at")
    stops = Suspension.objects.filter(subscription_id=subscription_id).order_by("-started_at")
    promos = (Promotion.objects.filter(subscription_id=subscription_id).order_by("-starts_on")
              .values("id", "code", "name", "monthly_discount", "starts_on", "ends_on", "ended_by__code",
                      "ended_by__name"))
    return LineRecords(
        bills=[_plain(b) for b in bills.values("id", "month", "plan_fee", "voice", "data", "sms", "vas",
                                               "roaming", "discount", "total")],
        usage=[_plain(u) for u in usage.values("id", "month", "voice_minutes", "data_mb", "sms_count")],
        sp_services=[_plain(s) for s in sp.values("id", "sp_code", "sp_name", "service", "monthly_fee",
                                                  "ordered_at", "ordered_via", "cancelled_at")],
        suspensions=[_plain(s) for s in stops.values("id", "cause", "started_at", "ended_at", "detail")],
        promotions=[_plain(p) for p in promos],
    )


def cancel_sp_subscription(*, subscription_id: int, sp_subscription_id: int, at: dt.datetime,
                           reason: str) -> SpSubscription:
    sp = SpSubscription.objects.select_for_update().filter(
        pk=sp_subscription_id, subscription_id=subscription_id).first()
    if sp is None:
        raise NotFound(f"SP subscription {sp_subscription_id} not found on this line")
    if sp.cancelled_at is not None:
        raise ValidationFailed("the SP subscription is already cancelled", code="already_cancelled")
    sp.cancelled_at, sp.cancel_reason = at, reason[:120]
    sp.save(update_fields=["cancelled_at", "cancel_reason"])
    return sp


def restore_promotion(*, subscription_id: int, promotion_id: int) -> Promotion:
    """Put an ended promotion back in force (the discount restored): it no longer ends, and
    the promotion that ended it is kept, as the customer holds both."""
    promo = Promotion.objects.select_for_update().filter(pk=promotion_id, subscription_id=subscription_id).first()
    if promo is None:
        raise NotFound(f"promotion {promotion_id} not found on this line")
    if promo.ends_on is None:
        raise ValidationFailed("the promotion is in force", code="promotion_in_force")
    promo.ends_on, promo.ended_by = None, None
    promo.save(update_fields=["ends_on", "ended_by"])
    return promo
