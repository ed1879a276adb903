"""TMF629 Customer Management v5: ``/tmf-api/customerManagement/v5/customer``.

Thin adapter (architecture.md, convention 13): every read starts from
``policy.visible_customers`` (a customer outside the caller's scope is 404, never 403, so
its existence does not leak), writes go through the customer services, and personal data
is masked in every response (domain.md section 1; the API has no reveal).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from telcrm.api.auth import caller
from telcrm.api.errors import MethodNotAllowed, TmfError
from telcrm.api.tmf import Paging, absolute_href, etag, expected_version, page, selected_fields
from telcrm.core.errors import NotFound, TelcrmError, ValidationFailed
from telcrm.core.masking import mask_address, mask_id_number, mask_phone
from telcrm.core.models import Region
from telcrm.customers.history import update_customer
from telcrm.customers.models import Account, Contact, Customer, CustomerKind, Subscription
from telcrm.customers.policy import get_visible_customer, visible_customers
from telcrm.customers.registration import register_customer
from telcrm.customers.schemas import (
    CHARACTERISTIC_FIELDS,
    RESOURCE_FIELDS,
    AccountRef,
    Characteristic,
    ContactMedium,
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
    MediumCharacteristic,
    PartyRef,
    RelatedParty,
    TimePeriod,
    kind_rule_error,
)

router = Router(tags=["customer"])

_ERRORS = {400: TmfError, 401: TmfError, 403: TmfError, 404: TmfError, 409: TmfError, 422: TmfError}
_MERGE_PATCH = {"requestBody": {"content": {"application/merge-patch+json": {
    "schema": {"$ref": "#/components/schemas/CustomerPatch"}}}}}


class CustomerFilters(Schema):
    name: str | None = Field(None, description="Exact name.")
    status: str | None = Field(None, description="active or inactive.")
    segment: str | None = Field(None, description="Segment code (characteristic segment).")
    region: str | None = Field(None, description="Region code, e.g. SH-XH.")
    kind: str | None = Field(None, description="individual or enterprise.")
    fields: str | None = Field(
        None, description="Comma-separated attributes to return; id, href and @type always are."
    )

    def apply(self, qs: QuerySet[Customer]) -> QuerySet[Customer]:
        for attr, lookup in (("name", "name"), ("status", "status"), ("segment", "segment"),
                             ("region", "region__code"), ("kind", "kind")):
            value = getattr(self, attr)
            if value:
                qs = qs.filter(**{lookup: value})
        return qs


def _href(request: HttpRequest, customer_no: str) -> str:
    return absolute_href(request, reverse("tmf-api:customer-detail", args=[customer_no]))


def _with_relations(qs: QuerySet[Customer], wanted: set[str] | None) -> QuerySet[Customer]:
    """Fetch what the selected attributes show, one query per relation for the whole page."""
    qs = qs.select_related("region", "account_manager", "parent")
    if wanted is None or "contactMedium" in wanted:
        qs = qs.prefetch_related(
            # Only an individual's lines are its contact media: a group customer's thousands
            # of lines are not, and are not loaded.
            Prefetch("subscriptions", Subscription.objects.filter(
                customer__kind=CustomerKind.INDIVIDUAL).exclude(status="closed").order_by("id"),
                to_attr="open_lines"),
            Prefetch("contacts", Contact.objects.order_by("id"), to_attr="contact_list"),
        )
    if wanted is None or "account" in wanted:
        qs = qs.prefetch_related(
            Prefetch("accounts", Account.objects.order_by("account_no"), to_attr="account_list")
        )
    return qs


def _characteristics(c: Customer) -> list[Characteristic]:
    values = {
        "kind": c.kind, "segment": c.segment, "region": c.region.code,
        "idNumber": mask_id_number(c.id_number), "gender": c.gender, "creditCode": c.credit_code,
        "industry": c.industry, "size": c.size,
        "parentCustomer": c.parent.customer_no if c.parent else "",
        "competitorPresence": c.competitor_presence,
    }
    return [Characteristic(name=n, value=v) for n in CHARACTERISTIC_FIELDS if (v := values[n])]


def _contact_media(c: Customer) -> list[ContactMedium]:
    """An individual is reached on its own lines; an enterprise through its contacts."""
    if c.kind == CustomerKind.INDIVIDUAL:
        phones = [(s.msisdn, "mobile") for s in c.open_lines]  # type: ignore[attr-defined]  # prefetched to_attr
    else:
        phones = [(p.phone, "work") for p in c.contact_list if p.phone]  # type: ignore[attr-defined]  # prefetched to_attr
    media = [
        ContactMedium(mediumType="mobile", preferred=i == 0, characteristic=MediumCharacteristic(
            contactType=label, phoneNumber=mask_phone(number)))
        for i, (number, label) in enumerate(phones)
    ]
    if c.email:
        media.append(ContactMedium(mediumType="email", characteristic=MediumCharacteristic(
            contactType="email", emailAddress=c.email)))
    if c.address:
        media.append(ContactMedium(mediumType="postalAddress", characteristic=MediumCharacteristic(
            contactType="home", street1=mask_address(c.address), city=c.region.name,
            country="CN")))
    return media


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _resource(request: HttpRequest, c: Customer, wanted: set[str] | None) -> CustomerOut:
    """The TMF representation; attributes not in ``wanted`` are neither computed nor sent."""
    builders = {
        "name": lambda: c.name,
        "status": lambda: c.status,
        "validFor": lambda: TimePeriod(startDateTime=_start_of(c.since)) if c.since else None,
        # populate_by_name comes from a shared config the pydantic plugin cannot follow
        "engagedParty": lambda: PartyRef(id=c.customer_no, name=c.name, referredType=(  # type: ignore[call-arg]
            "Individual" if c.kind == CustomerKind.INDIVIDUAL else "Organization")),
        "contactMedium": lambda: _contact_media(c),
        "characteristic": lambda: _characteristics(c),
        "relatedParty": lambda: [RelatedParty(role="accountManager", partyOrPartyRole=PartyRef(  # type: ignore[call-arg]
            id=m.get_username(), name=m.get_full_name() or m.get_username(),
            referredType="Individual"))] if (m := c.account_manager) else [],
        "account": lambda: [AccountRef(
            id=a.account_no, name=a.account_no,
            href=absolute_href(request, f"/tmf-api/accountManagement/v5/billingAccount/{a.account_no}"),
        ) for a in c.account_list],  # type: ignore[attr-defined]  # prefetched to_attr
    }
    values = {k: build() for k, build in builders.items() if wanted is None or k in wanted}
    return CustomerOut(id=c.customer_no, href=_href(request, c.customer_no), type_="Customer",
                       **{k: v for k, v in values.items() if v is not None})


def _region(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationFailed(f"characteristic.region: no region with code {code!r}")
    return region


def _parent(actor, customer_no: str) -> Customer:  # type: ignore[no-untyped-def]
    try:
        return get_visible_customer(actor, customer_no)
    except NotFound:
        raise ValidationFailed(
            f"characteristic.parentCustomer: no customer {customer_no} you can see"
        ) from None


def _model_values(actor, body: CustomerCreate | CustomerPatch) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """TMF names -> model fields, with region and parent resolved to records. A parent
    enterprise must be one the caller can see, like any other customer reference."""
    out: dict[str, object] = {}
    for name, value in body.characteristic_values().items():
        field = CHARACTERISTIC_FIELDS[name]
        if name == "region":
            out[field] = _region(value) if value else None
        elif name == "parentCustomer":
            out[field] = _parent(actor, value) if value else None
        else:
            out[field] = value or ""
    out.update({k: v or "" for k, v in body.contact_values().items()})
    if "validFor" in body.model_fields_set:
        out["since"] = body.since()
    return out


@router.get("/customer", response={200: list[CustomerOut], **_ERRORS}, by_alias=True,
            exclude_none=True, summary="List or find customers")
def list_customers(request: HttpRequest, response: HttpResponse, paging: Query[Paging],
                   filters: Query[CustomerFilters]) -> list[CustomerOut]:
    """Customers the caller may see, in customer-number order, a page at a time
    (`offset`, `limit`). `X-Total-Count` is the number of matching customers,
    `X-Result-Count` the number in this page. Phone numbers, ID numbers and addresses
    are masked."""
    wanted = selected_fields(filters.fields, RESOURCE_FIELDS)
    qs = filters.apply(visible_customers(caller(request))).order_by("customer_no")
    rows = _with_relations(page(qs, paging, response), wanted)
    return [_resource(request, c, wanted) for c in rows]


@router.get("/customer/{customer_no}", response={200: CustomerOut, **_ERRORS}, by_alias=True,
            exclude_none=True, url_name="customer-detail", summary="Retrieve a customer")
def get_customer(request: HttpRequest, response: HttpResponse, customer_no: str,
                 fields: str | None = None) -> CustomerOut:
    """One customer by its customer number; 404 if it does not exist or is outside the
    caller's scope. The `ETag` header carries the record's version for `If-Match`."""
    wanted = selected_fields(fields, RESOURCE_FIELDS)
    customer = get_visible_customer(caller(request), customer_no)
    c = _with_relations(Customer.objects.filter(pk=customer.pk), wanted).get()
    response["ETag"] = etag(c.version)
    return _resource(request, c, wanted)


@router.post("/customer", response={201: CustomerOut, **_ERRORS}, by_alias=True,
             exclude_none=True, summary="Register a customer")
def create_customer(request: HttpRequest, response: HttpResponse, body: CustomerCreate) -> Status:
    """Register an individual (`engagedParty.@referredType` Individual, with characteristics
    `region` and `idNumber`) or an enterprise (Organization, with `region` and
    `creditCode`). ID numbers are checked against GB 11643, credit codes against GB 32100.
    Answers 201 with the customer and its `Location`."""
    values = _model_values(caller(request), body)
    with transaction.atomic():
        customer = register_customer(caller(request), kind=body.kind(), name=body.name, **values)  # type: ignore[arg-type]
    c = _with_relations(Customer.objects.filter(pk=customer.pk), None).get()
    response["Location"] = _href(request, c.customer_no)
    response["ETag"] = etag(c.version)
    return Status(201, _resource(request, c, None))


@router.patch("/customer/{customer_no}", response={200: CustomerOut, **_ERRORS}, by_alias=True,
              exclude_none=True, openapi_extra=_MERGE_PATCH, summary="Update a customer")
def patch_customer(request: HttpRequest, response: HttpResponse, customer_no: str,
                   body: CustomerPatch,
                   if_match: str | None = Header(None, alias="If-Match")) -> CustomerOut:
    """JSON merge patch (`application/merge-patch+json`) of name, status, characteristics,
    email and postal address. Every changed field is written to the customer's field
    history. Send `If-Match` with the `ETag` you read: if someone saved in between, the
    answer is 409 and nothing changes."""
    content_type = request.content_type or ""
    if content_type not in ("application/merge-patch+json", "application/json"):
        raise TelcrmError("Content-Type: send application/merge-patch+json", status=415,
                          code="unsupported_media_type")
    version = expected_version(if_match)
    customer = get_visible_customer(caller(request), customer_no)
    changes = _model_values(caller(request), body)
    clash = kind_rule_error(customer.kind, {
        name for name, value in body.characteristic_values().items() if value is not None})
    if clash is not None:
        raise ValidationFailed(f"characteristic.{clash[0]}: {clash[1]}")
    changes.update({k: getattr(body, k) for k in ("name", "status") if k in body.model_fields_set})
    with transaction.atomic():
        update_customer(caller(request), customer=customer, changes=changes,
                        expected_version=version, source="api")
    c = _with_relations(Customer.objects.filter(pk=customer.pk), None).get()
    response["ETag"] = etag(c.version)
    return _resource(request, c, None)


@router.delete("/customer/{customer_no}", response={405: TmfError}, by_alias=True,
               summary="Not allowed")
def delete_customer(request: HttpRequest, customer_no: str) -> None:
    """Customers are never deleted: their bills, tickets and audit trail refer to them.
    Close a customer with PATCH `{"status": "inactive"}` instead. Always 405."""
    raise MethodNotAllowed(
        "customers are closed (PATCH status inactive), never deleted", allow=("GET", "PATCH")
    )
