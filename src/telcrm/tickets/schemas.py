"""The TMF621 TroubleTicket resource (TM Forum Trouble Ticket Management API, v5) and its
inputs.

The desk's attributes that TMF621 has no slot for (category, stars, SLA stage, first
response, regulatory deadline, resolution) travel as ``troubleTicketCharacteristic`` items,
as the standard intends. The customer is the ``relatedParty`` with role ``customer`` (its
customer number, as in TMF629), the one-stop owner the one with role ``owner``; the line is
the ``relatedEntity`` with role ``subscription`` (its id, the phone number masked in its
name: domain.md section 1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from telcrm.customers.schemas import Characteristic, RelatedParty

_REFS = ConfigDict(populate_by_name=True)

#: troubleTicketCharacteristic names, in the order they are listed.
CHARACTERISTICS = ("category", "stars", "slaStage", "responseDue", "firstResponseDate",
                   "regulatoryDue", "resolution", "resolutionNote", "team", "region", "reopened")


class ChannelRef(BaseModel):
    model_config = _REFS
    id: str
    name: str
    type_: str = Field("ChannelRef", alias="@type")


class EntityRef(BaseModel):
    model_config = _REFS
    id: str
    name: str | None = None
    href: str | None = None
    referredType: str = Field(alias="@referredType")
    type_: str = Field("EntityRef", alias="@type")


class RelatedEntity(BaseModel):
    model_config = _REFS
    role: str
    entity: EntityRef
    type_: str = Field("RelatedEntity", alias="@type")


class Note(BaseModel):
    model_config = _REFS
    id: str | None = None
    author: str | None = None
    date: dt.datetime | None = None
    text: str
    noteType: str | None = Field(None, description="internal, customer, reply or system.")
    type_: str = Field("Note", alias="@type")


class Attachment(BaseModel):
    """Evidence the agent checked (a bill, usage, an SP subscription...), with its snapshot."""

    model_config = _REFS
    id: str
    name: str
    attachmentType: str
    mimeType: str
    description: str = ""
    content: Any = None
    creationDate: dt.datetime
    type_: str = Field("Attachment", alias="@type")


class StatusChange(BaseModel):
    model_config = _REFS
    status: str
    statusChangeDate: dt.datetime
    statusChangeReason: str = ""
    type_: str = Field("StatusChange", alias="@type")


class TicketRelationship(BaseModel):
    model_config = _REFS
    id: str
    href: str
    relationshipType: str
    type_: str = Field("TroubleTicketRelationship", alias="@type")


class TroubleTicketOut(BaseModel):
    model_config = _REFS
    id: str
    href: str
    type_: str = Field("TroubleTicket", alias="@type")
    name: str | None = None
    description: str | None = None
    ticketType: str | None = None
    status: str | None = None
    statusChangeDate: dt.datetime | None = None
    statusChangeReason: str | None = None
    priority: str | None = None
    severity: str | None = None
    channel: ChannelRef | None = None
    creationDate: dt.datetime | None = None
    lastUpdate: dt.datetime | None = None
    requestedResolutionDate: dt.datetime | None = None
    expectedResolutionDate: dt.datetime | None = None
    resolutionDate: dt.datetime | None = None
    relatedParty: list[RelatedParty] | None = None
    relatedEntity: list[RelatedEntity] | None = None
    note: list[Note] | None = None
    attachment: list[Attachment] | None = None
    statusChange: list[StatusChange] | None = None
    troubleTicketCharacteristic: list[Characteristic] | None = None
    troubleTicketRelationship: list[TicketRelationship] | None = None


#: Attributes a client may name in ``fields=``.
RESOURCE_FIELDS = {name for name in TroubleTicketOut.model_fields if name not in ("id", "href", "type_")}


# --- inputs ----------------------------------------------------------------------------------

class PartyIn(BaseModel):
    model_config = _REFS
    id: str
    name: str | None = None
    referredType: str | None = Field(None, alias="@referredType")


class RelatedPartyIn(BaseModel):
    role: str = Field(description="customer (its customer number) or owner (a user name).")
    partyOrPartyRole: PartyIn


class EntityIn(BaseModel):
    model_config = _REFS
    id: str
    referredType: str | None = Field(None, alias="@referredType")


class RelatedEntityIn(BaseModel):
    role: str = Field(description="subscription: the id of one of the customer's lines.")
    entity: EntityIn


class ChannelIn(BaseModel):
    id: str | None = None
    name: str | None = None


class CharacteristicIn(BaseModel):
    name: str
    value: str


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    noteType: str = "internal"


def _one(items: list[Any] | None, role: str) -> Any:
    return next((i for i in items or [] if i.role == role), None)


class TroubleTicketCreate(BaseModel):
    model_config = _REFS
    ticketType: str = Field(description="complaint, fault, inquiry or request.")
    description: str = Field(min_length=1, max_length=4000)
    name: str | None = Field(None, max_length=200, description="Subject; the description's start if omitted.")
    priority: str | None = Field(None, description="critical, high, medium or low; from the SLA policy if omitted.")
    severity: str | None = Field(None, description="Accepted as priority when priority is omitted.")
    channel: ChannelIn | None = None
    relatedParty: list[RelatedPartyIn] = Field(min_length=1)
    relatedEntity: list[RelatedEntityIn] | None = None
    troubleTicketCharacteristic: list[CharacteristicIn] = Field(
        min_length=1, description="Must include `category` (a category code, e.g. `billing`).")
    note: list[NoteIn] | None = None

    def customer_no(self) -> str | None:
        party = _one(self.relatedParty, "customer")
        return party.partyOrPartyRole.id if party else None

    def owner(self) -> str | None:
        party = _one(self.relatedParty, "owner")
        return party.partyOrPartyRole.id if party else None

    def subscription_id(self) -> str | None:
        entity = _one(self.relatedEntity, "subscription")
        return entity.entity.id if entity else None

    def characteristic(self, name: str) -> str | None:
        return next((c.value for c in self.troubleTicketCharacteristic if c.name == name), None)


class TroubleTicketPatch(BaseModel):
    """JSON merge patch. ``note`` items are appended (notes are never edited or removed);
    ``relatedParty`` with role ``owner`` hands the ticket to another owner."""

    model_config = _REFS
    status: str | None = None
    statusChangeReason: str | None = Field(None, max_length=200)
    priority: str | None = None
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    relatedParty: list[RelatedPartyIn] | None = None
    troubleTicketCharacteristic: list[CharacteristicIn] | None = Field(
        None, description="`resolution` (explanation, refund, sp_cancelled, discount_restored, "
                          "fixed, provisioned, answered) and `resolutionNote` with status resolved.")
    note: list[NoteIn] | None = None

    def owner(self) -> str | None:
        party = _one(self.relatedParty, "owner")
        return party.partyOrPartyRole.id if party else None

    def characteristic(self, name: str) -> str | None:
        return next((c.value for c in self.troubleTicketCharacteristic or [] if c.name == name), None)

