"""Value queries over the nightly run's results: loss equivalence between two groups of
customers (domain.md section 2: one big customer lost takes about 79 commercial or 338
residential customers to replace in revenue), for the manager's dashboard.

A group is a value segment of individual customers' lines (``vip``, ``growth``, ``mass``),
an enterprise grade (``1A`` to ``5A``), or every individual (``individual``) or every
enterprise (``enterprise``). A customer counts once in a group however many of its lines
fall in it, so the means are per customer, as in the source's figures. Only customers the
actor may see count (``customers.policy.visible_customers``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from telcrm.core.errors import ValidationFailed
from telcrm.customers.models import CustomerKind
from telcrm.customers.policy import visible_customers
from telcrm.stats.loss import GroupTotals, LossEquivalence
from telcrm.stats.loss import loss_equivalence as equivalence
from telcrm.value.models import EnterpriseValue, Grade, LineValue, Segment

INDIVIDUAL, ENTERPRISE = "individual", "enterprise"
GROUPS = (*Segment.values, *Grade.values, INDIVIDUAL, ENTERPRISE)


def _month_range(month: dt.date) -> tuple[dt.date, dt.date]:
    """The nightly run's rows of ``month``, whichever day of it they are dated."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=1), month.replace(day=last)


def _rows(actor: User, group: str, month: dt.date) -> QuerySet:
    visible = visible_customers(actor).values("pk")
    in_month = {"month__range": _month_range(month), "customer__in": visible}
    if group in Grade.values or group == ENTERPRISE:
        graded = EnterpriseValue.objects.filter(**in_month)
        return graded if group == ENTERPRISE else graded.filter(grade=group)
    lines = LineValue.objects.filter(customer__kind=CustomerKind.INDIVIDUAL, **in_month)
    return lines if group == INDIVIDUAL else lines.filter(segment=group)


def group_totals(actor: User, *, month: dt.date, group: str) -> GroupTotals:
    """Customers of ``group`` in ``month`` that ``actor`` may see, with their summed monthly
    revenue and margin."""
    if group not in GROUPS:
        raise ValidationFailed(f"group: {group!r} is not one of {', '.join(GROUPS)}")
    totals = _rows(actor, group, month).aggregate(
        customers=Count("customer", distinct=True), revenue=Sum("revenue"), margin=Sum("margin")
    )
    return GroupTotals(
        name=group,
        customers=totals["customers"],
        revenue=float(totals["revenue"] or 0),
        margin=float(totals["margin"] or 0),
    )


def loss_equivalence(actor: User, *, month: dt.date, a: str, b: str) -> LossEquivalence:
    """How many customers of group ``a`` replace the monthly revenue and margin of one
    customer of group ``b`` in ``month`` (e.g. ``a="mass"``, ``b="1A"``)."""
    return equivalence(group_totals(actor, month=month, group=a), group_totals(actor, month=month, group=b))


#: Stars an individual customer is served at, by its best line's value segment. Enterprise
#: grades carry their own stars (``GradeRules.stars``: 1A 5 stars ... 5A 1 star); a VIP
#: individual is served like a 3A enterprise, the mass base at one star (domain.md section
#: 2: "the higher the value, the higher the service level, at no extra charge").
SEGMENT_STARS = {Segment.VIP: 3, Segment.GROWTH: 2, Segment.MASS: 1}
#: The service level of a customer the nightly run has not graded yet.
DEFAULT_STARS = 1


@dataclass(frozen=True)
class ServiceLevel:
    """A customer's star service level (1 to 5) and the tier it comes from, as the tickets
    and care apps read it: ``tier`` is a grade (``1A``..``5A``), a segment (``vip``,
    ``growth``, ``mass``) or empty when no nightly result exists; ``month`` is the nightly
    month it was read from."""

    stars: int
    tier: str
    month: dt.date | None


#: Customers looked up per query by ``service_levels`` (well under SQLite's variable limit).
LEVELS_CHUNK = 2000
_UNGRADED = ServiceLevel(stars=DEFAULT_STARS, tier="", month=None)


def service_level(*, customer_id: int) -> ServiceLevel:
    """The newest nightly tier of a customer and the stars it is served at. No actor: the
    level decides how fast a ticket must be handled, whoever opens it, and reveals nothing
    about the customer but a star count."""
    return service_levels(customer_ids=[customer_id])[customer_id]


def service_levels(*, customer_ids: Iterable[int]) -> dict[int, ServiceLevel]:
    """``service_level`` of many customers in two queries per chunk, for the care runs that
    weigh every customer in arrears or in an audience."""
    ids = list(dict.fromkeys(customer_ids))
    levels = dict.fromkeys(ids, _UNGRADED)
    rank = {s: i for i, s in enumerate((Segment.VIP, Segment.GROWTH, Segment.MASS))}
    for start in range(0, len(ids), LEVELS_CHUNK):
        chunk = ids[start:start + LEVELS_CHUNK]
        graded = (EnterpriseValue.objects.filter(customer_id__in=chunk)
                  .order_by("customer_id", "-month").values_list("customer_id", "grade", "stars", "month"))
        for cid, grade, stars, month in graded:
            if levels[cid] is _UNGRADED:
                levels[cid] = ServiceLevel(stars=stars, tier=grade, month=month)
        newest = LineValue.objects.filter(customer_id=OuterRef("customer_id")).order_by("-month").values("month")[:1]
        lines = (LineValue.objects.filter(customer_id__in=[c for c in chunk if levels[c] is _UNGRADED],
                                          month=Subquery(newest))
                 .values_list("customer_id", "segment", "month"))
        best: dict[int, tuple[Segment, dt.date]] = {}
        for cid, segment, month in lines:
            seg = Segment(segment)
            if cid not in best or rank[seg] < rank[best[cid][0]]:
                best[cid] = (seg, month)
        for cid, (seg, month) in best.items():
            levels[cid] = ServiceLevel(stars=SEGMENT_STARS[seg], tier=seg.value, month=month)
    return levels
