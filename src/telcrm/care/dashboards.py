"""What the care screens count and show: a campaign's members, sends, deliveries and
suppressions by reason, its vouchers and cost so far (issue 4, "the campaign page shows
sends, deliveries, suppressions by reason"), and its effect against control laid out as
rows and a chart. Read-only; the effect itself is measured by care/effects.py, the rules
of sending are the outbox's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q
from django.utils.translation import gettext_lazy as _

from telcrm.care.effects import Effect, ProgrammeRow
from telcrm.care.models import (
    Campaign,
    CampaignMember,
    CampaignStatus,
    Group,
    OutboxMessage,
    OutboxStatus,
    ResponseKind,
    Suppression,
    SuppressionReason,
    Trigger,
    VoucherCode,
)
from telcrm.care.preferences import masked_address
from telcrm.stats.tests import Comparison

#: Outbox states that mean the channel took the message (the peer has it).
_SENT = (OutboxStatus.SENT, OutboxStatus.DELIVERED)


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    count: int


@dataclass
class CampaignFigures:
    treatment: int = 0
    control: int = 0
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    uncertain: int = 0
    suppressed: int = 0
    by_channel: list[Share] = field(default_factory=list)
    by_reason: list[Share] = field(default_factory=list)
    vouchers_issued: int = 0
    vouchers_redeemed: int = 0
    cost: Decimal = Decimal("0")

    @property
    def members(self) -> int:
        return self.treatment + self.control

    @property
    def delivery_rate(self) -> float | None:
        return self.delivered / self.sent if self.sent else None

    def chart(self) -> dict:
        """The outbox states as a Chart.js bar chart (web/app.js ``buildConfig``)."""
        return {"type": "bar", "labels": [str(label) for label in (
            OutboxStatus.QUEUED.label, OutboxStatus.SENT.label, OutboxStatus.DELIVERED.label,
            OutboxStatus.FAILED.label, OutboxStatus.SUPPRESSED.label)],
            "series": [{"label": str(_("messages")),
                        "data": [self.queued, self.sent, self.delivered, self.failed, self.suppressed]}]}


def _statuses(campaign: Campaign) -> dict[str, int]:
    rows = OutboxMessage.objects.filter(campaign=campaign).values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def campaign_figures(campaign: Campaign) -> CampaignFigures:
    """Members by group, messages by state (sent counts delivered ones too: a delivered
    message was sent first) and suppressions by reason, biggest first."""
    groups = dict(CampaignMember.objects.filter(campaign=campaign).values("group").annotate(n=Count("id"))
                  .values_list("group", "n"))
    statuses = _statuses(campaign)
    reasons = (Suppression.objects.filter(campaign=campaign).values("reason").annotate(n=Count("id"))
               .order_by("-n", "reason"))
    labels = dict(SuppressionReason.choices)
    channels = (OutboxMessage.objects.filter(campaign=campaign, status__in=_SENT).values("channel")
                .annotate(n=Count("id")).order_by("-n", "channel"))
    vouchers = VoucherCode.objects.filter(campaign=campaign).aggregate(
        issued=Count("id", filter=Q(issued_to__isnull=False)),
        redeemed=Count("id", filter=Q(redeemed_at__isnull=False)))
    sent = sum(statuses.get(s, 0) for s in _SENT)
    suppressed = sum(r["n"] for r in reasons)
    return CampaignFigures(
        treatment=groups.get(Group.TREATMENT, 0), control=groups.get(Group.CONTROL, 0),
        queued=statuses.get(OutboxStatus.QUEUED, 0) + statuses.get(OutboxStatus.SENDING, 0), sent=sent,
        delivered=statuses.get(OutboxStatus.DELIVERED, 0), failed=statuses.get(OutboxStatus.FAILED, 0),
        uncertain=statuses.get(OutboxStatus.UNCERTAIN, 0),
        suppressed=suppressed,
        by_channel=[Share(r["channel"], r["channel"], r["n"]) for r in channels],
        by_reason=[Share(r["reason"], str(labels.get(r["reason"], r["reason"])), r["n"]) for r in reasons],
        vouchers_issued=vouchers["issued"], vouchers_redeemed=vouchers["redeemed"],
        cost=campaign.cost_per_contact * sent,
    )


def status_counts(campaigns: Iterable[Campaign]) -> list[Share]:
    """How many campaigns are in each status, for the list's tabs."""
    counts: dict[str, int] = {}
    for c in campaigns:
        counts[c.status] = counts.get(c.status, 0) + 1
    return [Share(s, str(label), counts.get(s, 0)) for s, label in CampaignStatus.choices]


