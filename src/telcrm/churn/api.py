"""Line scores and churn warnings, read: ``/tmf-api/churnManagement/v1/lineScore`` and
``/churnWarning``.

Conventions of the Foundation (TMF630): ``id``/``href``/``@type``, camelCase, ``fields=``,
offset/limit paging with ``X-Total-Count``, the TMF error object, the caller's own scope,
phone numbers masked. A line score is the line's value (segment, revenue, margin, lifetime
value) beside its churn risk (probability, expected value lost, reasons) for a month.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import BaseModel, ConfigDict, Field

from telcrm.api.auth import caller
from telcrm.api.errors import TmfError
from telcrm.api.tmf import Paging, absolute_href, page, selected_fields
from telcrm.churn import inbox
from telcrm.churn.models import LineRisk, Warning
from telcrm.core.errors import NotFound, PermissionDenied
from telcrm.core.masking import mask_phone, mask_text
from telcrm.customers.policy import customer_scope
from telcrm.value.api import CustomerRef, customer_ref, month_start
from telcrm.value.models import LineValue

router = Router(tags=["churn"])
_ERRORS = {400: TmfError, 401: TmfError, 403: TmfError, 404: TmfError, 422: TmfError}
_REFS = ConfigDict(populate_by_name=True)


class ReasonOut(BaseModel):
    feature: str
    value: float | str | None = None
    contribution: float = Field(description="The feature's push on the risk, in log-odds.")


class LineScoreOut(BaseModel):
    """A line's value and churn risk for one month. Attributes left out by ``fields=`` are absent."""

    model_config = _REFS
    id: str = Field(description="Line id and month, e.g. `812-2025-12`.")
    href: str
    type_: str = Field("LineScore", alias="@type")
    month: str | None = None
    customer: CustomerRef | None = None
    phoneNumber: str | None = Field(None, description="Masked, e.g. 138****5678.")
    segment: str | None = Field(None, description="vip, growth or mass.")
    ruleVersion: str | None = None
    revenue: Decimal | None = None
    margin: Decimal | None = None
    additionalValue: Decimal | None = None
    potentialValue: Decimal | None = None
    lifetimeValue: Decimal | None = None
    churnProbability: float | None = None
    expectedLoss: Decimal | None = None
    warningRules: list[str] | None = None
    reasons: list[ReasonOut] | None = None


SCORE_FIELDS = set(LineScoreOut.model_fields) - {"id", "href", "type_"}


class ScoreFilters(Schema):
    month: str | None = Field(None, description="YYYY-MM.")
    customer: str | None = Field(None, description="Customer number.")
    segment: str | None = Field(None, description="vip, growth or mass.")
    fields: str | None = Field(None, description="Comma-separated attributes to return.")

    def apply(self, qs: QuerySet[LineValue]) -> QuerySet[LineValue]:
        if self.month:
            qs = qs.filter(month=month_start(self.month))
        if self.customer:
            qs = qs.filter(customer__customer_no=self.customer)
        if self.segment:
            qs = qs.filter(segment=self.segment)
        return qs


def _reasons(raw: object) -> list[ReasonOut]:
    items = raw if isinstance(raw, list) else []
    return [ReasonOut(feature=str(r.get("feature", "")), value=r.get("value"),
                      contribution=float(r.get("contribution") or 0)) for r in items if isinstance(r, dict)]


def _score(request: HttpRequest, v: LineValue, risk: LineRisk | None, wanted: set[str] | None) -> LineScoreOut:
    key = f"{v.subscription_id}-{v.month:%Y-%m}"
    values = {
        "month": f"{v.month:%Y-%m}", "customer": customer_ref(request, v.customer.customer_no, v.customer.name),
        "phoneNumber": mask_phone(v.subscription.msisdn), "segment": v.segment, "ruleVersion": v.rule_version,
        "revenue": v.revenue, "margin": v.margin, "additionalValue": v.additional_value,
        "potentialValue": v.potential_value, "lifetimeValue": v.lifetime_value,
        "churnProbability": risk.probability if risk else None,
        "expectedLoss": risk.expected_loss if risk else None,
        "warningRules": [c for c in risk.warning_rules.split(",") if c] if risk else None,
        "reasons": _reasons(risk.reasons) if risk else None,
    }
    href = absolute_href(request, reverse("tmf-api:line-score", args=[key]))
    return LineScoreOut(id=key, href=href, **{k: x for k, x in values.items() if wanted is None or k in wanted})


def _scores(request: HttpRequest, values: list[LineValue], wanted: set[str] | None) -> list[LineScoreOut]:
    """The page's risks in one query, matched on (line, month)."""
    risks = {(r.subscription_id, r.month): r for r in LineRisk.objects.filter(
        subscription_id__in=[v.subscription_id for v in values], month__in={v.month for v in values})}
    return [_score(request, v, risks.get((v.subscription_id, v.month)), wanted) for v in values]


