"""Read side of the value screens: a customer's tier and value panel on the 360 page and
the manager's figures (tier pyramid, value by segment).

Value is shown as the sources define it (domain.md section 2): current value, direct
(revenue and margin) beside additional (what the customer brings through its other lines
or group members), then potential value and lifetime value; individual lines fall into
segments (VIP, growth, mass), enterprises into grades 1A-5A with their service stars.
Every customer read starts from ``policy.visible_customers``; the panel costs a fixed
handful of indexed queries whatever the customer's size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Count, Max, Sum
from django.utils.translation import gettext as _

from telcrm.core.errors import NotFound
from telcrm.core.masking import mask_phone
from telcrm.customers.models import Customer, CustomerKind
from telcrm.customers.policy import visible_customers
from telcrm.value.models import EnterpriseValue, Grade, LineValue, RuleSet, Segment, TierChange

HISTORY_MONTHS = 24
LINES_SHOWN = 10
TIER_CHANGES_SHOWN = 12
_SEGMENT_RANK: dict[str, int] = {Segment.VIP: 0, Segment.GROWTH: 1, Segment.MASS: 2}
_ZERO = Decimal("0")


@dataclass(frozen=True)
class ValueRow:
    """One month's value of a customer (summed over its lines for an individual)."""

    month: dt.date
    revenue: Decimal
    margin: Decimal
    additional_value: Decimal
    potential_value: Decimal
    lifetime_value: Decimal | None
    tier: str = ""


@dataclass(frozen=True)
class LineRow:
    msisdn_masked: str
    segment: str
    segment_label: str
    revenue: Decimal
    margin: Decimal
    lifetime_value: Decimal | None
    expected_lifetime_months: float | None


@dataclass(frozen=True)
class TierChangeRow:
    """A grade change of the enterprise, or a segment change of one of its lines."""

    month: dt.date
    previous: str
    tier: str
    rule_version: str
    line_masked: str


@dataclass
class ValuePanel:
    customer: Customer
    current: ValueRow | None
    tier: str = ""
    tier_label: str = ""
    stars: int | None = None
    rule_version: str = ""
    history: list[ValueRow] = field(default_factory=list)
    lines: list[LineRow] = field(default_factory=list)
    tier_changes: list[TierChangeRow] = field(default_factory=list)
    chart: dict = field(default_factory=dict)

    @property
    def is_enterprise(self) -> bool:
        return self.customer.kind == CustomerKind.ENTERPRISE

    @property
    def star_marks(self) -> str:
        return "★" * (self.stars or 0)


def _chart(history: list[ValueRow]) -> dict:
    """Monthly revenue, margin and potential value, in the spec ``web/app.js`` draws."""
    return {
        "type": "line", "yTitle": _("CNY"),
        "labels": [f"{r.month:%Y-%m}" for r in history],
        "series": [
            {"label": _("Revenue"), "data": [float(r.revenue) for r in history]},
            {"label": _("Margin"), "data": [float(r.margin) for r in history]},
            {"label": _("Potential value"), "data": [float(r.potential_value) for r in history]},
        ],
    }


def _enterprise_history(customer: Customer) -> list[ValueRow]:
    rows = EnterpriseValue.objects.filter(customer=customer).order_by("-month")[:HISTORY_MONTHS]
    return [
        ValueRow(month=r.month, revenue=r.revenue, margin=r.margin, additional_value=r.additional_value,
                 potential_value=r.potential_value, lifetime_value=r.lifetime_value, tier=r.grade)
        for r in reversed(list(rows))
    ]


def _individual_history(customer: Customer) -> list[ValueRow]:
    """Sums over the customer's lines per month: one GROUP BY on the (customer, month) index.
    Lifetime value stays empty for a month where no line has one (prepaid lines may not)."""
    rows = (
        LineValue.objects.filter(customer=customer).values("month")
        .annotate(revenue=Sum("revenue"), margin=Sum("margin"), additional=Sum("additional_value"),
                  potential=Sum("potential_value"), ltv=Sum("lifetime_value"))
        .order_by("-month")[:HISTORY_MONTHS]
    )
    return [
        ValueRow(month=r["month"], revenue=r["revenue"] or _ZERO, margin=r["margin"] or _ZERO,
                 additional_value=r["additional"] or _ZERO, potential_value=r["potential"] or _ZERO,
                 lifetime_value=r["ltv"])
        for r in reversed(list(rows))
    ]


