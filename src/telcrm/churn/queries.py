"""Read side of the churn screens: a customer's risk with its reasons and history on the
360 page, and the manager's figures (risk distribution, model quality over time, warnings
handled).

A risk is shown with the reasons behind it (issue 3: "Each warning names its reasons and
the figures behind them"): the model's own top feature contributions and the warning rules
that fired with their figures. Phone numbers leave this module masked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Avg, Count, Max, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from telcrm.churn.inbox import rule_labels, scoped_warnings
from telcrm.churn.models import FollowUp, FollowUpOutcome, LineRisk, ModelCheck, WarningStatus
from telcrm.core.errors import NotFound
from telcrm.core.masking import mask_phone, mask_text
from telcrm.customers.models import Customer
from telcrm.customers.policy import visible_customers

HISTORY_MONTHS = 24
LINES_SHOWN = 10
HISTOGRAM_BINS = 10


#: The model's features (``analytics.churn_dataset.FEATURES``) as the account manager
#: reads them; a name made of a measure and a statistic is labelled from its two parts.
_FEATURES = {
    "payment_type": gettext_lazy("payment type"), "brand": gettext_lazy("brand"), "region": gettext_lazy("region"),
    "tenure_months": gettext_lazy("months in service"),
    "months_to_contract_end": gettext_lazy("months to contract end"),
    "bill_months_12m": gettext_lazy("billed months, last 12"),
    "bill_months_prev6": gettext_lazy("billed months, previous 6"),
    "usage_months_12m": gettext_lazy("months with usage, last 12"),
    "spend_volatility_12m": gettext_lazy("spend volatility, 12 months"),
    "competitor_share_3m": gettext_lazy("competitor-call share, last 3 months"),
    "competitor_share_prev6": gettext_lazy("competitor-call share, previous 6 months"),
    "competitor_share_change": gettext_lazy("rise of the competitor-call share"),
}
_MEASURES = {
    "spend": gettext_lazy("spend"), "plan_fee": gettext_lazy("plan fee"), "voice": gettext_lazy("voice charges"),
    "data": gettext_lazy("data charges"), "sms": gettext_lazy("SMS charges"),
    "vas": gettext_lazy("value-added charges"), "roaming": gettext_lazy("roaming charges"),
    "voice_minutes": gettext_lazy("voice minutes"), "data_mb": gettext_lazy("data (MB)"),
    "sms_count": gettext_lazy("SMS sent"),
}
_STATISTICS = {
    "mean_3m": gettext_lazy("mean of the last 3 months"), "mean_6m": gettext_lazy("mean of the last 6 months"),
    "mean_12m": gettext_lazy("mean of the last 12 months"),
    "mean_prev6": gettext_lazy("mean of the previous 6 months"),
    "ratio_3v6": gettext_lazy("last 3 months against the previous 6"),
    "slope_6m": gettext_lazy("trend over 6 months"), "slope_12m": gettext_lazy("trend over 12 months"),
}


def feature_label(name: str) -> str:
    """A model feature's name in the user's language, or the name itself if unknown."""
    if name in _FEATURES:
        return str(_FEATURES[name])
    for statistic, label in _STATISTICS.items():
        measure = name.removesuffix(f"_{statistic}")
        if measure != name and measure in _MEASURES:
            return f"{_MEASURES[measure]}, {label}"
    return name


@dataclass(frozen=True)
class Reason:
    feature: str
    value: object
    contribution: float

    @property
    def label(self) -> str:
        return feature_label(self.feature)

    @property
    def value_text(self) -> str:
        return f"{self.value:.2f}".rstrip("0").rstrip(".") if isinstance(self.value, float) else str(self.value)


@dataclass(frozen=True)
class LineRiskRow:
    msisdn_masked: str
    probability: float | None
    expected_loss: Decimal
    model_reasons: list[Reason]
    rules: list[str]
    figures: list[str]


@dataclass(frozen=True)
class RiskMonth:
    month: dt.date
    max_probability: float | None
    mean_probability: float | None
    expected_loss: Decimal
    warned_lines: int


@dataclass
class RiskPanel:
    customer: Customer
    month: dt.date | None
    lines: list[LineRiskRow] = field(default_factory=list)
    history: list[RiskMonth] = field(default_factory=list)
    chart: dict = field(default_factory=dict)

    @property
    def top(self) -> LineRiskRow | None:
        return self.lines[0] if self.lines else None

    @property
    def has_scores(self) -> bool:
        return any(h.max_probability is not None for h in self.history)


def _reasons(raw: object) -> list[Reason]:
    """The model's reason codes, tolerant of an empty or malformed list."""
    if not isinstance(raw, list):
        return []
    return [Reason(feature=str(r.get("feature", "")), value=r.get("value"),
                   contribution=float(r.get("contribution") or 0.0))
            for r in raw if isinstance(r, dict)]


def _row(risk: LineRisk) -> LineRiskRow:
    return LineRiskRow(
        msisdn_masked=mask_phone(risk.subscription.msisdn), probability=risk.probability,
        expected_loss=risk.expected_loss, model_reasons=_reasons(risk.reasons),
        rules=rule_labels(risk.warning_rules),
        figures=[mask_text(p) for p in risk.warning_details.split("; ") if p],
    )


