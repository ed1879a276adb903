"""Enterprise grades and values, read: ``/tmf-api/valueManagement/v1/enterpriseValue``.

TM Forum has no resource for customer value; this one follows the Foundation's conventions
(TMF630): ``id``/``href``/``@type``, camelCase, ``fields=`` selection, offset/limit paging
with ``X-Total-Count``, the TMF error object, and the caller's own scope
(``policy.visible_customers``). Line scores (value and churn risk together) are served by
the churn API, which may read value; value may not read churn.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import BaseModel, ConfigDict, Field

from telcrm.api.auth import caller
from telcrm.api.errors import TmfError
from telcrm.api.tmf import Paging, absolute_href, page, selected_fields
from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.customers.policy import customer_scope
from telcrm.value.models import EnterpriseValue

router = Router(tags=["value"])
_ERRORS = {400: TmfError, 401: TmfError, 403: TmfError, 404: TmfError, 422: TmfError}


class CustomerRef(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str
    href: str
    name: str
    type_: str = Field("CustomerRef", alias="@type")


class EnterpriseValueOut(BaseModel):
    """An enterprise's grade (1A-5A), service stars and value for one month (CNY per month,
    lifetime value in CNY). Attributes left out by ``fields=`` are absent."""

    model_config = ConfigDict(populate_by_name=True)
    id: str = Field(description="Customer number and month, e.g. `E000000001-2025-12`.")
    href: str
    type_: str = Field("EnterpriseValue", alias="@type")
    month: str | None = Field(None, description="YYYY-MM.")
    customer: CustomerRef | None = None
    grade: str | None = Field(None, description="1A (highest) to 5A.")
    stars: int | None = Field(None, description="Service level, 1 to 5 stars.")
    ruleVersion: str | None = None
    revenue: Decimal | None = None
    linesRevenue: Decimal | None = None
    circuitsRevenue: Decimal | None = None
    margin: Decimal | None = None
    additionalValue: Decimal | None = None
    potentialValue: Decimal | None = None
    lifetimeValue: Decimal | None = None
    lines: int | None = None
    circuits: int | None = None


FIELDS = set(EnterpriseValueOut.model_fields) - {"id", "href", "type_"}


class ValueFilters(Schema):
    month: str | None = Field(None, description="YYYY-MM; every stored month by default.")
    grade: str | None = Field(None, description="1A to 5A.")
    customer: str | None = Field(None, description="Customer number.")
    fields: str | None = Field(None, description="Comma-separated attributes to return.")

    def apply(self, qs: QuerySet[EnterpriseValue]) -> QuerySet[EnterpriseValue]:
        if self.month:
            qs = qs.filter(month=month_start(self.month))
        if self.grade:
            qs = qs.filter(grade=self.grade)
        if self.customer:
            qs = qs.filter(customer__customer_no=self.customer)
        return qs


def month_start(text: str) -> dt.date:
    """``2025-12`` as the first of the month; anything else is a 400 naming the field."""
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise ValidationFailed(f"month: expected YYYY-MM, got {text!r}") from None


def customer_ref(request: HttpRequest, customer_no: str, name: str) -> CustomerRef:
    href = absolute_href(request, reverse("tmf-api:customer-detail", args=[customer_no]))
    return CustomerRef(id=customer_no, href=href, name=name)


def _resource(request: HttpRequest, v: EnterpriseValue, wanted: set[str] | None) -> EnterpriseValueOut:
    values = {
        "month": f"{v.month:%Y-%m}", "customer": customer_ref(request, v.customer.customer_no, v.customer.name),
        "grade": v.grade, "stars": v.stars, "ruleVersion": v.rule_version, "revenue": v.revenue,
        "linesRevenue": v.lines_revenue, "circuitsRevenue": v.circuits_revenue, "margin": v.margin,
        "additionalValue": v.additional_value, "potentialValue": v.potential_value,
        "lifetimeValue": v.lifetime_value, "lines": v.lines, "circuits": v.circuits,
    }
    key = f"{v.customer.customer_no}-{v.month:%Y-%m}"
    return EnterpriseValueOut(
        id=key, href=absolute_href(request, f"{reverse('tmf-api:enterprise-values')}?customer="
                                   f"{v.customer.customer_no}&month={v.month:%Y-%m}"),
        **{k: val for k, val in values.items() if wanted is None or k in wanted},
    )


@router.get("/enterpriseValue", response={200: list[EnterpriseValueOut], **_ERRORS}, by_alias=True,
            exclude_none=True, url_name="enterprise-values", summary="List enterprise grades and values")
def list_enterprise_values(request: HttpRequest, response: HttpResponse, paging: Query[Paging],
                           filters: Query[ValueFilters]) -> list[EnterpriseValueOut]:
    """Enterprise customers the caller may see, with their grade, stars and value per month,
    customer by customer, months in order. `X-Total-Count` counts all matching rows."""
    if not caller(request).has_perm("value.view_enterprisevalue"):
        raise PermissionDenied("your role may not read customer values")
    wanted = selected_fields(filters.fields, FIELDS)
    qs = filters.apply(EnterpriseValue.objects.filter(customer_scope(caller(request), via="customer")))
    rows = page(qs.select_related("customer").order_by("customer_id", "month"), paging, response)
    return [_resource(request, v, wanted) for v in rows]