def sent_counts(campaign_ids: list[int]) -> dict[int, int]:
    """Messages the channels took, per campaign, for the campaign list."""
    rows = (OutboxMessage.objects.filter(campaign_id__in=campaign_ids, status__in=_SENT)
            .values("campaign_id").annotate(n=Count("id")))
    return {r["campaign_id"]: r["n"] for r in rows}


@dataclass(frozen=True)
class EffectRow:
    """One measure against control, formatted for the page: rates in percent (the
    difference in percentage points), spend in yuan."""

    key: str
    label: str
    treatment: str
    control: str
    difference: str
    interval: str
    p_value: str
    significant: bool


def _fmt(value: float, unit: str, *, signed: bool = False) -> str:
    if math.isnan(value):
        return "—"
    sign = "+" if signed else ""
    return f"{value * 100:{sign}.1f}%" if unit == "%" else f"¥{value:{sign},.2f}"


def _row(key: str, label: str, c: Comparison, unit: str) -> EffectRow:
    low, high = _fmt(c.ci_low, unit, signed=True), _fmt(c.ci_high, unit, signed=True)
    interval = "—" if math.isnan(c.ci_low) else f"{low} … {high}"
    return EffectRow(key, label, _fmt(c.treatment, unit), _fmt(c.control, unit),
                     _fmt(c.difference, unit, signed=True), interval,
                     "—" if math.isnan(c.p_value) else f"{c.p_value:.4f}", c.significant)


def effect_rows(effect: Effect) -> list[EffectRow]:
    """Response (any, then by kind), retention at the horizons already past, spend change."""
    rows = [_row("response", str(_("response, any kind")), effect.response, "%")] if effect.response else []
    labels = dict(ResponseKind.choices)
    rows += [_row(f"response-{kind}", str(labels[kind]), c, "%") for kind, c in effect.by_kind.items()]
    rows += [_row(f"retention-{days}", str(_("retained after %(days)d days") % {"days": days}), c, "%")
             for days, c in sorted(effect.retention.items())]
    if effect.spend is not None:
        rows.append(_row("spend", str(_("change of monthly spend")), effect.spend, "¥"))
    return rows


def effect_chart(effect: Effect) -> dict:
    """Response rates of treatment and control side by side, in percent."""
    comparisons = [("response", _("any response"), effect.response), *(
        (k, dict(ResponseKind.choices)[k], c) for k, c in effect.by_kind.items())]
    shown = [(str(label), c) for _k, label, c in comparisons if c is not None]

    def pct(v: float) -> float | None:
        return None if math.isnan(v) else round(v * 100, 2)

    return {"type": "bar", "labels": [label for label, _c in shown], "yTitle": "%",
            "series": [{"label": str(Group.TREATMENT.label), "data": [pct(c.treatment) for _l, c in shown]},
                       {"label": str(Group.CONTROL.label), "data": [pct(c.control) for _l, c in shown]}]}


@dataclass(frozen=True)
class ProgrammeLine:
    campaign: Campaign
    effect: Effect
    uplift: str
    p_value: str


def programme_lines(rows: Iterable[ProgrammeRow]) -> list[ProgrammeLine]:
    """The manager's comparison: each programme with its response uplift formatted."""
    out = []
    for r in rows:
        c = r.effect.response
        out.append(ProgrammeLine(r.campaign, r.effect, _fmt(c.difference, "%", signed=True) if c else "—",
                                 "—" if c is None or math.isnan(c.p_value) else f"{c.p_value:.4f}"))
    return out


@dataclass(frozen=True)
class TriggerRow:
    trigger: Trigger
    firings: int
    last_fired: object


def trigger_rows() -> list[TriggerRow]:
    """The configured triggers with how often each fired and when it last did."""
    triggers = Trigger.objects.select_related("template", "product").annotate(
        fired=Count("firings"), last=Max("firings__fired_at")).order_by("kind", "name")
    return [TriggerRow(t, t.fired, t.last) for t in triggers]  # type: ignore[attr-defined]


def home_campaigns(limit: int = 8) -> list[tuple[Campaign, int]]:
    """The newest campaigns with their sends, for the care team's home page."""
    campaigns = list(Campaign.objects.select_related("audience")[:limit])
    sent = sent_counts([c.pk for c in campaigns])
    return [(c, sent.get(c.pk, 0)) for c in campaigns]


def uncertain_messages(campaign: Campaign, limit: int = 50) -> list[tuple[OutboxMessage, str]]:
    """Messages a killed worker left uncertain, for a person to settle, address masked."""
    rows = (OutboxMessage.objects.filter(campaign=campaign, status=OutboxStatus.UNCERTAIN)
            .select_related("customer").order_by("id")[:limit])
    return [(m, masked_address(m.channel, m.to)) for m in rows]
