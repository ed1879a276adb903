"""What a campaign did, against its control group (issue 4, "Measuring effect"), and the
programme measures of the sources (domain.md section 4: awareness, participation,
coverage and satisfaction of the target customers, and the cost of the resources spent
against the value gained, so that programmes are kept, improved or dropped).

The control group was drawn at random before any send (care/services.py), so the
difference between the groups is the campaign's effect; stats/tests.py gives its
confidence interval and p-value. Retention is measured only at horizons already past.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from telcrm.billing.models import BillSummary, Payment
from telcrm.care.choices import CallStatus, Group, OutboxStatus, ResponseKind
from telcrm.care.models import Campaign, CampaignMember, CampaignResponse, ProgrammeFeedback, VoucherCode
from telcrm.customers.models import Interaction, InteractionTopic, PaymentType, Subscription, SubscriptionStatus
from telcrm.stats.tests import Comparison, difference_of_means, two_proportions

RETENTION_DAYS = (30, 60, 90)
#: Top-ups and plan changes within this many days of the draw count as responses.
RESPONSE_DAYS = 30
SPEND_MONTHS = 3
#: Fewer members than this in either group and no verdict is given: too early to tell.
MIN_GROUP = 30
_CONTACTED = (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.UNCERTAIN)
_CHUNK = 5000


@dataclass(frozen=True)
class Programme:
    """The sources' programme measures over the target group (the treated members)."""

    target: int
    contacted: int
    responders: int
    surveyed: int
    coverage: float | None
    participation: float | None
    awareness: float | None
    satisfaction: float | None


@dataclass(frozen=True)
class Effect:
    treatment: int
    control: int
    response: Comparison | None
    by_kind: dict[str, Comparison] = field(default_factory=dict)
    retention: dict[int, Comparison] = field(default_factory=dict)
    spend: Comparison | None = None
    programme: Programme | None = None
    cost: Decimal = Decimal("0")
    value: Decimal = Decimal("0")
    roi: float | None = None
    verdict: str = ""


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _retained(customer_ids: list[int], day: dt.date) -> set[int]:
    """Customers with a line open at the end of ``day``."""
    kept: set[int] = set()
    for chunk in _chunks(customer_ids):
        rows = (Subscription.objects.filter(customer_id__in=chunk, activated_on__lte=day)
                .filter(~Q(status=SubscriptionStatus.CLOSED) | Q(status_date__gt=day))
                .values_list("customer_id", flat=True).distinct())
        kept.update(rows)
    return kept


def _observed(customer_ids: list[int], start: dt.datetime) -> dict[str, set[int]]:
    """Responses the customers' own records show, in treatment and control alike: a top-up
    (a payment on a prepaid line's account) and a plan change (the interaction recording
    it) within ``RESPONSE_DAYS`` of the draw."""
    end = start + dt.timedelta(days=RESPONSE_DAYS)
    found: dict[str, set[int]] = {ResponseKind.TOP_UP: set(), ResponseKind.PLAN_CHANGE: set()}
    for chunk in _chunks(customer_ids):
        top_ups = Payment.objects.filter(account__customer_id__in=chunk, paid_at__gte=start, paid_at__lt=end,
                                         account__subscriptions__payment_type=PaymentType.PREPAID)
        found[ResponseKind.TOP_UP].update(top_ups.values_list("account__customer_id", flat=True))
        changes = Interaction.objects.filter(customer_id__in=chunk, topic=InteractionTopic.PLAN_CHANGE,
                                             occurred_at__gte=start, occurred_at__lt=end)
        found[ResponseKind.PLAN_CHANGE].update(changes.values_list("customer_id", flat=True))
    return found


