"""Value tiers as data and pure Ibis expressions (domain.md section 2).

Individual subscribers fall into three value segments after Unicom's CLV view of spend and
tenure: **VIP** (high value now), **growth** (low value now, high potential: young lines
already spending above the median, or lines whose spend is rising) and **mass** (the
"maintain" base). Enterprise customers are graded **1A-5A** by their total monthly revenue
over lines and circuits, and each grade maps to a **star** service level (1A -> 5 stars,
5A -> 1 star): the higher the value, the higher the service level, at no extra charge.
"""

from __future__ import annotations

import dataclasses

import ibis

from telcrm.analytics.months import month_end
from telcrm.analytics.rules import VersionedRules

SEGMENTS = ("vip", "growth", "mass")
GRADES = ("1A", "2A", "3A", "4A", "5A")


@dataclasses.dataclass(frozen=True)
class SegmentRules(VersionedRules):
    """Thresholds for individual value segments; percentiles rank the 6-month mean spend
    within the population scored together (ties share a rank)."""

    version: str = "segments-1"
    vip_percentile: float = 0.90
    vip_min_spend: float = 300.0
    vip_min_tenure_months: int = 12
    growth_percentile: float = 0.50
    growth_max_tenure_months: int = 12
    growth_trend_ratio: float = 1.20

    def __post_init__(self) -> None:
        if not 0 <= self.growth_percentile <= self.vip_percentile <= 1:
            raise ValueError("percentiles must satisfy 0 <= growth <= vip <= 1")
        if self.vip_min_spend < 0 or self.vip_min_tenure_months < 0 or self.growth_max_tenure_months < 0:
            raise ValueError("spend and tenure thresholds must not be negative")


@dataclasses.dataclass(frozen=True)
class GradeRules(VersionedRules):
    """Monthly revenue floors (yuan) for grades 1A to 4A, highest first (5A is everything
    below 4A's floor), and the stars each grade 1A..5A is served at."""

    version: str = "grades-1"
    floors: tuple[float, ...] = (200_000.0, 50_000.0, 10_000.0, 2_000.0)
    stars: tuple[int, ...] = (5, 4, 3, 2, 1)

    def __post_init__(self) -> None:
        descending = all(a > b for a, b in zip(self.floors, self.floors[1:], strict=False))
        if len(self.floors) != len(GRADES) - 1 or not descending:
            raise ValueError("floors must be four strictly decreasing revenues, for 1A to 4A")
        if len(self.stars) != len(GRADES) or any(not 1 <= s <= 5 for s in self.stars):
            raise ValueError("stars must give 1 to 5 stars for each of 1A to 5A")
        if any(a < b for a, b in zip(self.stars, self.stars[1:], strict=False)):
            raise ValueError("a higher grade may not get fewer stars than a lower one")


def individual_segments(features: ibis.Table, rules: SegmentRules | None = None) -> ibis.Table:
    """Segment of each line in ``features`` (``subscriber_features`` output, filtered to the
    population to rank together, e.g. individual customers' open lines)."""
    rules = rules or SegmentRules()
    spend = features.spend_mean_6m.fill_null(0.0)
    ranked = features.mutate(spend_6m=spend, spend_percentile=ibis.percent_rank().over(order_by=spend))
    tenure, percentile = ranked.tenure_months, ranked.spend_percentile
    vip = (tenure >= rules.vip_min_tenure_months) & (
        (percentile >= rules.vip_percentile) | (ranked.spend_6m >= rules.vip_min_spend)
    )
    young_spender = (tenure < rules.growth_max_tenure_months) & (percentile >= rules.growth_percentile)
    rising = (ranked.spend_ratio_3v6 >= rules.growth_trend_ratio).fill_null(False)
    return ranked.select(
        "msisdn",
        "customer_no",
        "spend_6m",
        "spend_percentile",
        segment=ibis.cases((vip, "vip"), (young_spender | rising, "growth"), else_="mass"),
        segment_rule_version=ibis.literal(rules.version),
    )


def enterprise_revenue(
    features: ibis.Table, enterprises: ibis.Table, circuits: ibis.Table, *, as_of: str
) -> ibis.Table:
    """An enterprise's monthly revenue: the 3-month mean bill of each of its lines plus the
    monthly fee of each circuit (专线) in service at the end of ``as_of``."""
    lines = features.group_by("customer_no").aggregate(
        lines=features.msisdn.count(), lines_revenue=features.spend_mean_3m.fill_null(0.0).sum()
    )
    live = circuits.filter((circuits.activated_on <= month_end(as_of)) & (circuits.status != "closed"))
    fees = live.group_by("customer_no").aggregate(
        circuits=live.service_no.count(), circuits_revenue=live.monthly_fee.cast("float64").sum()
    )
    joined = (
        enterprises.select("customer_no")
        .left_join(lines, "customer_no")
        .drop("customer_no_right")
        .left_join(fees, "customer_no")
        .drop("customer_no_right")
    )
    lines_revenue, circuits_revenue = joined.lines_revenue.fill_null(0.0), joined.circuits_revenue.fill_null(0.0)
    return joined.select(
        "customer_no",
        lines=joined.lines.fill_null(0),
        circuits=joined.circuits.fill_null(0),
        lines_revenue=lines_revenue,
        circuits_revenue=circuits_revenue,
        monthly_revenue=lines_revenue + circuits_revenue,
    )


def enterprise_grades(revenue: ibis.Table, rules: GradeRules | None = None) -> ibis.Table:
    """Grade and stars of each enterprise in ``enterprise_revenue`` output."""
    rules = rules or GradeRules()
    amount = revenue.monthly_revenue
    grade = ibis.cases(
        *((amount >= floor, name) for name, floor in zip(GRADES[:-1], rules.floors, strict=True)), else_=GRADES[-1]
    )
    graded = revenue.mutate(grade=grade)
    return graded.mutate(
        stars=ibis.cases(*((graded.grade == name, stars) for name, stars in zip(GRADES, rules.stars, strict=True))),
        grade_rule_version=ibis.literal(rules.version),
    )
