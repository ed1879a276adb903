"""A ticket as its TMF621 representation: shared by the API and the hub's notifications,
so a listener receives exactly what ``GET troubleTicket/{id}`` answers.

Callers read through ``services.visible_tickets`` (the customer scope of
customers/policy.py: a ticket of a customer out of scope is "not found"); phone numbers
are masked (domain.md section 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from telcrm.core.masking import mask_phone
from telcrm.customers.schemas import Characteristic, PartyRef, RelatedParty
from telcrm.tickets.models import Evidence, SlaStage, StatusChange, Ticket, TicketNote
from telcrm.tickets.schemas import (
    CHARACTERISTICS,
    Attachment,
    ChannelRef,
    EntityRef,
    Note,
    RelatedEntity,
    TicketRelationship,
    TroubleTicketOut,
)
from telcrm.tickets.schemas import StatusChange as StatusChangeOut

#: Builds an absolute URL from a path (the request's host), or leaves it relative.
Href = Callable[[str], str]


def ticket_path(ticket_no: str) -> str:
    return reverse("tmf-api:troubleticket-detail", args=[ticket_no])


def with_relations(qs: QuerySet[Ticket], wanted: set[str] | None) -> QuerySet[Ticket]:
    """What the selected attributes show, one query per relation for the whole page."""
    qs = qs.select_related("customer", "subscription", "owner", "category", "team", "region",
                           "duplicate_of")
    if wanted is None or "note" in wanted:
        qs = qs.prefetch_related(Prefetch("notes", TicketNote.objects.select_related("author")
                                          .order_by("at", "id"), to_attr="note_list"))
    if wanted is None or "attachment" in wanted:
        qs = qs.prefetch_related(Prefetch("evidence", Evidence.objects.order_by("at", "id"),
                                          to_attr="evidence_list"))
    if wanted is None or wanted & {"statusChange", "statusChangeDate", "statusChangeReason"}:
        qs = qs.prefetch_related(Prefetch("status_changes", StatusChange.objects.order_by("at", "id"),
                                          to_attr="change_list"))
    return qs


def _iso(d: dt.datetime | None) -> str:
    return d.isoformat() if d else ""


def _characteristics(t: Ticket) -> list[Characteristic]:
    iso = _iso
    values = {
        "category": t.category.code, "stars": str(t.stars),
        "slaStage": SlaStage(t.sla_stage).name.lower(), "responseDue": iso(t.response_due),
        "firstResponseDate": iso(t.first_response_at), "regulatoryDue": iso(t.regulatory_due),
        "resolution": t.resolution, "resolutionNote": t.resolution_note,
        "team": t.team.code if t.team else "", "region": t.region.code,
        "reopened": str(t.reopened) if t.reopened else "",
    }
    return [Characteristic(name=n, value=v) for n in CHARACTERISTICS if (v := values[n])]


def _parties(t: Ticket) -> list[RelatedParty]:
    c = t.customer
    # populate_by_name comes from a shared config the pydantic plugin cannot follow
    parties = [RelatedParty(role="customer", partyOrPartyRole=PartyRef(  # type: ignore[call-arg]
        id=c.customer_no, name=c.name,
        referredType="Individual" if c.kind == "individual" else "Organization"))]
    if (o := t.owner) is not None:
        parties.append(RelatedParty(role="owner", partyOrPartyRole=PartyRef(  # type: ignore[call-arg]
            id=o.get_username(), name=o.get_full_name() or o.get_username(), referredType="Individual")))
    return parties


def _entities(t: Ticket) -> list[RelatedEntity]:
    if (line := t.subscription) is None:
        return []
    return [RelatedEntity(role="subscription", entity=EntityRef(  # type: ignore[call-arg]
        id=str(line.pk), name=mask_phone(line.msisdn), referredType="Product"))]


def _notes(t: Ticket) -> list[Note]:
    return [Note(id=str(n.pk), author=n.author.get_username() if n.author else None, date=n.at,
                 text=n.text, noteType=n.kind) for n in t.note_list]  # type: ignore[attr-defined]  # prefetched to_attr


def _attachments(t: Ticket) -> list[Attachment]:
    return [Attachment(id=str(e.pk), name=e.name, attachmentType=e.kind, mimeType=e.mime_type,
                       description=e.description, content=e.data or None, creationDate=e.at)
            for e in t.evidence_list]  # type: ignore[attr-defined]  # prefetched to_attr


def _changes(t: Ticket) -> list[StatusChangeOut]:
    return [StatusChangeOut(status=s.to_status, statusChangeDate=s.at, statusChangeReason=s.reason)
            for s in t.change_list]  # type: ignore[attr-defined]  # prefetched to_attr


def ticket_resource(t: Ticket, *, href: Href, wanted: set[str] | None = None) -> TroubleTicketOut:
    """The TMF representation; attributes not in ``wanted`` are neither computed nor sent.
    ``severity`` mirrors ``priority`` (the desk grades tickets once)."""
    def last_change() -> StatusChange | None:
        changes = t.change_list  # type: ignore[attr-defined]  # prefetched to_attr
        return changes[-1] if changes else None

    builders = {
        "name": lambda: t.subject,
        "description": lambda: t.description,
        "ticketType": lambda: t.kind,
        "status": lambda: t.status,
        "statusChangeDate": lambda: (c.at if (c := last_change()) else t.opened_at),
        "statusChangeReason": lambda: (c.reason if (c := last_change()) else None) or None,
        "priority": lambda: t.priority,
        "severity": lambda: t.priority,
        "channel": lambda: ChannelRef(id=t.channel, name=str(t.get_channel_display())),
        "creationDate": lambda: t.opened_at,
        "lastUpdate": lambda: t.updated_at,
        "requestedResolutionDate": lambda: t.regulatory_due,
        "expectedResolutionDate": lambda: t.resolution_due,
        "resolutionDate": lambda: t.resolved_at,
        "relatedParty": lambda: _parties(t),
        "relatedEntity": lambda: _entities(t),
        "note": lambda: _notes(t),
        "attachment": lambda: _attachments(t),
        "statusChange": lambda: _changes(t),
        "troubleTicketCharacteristic": lambda: _characteristics(t),
        "troubleTicketRelationship": lambda: [TicketRelationship(
            id=d.ticket_no, href=href(ticket_path(d.ticket_no)),
            relationshipType="isDuplicateOf")] if (d := t.duplicate_of) else [],
    }
    values = {k: build() for k, build in builders.items() if wanted is None or k in wanted}
    return TroubleTicketOut(id=t.ticket_no, href=href(ticket_path(t.ticket_no)),
                            **{k: v for k, v in values.items() if v is not None})