def value_panel(user: User, customer_no: str) -> ValuePanel:
    """Tier, value and their history of one customer in the user's scope (``NotFound``
    outside it). An enterprise shows its grade and stars; an individual the best segment
    among its lines (a VIP line makes the customer a VIP customer) and each line's values."""
    customer = visible_customers(user).filter(customer_no=customer_no).first()
    if customer is None:
        raise NotFound(f"customer {customer_no} not found")
    enterprise = customer.kind == CustomerKind.ENTERPRISE
    history = _enterprise_history(customer) if enterprise else _individual_history(customer)
    panel = ValuePanel(customer=customer, current=history[-1] if history else None, history=history,
                       chart=_chart(history))
    if panel.current is None:
        return panel
    month = panel.current.month
    if enterprise:
        latest = EnterpriseValue.objects.filter(customer=customer, month=month).first()
        if latest is not None:
            panel.tier, panel.stars, panel.rule_version = latest.grade, latest.stars, latest.rule_version
            panel.tier_label = latest.grade
    else:
        values = list(LineValue.objects.filter(customer=customer, month=month)
                      .select_related("subscription").order_by("-revenue", "id"))
        labels = dict(Segment.choices)
        panel.lines = [
            LineRow(msisdn_masked=mask_phone(v.subscription.msisdn), segment=v.segment,
                    segment_label=str(labels.get(v.segment, v.segment)), revenue=v.revenue,
                    margin=v.margin, lifetime_value=v.lifetime_value,
                    expected_lifetime_months=v.expected_lifetime_months)
            for v in values[:LINES_SHOWN]
        ]
        if values:
            best = min(values, key=lambda v: _SEGMENT_RANK.get(v.segment, 9))
            panel.tier, panel.rule_version = best.segment, best.rule_version
            panel.tier_label = str(labels.get(best.segment, best.segment))
    changes = TierChange.objects.filter(customer=customer).select_related("subscription")[:TIER_CHANGES_SHOWN]
    panel.tier_changes = [
        TierChangeRow(month=t.month, previous=t.previous, tier=t.tier, rule_version=t.rule_version,
                      line_masked=mask_phone(t.subscription.msisdn) if t.subscription else "")
        for t in changes
    ]
    return panel


# --- the manager's figures ---------------------------------------------------------------


def latest_value_month() -> dt.date | None:
    """The newest month the nightly run wrote values for (lines or enterprises)."""
    months = [LineValue.objects.aggregate(m=Max("month"))["m"],
              EnterpriseValue.objects.aggregate(m=Max("month"))["m"]]
    present = [m for m in months if m is not None]
    return max(present) if present else None


@dataclass(frozen=True)
class TierCount:
    tier: str
    label: str
    count: int
    revenue: Decimal
    margin: Decimal
    lifetime_value: Decimal


@dataclass(frozen=True)
class Pyramid:
    """Counts and value per grade (1A at the top) and per segment (VIP at the top)."""

    month: dt.date | None
    grades: list[TierCount]
    segments: list[TierCount]


def tier_pyramid(*, month: dt.date | None = None) -> Pyramid:
    """Two GROUP BYs on the (month, grade) and (month, segment) indexes. Every grade and
    segment is listed, with zeros where the month has none, so the pyramid keeps its shape."""
    month = month or latest_value_month()
    if month is None:
        return Pyramid(month=None, grades=[], segments=[])
    sums = {"n": Count("id"), "revenue": Sum("revenue"), "margin": Sum("margin"), "ltv": Sum("lifetime_value")}
    by_grade = {r["grade"]: r for r in EnterpriseValue.objects.filter(month=month).values("grade").annotate(**sums)}
    by_segment = {r["segment"]: r for r in LineValue.objects.filter(month=month).values("segment").annotate(**sums)}

    def counted(rows: dict, key: str, label: str) -> TierCount:
        r = rows.get(key, {})
        return TierCount(tier=key, label=label, count=r.get("n", 0), revenue=r.get("revenue") or _ZERO,
                         margin=r.get("margin") or _ZERO, lifetime_value=r.get("ltv") or _ZERO)

    return Pyramid(
        month=month,
        grades=[counted(by_grade, g, str(label)) for g, label in Grade.choices],
        segments=[counted(by_segment, s, str(label)) for s, label in Segment.choices],
    )


def value_chart(pyramid: Pyramid) -> dict:
    """Monthly revenue and margin of each segment and grade, as a bar chart spec."""
    tiers = [*pyramid.segments, *pyramid.grades]
    return {
        "type": "bar", "yTitle": _("CNY per month"), "labels": [t.label for t in tiers],
        "series": [
            {"label": _("Revenue"), "data": [float(t.revenue) for t in tiers]},
            {"label": _("Margin"), "data": [float(t.margin) for t in tiers]},
        ],
    }


def tier_choices() -> list[tuple[str, str]]:
    """Segments and grades for the loss-equivalence picker (``services.loss_equivalence``)."""
    return [*((s, str(label)) for s, label in Segment.choices), *((g, str(g)) for g in Grade.values)]


def rule_versions(kind: str) -> list[RuleSet]:
    """Every stored version of a rule kind, newest (the one that applies) first."""
    return list(RuleSet.objects.filter(kind=kind).select_related("created_by").order_by("-created_at", "-id"))