def _month_start(day: dt.date, shift: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + shift
    return dt.date(index // 12, index % 12 + 1, 1)


def _spend_change(groups: dict[str, list[int]], start: dt.date, today: dt.date) -> Comparison | None:
    """Mean monthly bill in the months after the start against the months before, per
    member, compared between the groups; None until a whole month after it has passed."""
    after_end = min(_month_start(start, 1 + SPEND_MONTHS), _month_start(today, 0))
    after_start = _month_start(start, 1)
    if after_end <= after_start:
        return None
    before_start, before_end = _month_start(start, -SPEND_MONTHS), _month_start(start, 0)
    changes: dict[str, list[float]] = {}
    for group, ids in groups.items():
        sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for chunk in _chunks(ids):
            for period, low, high in (("before", before_start, before_end), ("after", after_start, after_end)):
                rows = (BillSummary.objects.filter(subscription__customer_id__in=chunk, month__gte=low, month__lt=high)
                        .values("subscription__customer_id").annotate(total=Sum("total"), months=Count("month",
                                                                                                      distinct=True)))
                for row in rows:
                    sums[row["subscription__customer_id"]][period] = row["total"] / row["months"]
        changes[group] = [float(s["after"] - s["before"]) for s in sums.values() if "after" in s and "before" in s]
    t, c = changes.get(Group.TREATMENT, []), changes.get(Group.CONTROL, [])
    if len(t) < 2 or len(c) < 2:
        return None
    return difference_of_means(statistics.fmean(t), statistics.stdev(t), len(t),
                               statistics.fmean(c), statistics.stdev(c), len(c))


def _programme(campaign: Campaign, treated: list[int], responders: set[int]) -> Programme:
    contacted = set(campaign.messages.filter(status__in=_CONTACTED).values_list("customer_id", flat=True))
    contacted |= set(campaign.call_tasks.filter(status=CallStatus.DONE).values_list("customer_id", flat=True))
    treated_set = set(treated)
    feedback = ProgrammeFeedback.objects.filter(campaign=campaign, customer_id__in=treated).aggregate(
        surveyed=Count("id"), aware=Count("id", filter=Q(aware=True)), satisfaction=Avg("satisfaction"))
    return Programme(
        target=len(treated), contacted=len(contacted & treated_set), responders=len(responders & treated_set),
        surveyed=feedback["surveyed"], coverage=_share(len(contacted & treated_set), len(treated)),
        participation=_share(len(responders & treated_set), len(treated)),
        awareness=_share(feedback["aware"], feedback["surveyed"]),
        satisfaction=float(feedback["satisfaction"]) if feedback["satisfaction"] is not None else None,
    )


def _verdict(effect: Effect) -> str:
    """Keep a programme that works and pays, drop one that neither works nor pays,
    improve the rest; no verdict while a group is too small to tell."""
    response = effect.response
    if response is None or effect.treatment < MIN_GROUP or effect.control < MIN_GROUP:
        return ""
    works = response.significant and response.difference > 0
    pays = effect.roi is None or effect.roi >= 0
    if works and pays:
        return "keep"
    if not works and not pays:
        return "drop"
    return "improve"


def campaign_effect(campaign: Campaign, *, today: dt.date | None = None) -> Effect | None:
    """The campaign's effect so far, or None before its members were drawn."""
    if campaign.drawn_at is None:
        return None
    today = today or timezone.localdate()
    groups: dict[str, list[int]] = {Group.TREATMENT: [], Group.CONTROL: []}
    for cid, group in CampaignMember.objects.filter(campaign=campaign).values_list("customer_id", "group"):
        groups[group].append(cid)
    treated, control = groups[Group.TREATMENT], groups[Group.CONTROL]
    responses = CampaignResponse.objects.filter(campaign=campaign, at__gte=campaign.drawn_at)
    by_kind_ids: dict[str, set[int]] = defaultdict(set)
    for cid, kind in responses.values_list("customer_id", "kind"):
        by_kind_ids[kind].add(cid)
    for kind, ids in _observed(treated + control, campaign.drawn_at).items():
        by_kind_ids[kind].update(ids)
    responders = set().union(*by_kind_ids.values()) if by_kind_ids else set()

    treated_set, control_set = set(treated), set(control)

    def compare(ids: set[int]) -> Comparison:
        return two_proportions(len(ids & treated_set), len(treated), len(ids & control_set), len(control))

    start = timezone.localtime(campaign.drawn_at).date()
    retention = {}
    for days in RETENTION_DAYS:
        horizon = start + dt.timedelta(days=days)
        if horizon <= today:
            retention[days] = compare(_retained(treated + control, horizon))
    response = compare(responders)
    spend = _spend_change(groups, start, today)
    vouchers = VoucherCode.objects.filter(campaign=campaign, issued_to__isnull=False).count()
    programme = _programme(campaign, treated, responders)
    unit_cost = product.unit_cost if (product := campaign.product) else Decimal("0")
    cost = campaign.cost_per_contact * programme.contacted + unit_cost * vouchers
    uplift = 0.0 if math.isnan(response.difference) else response.difference
    gained = Decimal(str(round(uplift * len(treated), 4))) * campaign.value_per_response
    if spend is not None:
        gained += Decimal(str(round(spend.difference * len(treated) * SPEND_MONTHS, 2)))
    effect = Effect(
        treatment=len(treated), control=len(control), response=response,
        by_kind={kind: compare(by_kind_ids.get(kind, set())) for kind in ResponseKind.values},
        retention=retention, spend=spend, programme=programme, cost=cost.quantize(Decimal("0.01")),
        value=gained.quantize(Decimal("0.01")), roi=float((gained - cost) / cost) if cost else None,
    )
    return Effect(**{**effect.__dict__, "verdict": _verdict(effect)})


@dataclass(frozen=True)
class ProgrammeRow:
    campaign: Campaign
    effect: Effect


def compare_programmes(*, today: dt.date | None = None) -> list[ProgrammeRow]:
    """Every campaign that has drawn its members, newest first, with its effect and verdict."""
    campaigns = Campaign.objects.filter(drawn_at__isnull=False).select_related("product").order_by("-drawn_at")
    rows = []
    for campaign in campaigns:
        effect = campaign_effect(campaign, today=today)
        if effect is not None:
            rows.append(ProgrammeRow(campaign=campaign, effect=effect))
    return rows