def _percent(probability: float | None) -> float | None:
    """A month without model scores (warning rules only) is a gap in the chart, not 0%."""
    return None if probability is None else round(100 * probability, 1)


def risk_panel(user: User, customer_no: str) -> RiskPanel:
    """The customer's riskiest lines of its newest scored month and its monthly history,
    in three indexed queries (``NotFound`` outside the user's scope)."""
    customer = visible_customers(user).filter(customer_no=customer_no).first()
    if customer is None:
        raise NotFound(f"customer {customer_no} not found")
    monthly = list(
        LineRisk.objects.filter(customer=customer).values("month")
        .annotate(top=Max("probability"), mean=Avg("probability"), loss=Sum("expected_loss"),
                  warned=Count("id", filter=~Q(warning_rules="")))
        .order_by("-month")[:HISTORY_MONTHS]
    )
    monthly.reverse()
    history = [RiskMonth(month=r["month"], max_probability=r["top"], mean_probability=r["mean"],
                         expected_loss=r["loss"] or Decimal("0"), warned_lines=r["warned"]) for r in monthly]
    panel = RiskPanel(customer=customer, month=history[-1].month if history else None, history=history)
    panel.chart = {
        "type": "line", "yTitle": _("churn probability, percent"),
        "labels": [f"{h.month:%Y-%m}" for h in history],
        "series": [
            {"label": _("Highest line"), "data": [_percent(h.max_probability) for h in history]},
            {"label": _("Mean of lines"), "data": [_percent(h.mean_probability) for h in history]},
        ],
    }
    if panel.month is not None:
        # A line with neither a score nor a rule fired has nothing to say.
        risks = (LineRisk.objects.filter(customer=customer, month=panel.month)
                 .exclude(probability=None, warning_rules="").select_related("subscription")
                 .order_by("-expected_loss", "-probability", "id")[:LINES_SHOWN])
        panel.lines = [_row(r) for r in risks]
    return panel


# --- the manager's figures ---------------------------------------------------------------


def latest_risk_month() -> dt.date | None:
    return LineRisk.objects.aggregate(m=Max("month"))["m"]


def risk_histogram(*, month: dt.date | None = None) -> dict:
    """Lines per tenth of churn probability in one aggregate query (the last bin holds 1.0),
    as a bar chart spec."""
    month = month or latest_risk_month()
    counts = {}
    if month is not None:
        bins = {}
        for i in range(HISTOGRAM_BINS):
            low, high = i / HISTOGRAM_BINS, (i + 1) / HISTOGRAM_BINS
            upper = Q(probability__lte=high) if i == HISTOGRAM_BINS - 1 else Q(probability__lt=high)
            bins[f"b{i}"] = Count("id", filter=Q(probability__gte=low) & upper)
        counts = LineRisk.objects.filter(month=month).aggregate(**bins)
    return {
        "type": "bar", "yTitle": _("lines"), "month": f"{month:%Y-%m}" if month else "",
        "labels": [f"{10 * i}-{10 * (i + 1)}%" for i in range(HISTOGRAM_BINS)],
        "series": [{"label": _("Lines"), "data": [counts.get(f"b{i}", 0) for i in range(HISTOGRAM_BINS)]}],
    }


@dataclass(frozen=True)
class QualityPoint:
    month: dt.date
    model_version: str
    roc_auc: float | None
    pr_auc: float | None
    lift: float | None


def model_quality() -> list[QualityPoint]:
    """The backtests of every model version, month by month: how well the scores ranked
    the lines that then left, measured once the outcomes were known."""
    checks = ModelCheck.objects.filter(kind="backtest").select_related("model").order_by("month", "model_id")
    return [
        QualityPoint(month=c.month, model_version=c.model.version, roc_auc=c.metrics.get("roc_auc"),
                     pr_auc=c.metrics.get("pr_auc"), lift=c.metrics.get("top_decile_lift"))
        for c in checks
    ]


def quality_chart(points: list[QualityPoint]) -> dict:
    return {
        "type": "line", "yTitle": _("ROC AUC"), "y2Title": _("top-decile lift"),
        "labels": [f"{p.month:%Y-%m} {p.model_version}" for p in points],
        "series": [
            {"label": _("ROC AUC"), "data": [p.roc_auc for p in points]},
            {"label": _("Top-decile lift"), "data": [p.lift for p in points], "axis": "y2"},
        ],
    }


@dataclass(frozen=True)
class Handled:
    """Warnings of a month in the user's scope and what was done about them."""

    month: dt.date | None
    warned: int
    assigned: int
    done: int
    retained: int


def warnings_handled(user: User, *, month: dt.date | None = None) -> Handled:
    warnings = scoped_warnings(user)
    month = month or warnings.aggregate(m=Max("month"))["m"]
    if month is None:
        return Handled(month=None, warned=0, assigned=0, done=0, retained=0)
    counts = warnings.filter(month=month).aggregate(
        warned=Count("id"), assigned=Count("id", filter=Q(status=WarningStatus.ASSIGNED)),
        done=Count("id", filter=Q(status=WarningStatus.DONE)))
    retained = FollowUp.objects.filter(warning__in=warnings.filter(month=month),
                                       outcome=FollowUpOutcome.RETAINED).values("warning").distinct().count()
    return Handled(month=month, retained=retained, **counts)
