"""The TMF629 Customer resource (TM Forum Customer Management API, v5) and its inputs.

A telcrm customer is both the party (an Individual or an Organization, TMF632) and its
customer role, so ``engagedParty`` refers to the same record under the party's type. The
attributes TMF629 has no slot for (kind, segment, region, ID number, credit code, ...)
travel as name/value ``characteristic`` items, as the standard intends.

Personal data leaves the API masked, always: phone numbers, ID numbers and addresses
(domain.md section 1). The API has no reveal; a permitted user reveals a value in the web
app with a stated reason, and that reveal is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from telcrm.core.validators import id_number_error, uscc_error
from telcrm.customers.models import CustomerKind, EnterpriseSize, Gender, Industry, Segment

#: Plain pydantic models, not ninja's ``Schema``: these are built from values, never read
#: off Django objects, and ninja's attribute resolver would cost a third of a list page.
_REFS = ConfigDict(populate_by_name=True)


# --- the resource as read -----------------------------------------------------------------

class TimePeriod(BaseModel):
    startDateTime: dt.datetime | None = None
    endDateTime: dt.datetime | None = None


class Characteristic(BaseModel):
    model_config = _REFS
    name: str
    value: str
    valueType: str = "string"
    type_: str = Field("StringCharacteristic", alias="@type")


class MediumCharacteristic(BaseModel):
    """Where to reach the customer; phone numbers and street addresses are masked."""

    contactType: str | None = None
    phoneNumber: str | None = None
    emailAddress: str | None = None
    street1: str | None = None
    city: str | None = None
    country: str | None = None


class ContactMedium(BaseModel):
    model_config = _REFS
    mediumType: Literal["mobile", "email", "postalAddress"]
    preferred: bool = False
    characteristic: MediumCharacteristic
    type_: str = Field("ContactMedium", alias="@type")


class PartyRef(BaseModel):
    model_config = _REFS
    id: str
    name: str
    type_: str = Field("PartyRef", alias="@type")
    referredType: str = Field(alias="@referredType")


class RelatedParty(BaseModel):
    """TMF v5 ``RelatedPartyOrPartyRole``: the account manager (客户经理) of a customer."""

    model_config = _REFS
    role: str
    partyOrPartyRole: PartyRef
    type_: str = Field("RelatedPartyOrPartyRole", alias="@type")


class AccountRef(BaseModel):
    model_config = _REFS
    id: str
    href: str
    name: str
    type_: str = Field("AccountRef", alias="@type")
    referredType: str = Field("BillingAccount", alias="@referredType")


class CustomerOut(BaseModel):
    """A customer as TMF629 v5 shows it. Attributes left out by ``fields=`` are absent."""

    model_config = _REFS
    id: str = Field(description="The customer number (客户编号), stable across systems.")
    href: str
    type_: str = Field("Customer", alias="@type")
    name: str | None = None
    status: str | None = Field(None, description="active, inactive (closed) or merged.")
    validFor: TimePeriod | None = None
    engagedParty: PartyRef | None = None
    contactMedium: list[ContactMedium] | None = None
    characteristic: list[Characteristic] | None = None
    relatedParty: list[RelatedParty] | None = None
    account: list[AccountRef] | None = None


#: The attributes ``fields=`` may name.
RESOURCE_FIELDS = {"name", "status", "validFor", "engagedParty", "contactMedium",
                   "characteristic", "relatedParty", "account"}


# --- characteristics: the TMF name, the model field, who has it, how it is checked ----------

_CHOICES = {
    "segment": set(Segment.values), "gender": set(Gender.values),
    "industry": set(Industry.values), "size": set(EnterpriseSize.values),
}
#: TMF characteristic name -> model field. The rest of the record is not a characteristic.
CHARACTERISTIC_FIELDS = {
    "kind": "kind", "segment": "segment", "region": "region", "idNumber": "id_number",
    "gender": "gender", "creditCode": "credit_code", "industry": "industry", "size": "size",
    "parentCustomer": "parent", "competitorPresence": "competitor_presence",
}
_READ_ONLY = {"kind"}
_INDIVIDUAL_ONLY = {"idNumber", "gender"}
_ENTERPRISE_ONLY = {"creditCode", "industry", "size", "parentCustomer", "competitorPresence"}
_MAX_LENGTH = {"region": 16, "parentCustomer": 20, "competitorPresence": 200}


def _invalid(field: str, reason: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", "{reason}", {"field": field, "reason": reason})


def _check_value(name: str, value: str) -> None:
    if name == "idNumber" and (why := id_number_error(value)):
        raise _invalid(name, why)
    if name == "creditCode" and (why := uscc_error(value)):
        raise _invalid(name, why)
    if name in _CHOICES and value not in _CHOICES[name]:
        raise _invalid(name, f"must be one of {', '.join(sorted(_CHOICES[name]))}")
    if len(value) > _MAX_LENGTH.get(name, 200):
        raise _invalid(name, f"at most {_MAX_LENGTH.get(name, 200)} characters")


def kind_rule_error(kind: str, names: set[str]) -> tuple[str, str] | None:
    """A characteristic that does not apply to this kind of party: an individual has no
    credit code, an enterprise no resident ID number (domain.md section 1, parties)."""
    wrong = _ENTERPRISE_ONLY if kind == CustomerKind.INDIVIDUAL else _INDIVIDUAL_ONLY
    clash = sorted(names & wrong)
    if clash:
        return clash[0], f"does not apply to an {kind} customer"
    return None


class CharacteristicIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    value: str | None = Field(None, description="null clears the value (merge-patch).")


class ContactMediumIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    mediumType: str
    characteristic: MediumCharacteristic


def _characteristics(items: list[CharacteristicIn]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for item in items:
        if item.name not in CHARACTERISTIC_FIELDS:
            raise _invalid(item.name, f"unknown characteristic (known: {', '.join(CHARACTERISTIC_FIELDS)})")
        if item.name in _READ_ONLY:
            raise _invalid(item.name, "read-only: it follows from engagedParty.@referredType")
        value = (item.value or "").strip() or None
        if value is not None:
            _check_value(item.name, value)
        out[item.name] = value
    return out


def _contact_fields(items: list[ContactMediumIn]) -> dict[str, str | None]:
    """Email and postal address are edited here; phone numbers are lines (subscriptions)
    and change only through provisioning, never through a customer edit."""
    out: dict[str, str | None] = {}
    for item in items:
        c = item.characteristic
        if item.mediumType == "email":
            value = (c.emailAddress or "").strip() or None
            if value is not None:
                try:
                    validate_email(value)
                except DjangoValidationError:
                    raise _invalid("emailAddress", "not a valid email address") from None
            out["email"] = value
        elif item.mediumType == "postalAddress":
            value = (c.street1 or "").strip() or None
            if value is not None and len(value) > 200:
                raise _invalid("street1", "at most 200 characters")
            out["address"] = value
        else:
            raise _invalid(
                "mediumType", "only email and postalAddress can be set; phone numbers are lines"
            )
    return out


class _CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    type_: Literal["Customer"] | None = Field(None, alias="@type")
    characteristic: list[CharacteristicIn] = Field(default_factory=list)
    contactMedium: list[ContactMediumIn] = Field(
        default_factory=list, description="email and postalAddress; phone numbers are lines."
    )
    validFor: TimePeriod | None = None

    @field_validator("characteristic")
    @classmethod
    def _check_characteristics(cls, items: list[CharacteristicIn]) -> list[CharacteristicIn]:
        _characteristics(items)
        return items

    @field_validator("contactMedium")
    @classmethod
    def _check_contact_media(cls, items: list[ContactMediumIn]) -> list[ContactMediumIn]:
        _contact_fields(items)
        return items

    def characteristic_values(self) -> dict[str, str | None]:
        """TMF name -> value (None to clear) of the characteristics sent."""
        return _characteristics(self.characteristic)

    def contact_values(self) -> dict[str, str | None]:
        """Model field (email, address) -> value (None to clear) of the media sent."""
        return _contact_fields(self.contactMedium)

    def since(self) -> dt.date | None:
        start = self.validFor.startDateTime if self.validFor else None
        return start.date() if start else None


class EngagedPartyIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    referredType: Literal["Individual", "Organization"] = Field(alias="@referredType")


class CustomerCreate(_CustomerIn):
    """A new customer. Individuals register with a resident ID number (real-name
    registration, 实名制), enterprises with their Unified Social Credit Code; both need a
    region, the branch that serves them."""

    name: str = Field(min_length=1, max_length=120)
    engagedParty: EngagedPartyIn

    @model_validator(mode="after")
    def _rules_of_kind(self) -> CustomerCreate:
        kind = self.kind()
        given = {k for k, v in self.characteristic_values().items() if v is not None}
        if (clash := kind_rule_error(kind, given)) is not None:
            raise _invalid(f"characteristic.{clash[0]}", clash[1])
        required = ["region", "idNumber" if kind == CustomerKind.INDIVIDUAL else "creditCode"]
        for name in required:
            if name not in given:
                raise _invalid(f"characteristic.{name}", f"required for an {kind} customer")
        return self

    def kind(self) -> str:
        if self.engagedParty.referredType == "Individual":
            return CustomerKind.INDIVIDUAL
        return CustomerKind.ENTERPRISE


class CustomerPatch(_CustomerIn):
    """A JSON merge patch (RFC 7396): attributes left out are unchanged, null clears.

    One deviation, so that a patch cannot wipe a record by accident: ``characteristic`` and
    ``contactMedium`` items are merged by name (and medium type) instead of replacing the
    whole list; items not sent keep their values.
    """

    name: str | None = Field(None, min_length=1, max_length=120)
    status: Literal["active", "inactive"] | None = Field(
        None, description="inactive closes the customer; customers are never deleted."
    )

    @field_validator("name", "status")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be cleared")
        return value