def _scoped_values(request: HttpRequest) -> QuerySet[LineValue]:
    if not caller(request).has_perm("value.view_linevalue") or not caller(request).has_perm("churn.view_linerisk"):
        raise PermissionDenied("your role may not read line scores")
    return LineValue.objects.filter(customer_scope(caller(request), via="customer")).select_related(
        "customer", "subscription")


@router.get("/lineScore", response={200: list[LineScoreOut], **_ERRORS}, by_alias=True, exclude_none=True,
            summary="List line scores (value and churn risk)")
def list_line_scores(request: HttpRequest, response: HttpResponse, paging: Query[Paging],
                     filters: Query[ScoreFilters]) -> list[LineScoreOut]:
    """Lines of the customers the caller may see, line by line and month by month (the
    order of the (line, month) key, so a page is read off its index). Phone numbers are
    masked."""
    wanted = selected_fields(filters.fields, SCORE_FIELDS)
    qs = filters.apply(_scoped_values(request)).order_by("subscription_id", "month")
    return _scores(request, list(page(qs, paging, response)), wanted)


@router.get("/lineScore/{score_id}", response={200: LineScoreOut, **_ERRORS}, by_alias=True, exclude_none=True,
            url_name="line-score", summary="Retrieve a line score")
def get_line_score(request: HttpRequest, score_id: str, fields: str | None = None) -> LineScoreOut:
    """One line's score for one month (`<line id>-YYYY-MM`); 404 outside the caller's scope."""
    line_id, _sep, month = score_id.partition("-")
    if not line_id.isdigit() or not month:
        raise NotFound(f"line score {score_id} not found")
    value = _scoped_values(request).filter(subscription_id=int(line_id), month=month_start(month)).first()
    if value is None:
        raise NotFound(f"line score {score_id} not found")
    return _scores(request, [value], selected_fields(fields, SCORE_FIELDS))[0]


class WarningOut(BaseModel):
    """A warned line in the inbox, with its reasons and what is being done."""

    model_config = _REFS
    id: str
    href: str
    type_: str = Field("ChurnWarning", alias="@type")
    month: str | None = None
    customer: CustomerRef | None = None
    phoneNumber: str | None = Field(None, description="Masked.")
    status: str | None = Field(None, description="open, assigned or done.")
    churnProbability: float | None = None
    expectedLoss: Decimal | None = None
    warningRules: list[str] | None = None
    figures: list[str] | None = Field(None, description="What each rule saw, e.g. spend 3m mean vs previous 6m.")
    ruleVersion: str | None = None
    followUpAction: str | None = Field(None, description="The latest follow-up: call, visit, offer, campaign.")
    followUpOutcome: str | None = Field(None, description="pending, retained, declined, unreachable, churned.")


WARNING_FIELDS = set(WarningOut.model_fields) - {"id", "href", "type_"}


class WarningFilters(Schema):
    month: str | None = Field(None, description="YYYY-MM.")
    status: str | None = Field(None, description="open, assigned or done.")
    fields: str | None = Field(None, description="Comma-separated attributes to return.")


def _warning(request: HttpRequest, w: Warning, wanted: set[str] | None) -> WarningOut:
    last = next(iter(w.follow_ups.all()), None)
    values = {
        "month": f"{w.month:%Y-%m}", "customer": customer_ref(request, w.customer.customer_no, w.customer.name),
        "phoneNumber": mask_phone(w.subscription.msisdn), "status": w.status, "churnProbability": w.probability,
        "expectedLoss": w.expected_loss, "warningRules": [c for c in w.rules.split(",") if c],
        "figures": [mask_text(p) for p in w.details.split("; ") if p], "ruleVersion": w.rule_version,
        "followUpAction": last.action if last else None, "followUpOutcome": last.outcome if last else None,
    }
    href = absolute_href(request, reverse("tmf-api:churn-warning", args=[w.pk]))
    return WarningOut(id=str(w.pk), href=href, **{k: x for k, x in values.items() if wanted is None or k in wanted})


@router.get("/churnWarning", response={200: list[WarningOut], **_ERRORS}, by_alias=True, exclude_none=True,
            summary="List churn warnings (the caller's inbox)")
def list_warnings(request: HttpRequest, response: HttpResponse, paging: Query[Paging],
                  filters: Query[WarningFilters]) -> list[WarningOut]:
    """The caller's warnings inbox, highest expected value lost first."""
    wanted = selected_fields(filters.fields, WARNING_FIELDS)
    qs = inbox.inbox_warnings(caller(request), month=month_start(filters.month) if filters.month else None,
                              status=filters.status or None)
    return [_warning(request, w, wanted) for w in page(qs, paging, response)]


@router.get("/churnWarning/{warning_id}", response={200: WarningOut, **_ERRORS}, by_alias=True,
            exclude_none=True, url_name="churn-warning", summary="Retrieve a churn warning")
def get_warning(request: HttpRequest, warning_id: int, fields: str | None = None) -> WarningOut:
    """One warning; 404 outside the caller's scope."""
    return _warning(request, inbox.get_warning(caller(request), warning_id=warning_id),
                    selected_fields(fields, WARNING_FIELDS))
