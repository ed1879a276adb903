"""TMF621 Trouble Ticket Management v5: ``/tmf-api/troubleTicket/v5/troubleTicket`` and its
notification hub.

Thin adapter (architecture.md, convention 13): reads start from ``visible_tickets`` (a
ticket of a customer outside the caller's scope is 404), writes go through the ticket
services in one transaction each, and the TMF status values and transitions are the
services' (an illegal transition is a 422 naming the allowed ones; a stale ``If-Match``
is a 409 and nothing changes).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from telcrm.api.auth import caller
from telcrm.api.errors import MethodNotAllowed, TmfError
from telcrm.api.hub import hub_router
from telcrm.api.tmf import Paging, absolute_href, etag, expected_version, page, selected_fields
from telcrm.core.errors import TelcrmError
from telcrm.tickets import api_writes, services
from telcrm.tickets.models import Ticket
from telcrm.tickets.resource import ticket_resource, with_relations
from telcrm.tickets.schemas import RESOURCE_FIELDS, TroubleTicketCreate, TroubleTicketOut, TroubleTicketPatch
from telcrm.tickets.services import visible_tickets

router = Router(tags=["troubleTicket"])

_ERRORS = {400: TmfError, 401: TmfError, 403: TmfError, 404: TmfError, 409: TmfError, 415: TmfError,
           422: TmfError}
_MERGE_PATCH = {"requestBody": {"content": {"application/merge-patch+json": {
    "schema": {"$ref": "#/components/schemas/TroubleTicketPatch"}}}}}


class TicketFilters(Schema):
    status: str | None = Field(None, description="TMF621 status, e.g. inProgress.")
    ticketType: str | None = Field(None, description="complaint, fault, inquiry or request.")
    priority: str | None = None
    customer: str | None = Field(None, description="Customer number.")
    owner: str | None = Field(None, description="User name of the one-stop owner.")
    category: str | None = Field(None, description="Category code.")
    fields: str | None = Field(
        None, description="Comma-separated attributes to return; id, href and @type always are."
    )

    def apply(self, qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
        for attr, lookup in (("status", "status"), ("ticketType", "kind"), ("priority", "priority"),
                             ("customer", "customer__customer_no"), ("owner", "owner__username"),
                             ("category", "category__code")):
            value = getattr(self, attr)
            if value:
                qs = qs.filter(**{lookup: value})
        return qs


def _href(request: HttpRequest):  # type: ignore[no-untyped-def]
    return lambda path: absolute_href(request, path)


def _one(request: HttpRequest, response: HttpResponse, ticket: Ticket) -> TroubleTicketOut:
    t = with_relations(Ticket.objects.filter(pk=ticket.pk), None).get()
    response["ETag"] = etag(t.version)
    return ticket_resource(t, href=_href(request))


@router.get("/troubleTicket", response={200: list[TroubleTicketOut], **_ERRORS}, by_alias=True,
            exclude_none=True, summary="List or find trouble tickets")
def list_tickets(request: HttpRequest, response: HttpResponse, paging: Query[Paging],
                 filters: Query[TicketFilters]) -> list[TroubleTicketOut]:
    """Tickets of the customers the caller may see, in ticket-number order, a page at a time
    (`offset`, `limit`; `X-Total-Count`, `X-Result-Count`)."""
    wanted = selected_fields(filters.fields, RESOURCE_FIELDS)
    qs = filters.apply(visible_tickets(caller(request))).order_by("ticket_no")
    rows = with_relations(page(qs, paging, response), wanted)
    return [ticket_resource(t, href=_href(request), wanted=wanted) for t in rows]


@router.get("/troubleTicket/{ticket_no}", response={200: TroubleTicketOut, **_ERRORS}, by_alias=True,
            exclude_none=True, url_name="troubleticket-detail", summary="Retrieve a trouble ticket")
def retrieve_ticket(request: HttpRequest, response: HttpResponse, ticket_no: str,
                    fields: str | None = None) -> TroubleTicketOut:
    """One ticket by its number, with notes, attachments (the evidence checked) and its status
    history. The `ETag` header carries the ticket's version for `If-Match`."""
    wanted = selected_fields(fields, RESOURCE_FIELDS)
    ticket = services.get_ticket(caller(request), ticket_no=ticket_no)
    t = with_relations(Ticket.objects.filter(pk=ticket.pk), wanted).get()
    response["ETag"] = etag(t.version)
    return ticket_resource(t, href=_href(request), wanted=wanted)


@router.post("/troubleTicket", response={201: TroubleTicketOut, **_ERRORS}, by_alias=True,
             exclude_none=True, summary="Open a trouble ticket")
def create_ticket(request: HttpRequest, response: HttpResponse, body: TroubleTicketCreate) -> Status:
    """Open a ticket for the `relatedParty` with role `customer` (its customer number), with
    `troubleTicketCharacteristic` `category`. Targets and priority follow the SLA policy of
    the customer's stars, the kind and the channel; an open ticket of the same customer and
    category is linked as `isDuplicateOf`. Answers 201 with the ticket and its `Location`."""
    with transaction.atomic():
        ticket = api_writes.open_from_api(caller(request), body)
    out = _one(request, response, ticket)
    response["Location"] = out.href
    return Status(201, out)


@router.patch("/troubleTicket/{ticket_no}", response={200: TroubleTicketOut, **_ERRORS}, by_alias=True,
              exclude_none=True, openapi_extra=_MERGE_PATCH, summary="Update a trouble ticket")
def patch_ticket(request: HttpRequest, response: HttpResponse, ticket_no: str, body: TroubleTicketPatch,
                 if_match: str | None = Header(None, alias="If-Match")) -> TroubleTicketOut:
    """JSON merge patch (`application/merge-patch+json`): `status` (TMF621 transitions, with
    `statusChangeReason`; `resolved` needs the characteristic `resolution`), `priority`,
    `name`, `description`, a new `owner` (`relatedParty`), and `note` items, which are
    appended. Send `If-Match` with the `ETag` you read: if someone saved in between, the
    answer is 409 and nothing changes."""
    if (request.content_type or "") not in ("application/merge-patch+json", "application/json"):
        raise TelcrmError("Content-Type: send application/merge-patch+json", status=415,
                          code="unsupported_media_type")
    version = expected_version(if_match)
    ticket = services.get_ticket(caller(request), ticket_no=ticket_no)
    with transaction.atomic():
        api_writes.patch_from_api(caller(request), ticket, body, expected_version=version)
    return _one(request, response, ticket)


@router.delete("/troubleTicket/{ticket_no}", response={405: TmfError}, by_alias=True, summary="Not allowed")
def delete_ticket(request: HttpRequest, ticket_no: str) -> None:
    """Tickets are never deleted: cancel one with PATCH `{"status": "cancelled"}`. Always 405."""
    raise MethodNotAllowed("tickets are cancelled (PATCH status cancelled), never deleted",
                           allow=("GET", "PATCH"))


router.add_router("", hub_router("troubleTicket", permission="tickets.view_ticket",
                                 tags=["troubleTicket hub"]))
