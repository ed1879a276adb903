"""Edits of customers and enterprises with their field history (字段变更历史).

Every change of a customer field is recorded as one ``core.FieldChange``: who, when, from
what to what, and through which channel (web, api, import, merge). Personal-data values
(ID number, address) are stored masked, so the history leaks nothing the masked screens
would not show (domain.md section 1, access by permission level).

Edits use optimistic locking on ``Customer.version``: two agents editing the same record
never silently overwrite each other; the second one gets a ``Conflict`` and reloads.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from telcrm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from telcrm.core.masking import MASKERS
from telcrm.core.models import FieldChange
from telcrm.customers.models import Customer, CustomerStatus
from telcrm.customers.policy import can_edit, visible_customers

#: Fields a user may change. The natural key, the kind and the merge bookkeeping are not
#: edits: a customer number identifies the record in every file and audit entry, and a
#: merge goes through ``duplicates.merge_customers`` with its own audit entry.
EDITABLE_FIELDS = frozenset({
    "name", "status", "region", "segment", "email", "since", "id_number", "birth_date",
    "gender", "address", "credit_code", "industry", "parent", "size", "account_manager",
    "strategic_notes", "competitor_presence",
})


def customer_field(name: str) -> models.Field:
    """A concrete field of ``Customer`` (``get_field`` may also return reverse relations)."""
    return cast(models.Field, Customer._meta.get_field(name))


def display_value(field: models.Field, value: object) -> str:
    """The text stored in the history: natural keys for relations, masked personal data."""
    if value is None or value == "":
        return ""
    if field.is_relation:
        if isinstance(value, Customer):
            return value.customer_no
        natural = getattr(value, "code", None) or getattr(value, "get_username", lambda: None)()
        return str(natural or value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    masker = MASKERS.get(field.name)
    return masker(text) if masker else text


def _coerce(field: models.Field, value: object) -> object:
    """Accept a related object or its primary key for relations, text for dates and codes."""
    try:
        if field.is_relation:
            if value is None or value == "" or isinstance(value, models.Model):
                return value or None
            return cast(type[models.Model], field.related_model)._default_manager.get(pk=value)
        if value is None or value == "":  # a blank form field or API value is "no value"
            return None if field.null else ""
        return field.to_python(value)
    except (ValidationError, ValueError, TypeError, models.ObjectDoesNotExist) as exc:
        raise ValidationFailed(f"{field.name}: {_message(exc)}") from exc


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    if isinstance(exc, models.ObjectDoesNotExist):
        return "no such record"
    return str(exc)


def _check_rules(customer: Customer, changed: set[str]) -> None:
    """Rules the model fields cannot express on their own."""
    if "status" in changed and customer.status == CustomerStatus.MERGED:
        raise ValidationFailed("status: a record becomes merged only through a merge")
    if "parent" in changed and customer.parent_id is not None:
        ancestor: Customer | None = customer.parent
        while ancestor is not None:
            if ancestor.pk == customer.pk:
                raise ValidationFailed("parent: an enterprise cannot be its own (indirect) parent")
            ancestor = ancestor.parent


def update_customer(
    actor: User,
    *,
    customer: Customer,
    changes: dict[str, object],
    expected_version: int | None = None,
    source: str = "web",
) -> Customer:
    """Apply ``changes`` to a customer, recording one history row per field that changed.

    The row is re-read under a lock, so the "old" values in the history are the stored
    ones, not those of a stale copy in the caller's hands. ``expected_version`` is the
    version the user saw when the form or API resource was loaded; a mismatch means
    somebody else saved in between (Conflict, HTTP 409). An edit that changes nothing
    neither bumps the version nor writes history. The caller owns the transaction; the
    inner atomic block only makes this one edit all-or-nothing within it.
    """
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: this field cannot be edited")
    if not can_edit(actor, customer):
        raise PermissionDenied("your role may not edit this customer")
    with transaction.atomic():
        current = Customer.objects.select_for_update().get(pk=customer.pk)
        if expected_version is not None and expected_version != current.version:
            raise Conflict(
                f"customer {current.customer_no} was changed by someone else "
                f"(version {current.version}, you edited version {expected_version})"
            )
        history: list[FieldChange] = []
        changed: set[str] = set()
        for name, raw in changes.items():
            field = customer_field(name)
            new = _coerce(field, raw)
            old = getattr(current, name)
            if old == new:
                continue
            changed.add(name)
            history.append(FieldChange(
                actor=actor if actor.is_authenticated else None, subject_type="customer",
                subject_id=current.customer_no, field=name, source=source,
                old_value=display_value(field, old), new_value=display_value(field, new),
            ))
            setattr(current, name, new)
        if not changed:
            return current
        try:
            exclude = [f.name for f in Customer._meta.concrete_fields if f.name not in changed]
            current.full_clean(exclude=exclude)
        except ValidationError as exc:
            field_name, messages = next(iter(exc.message_dict.items()))
            raise ValidationFailed(f"{field_name}: {'; '.join(messages)}") from exc
        _check_rules(current, changed)
        current.version += 1
        current.updated_at = timezone.now()
        current.save(update_fields=[*sorted(changed), "version", "updated_at"])
        FieldChange.objects.bulk_create(history)
    return current


def field_history(actor: User, *, customer: Customer) -> list[FieldChange]:
    """The history of a customer, newest first, for anyone who may see the customer.

    A customer outside the actor's scope is "not found" (policy.py), so the history does
    not reveal that the record exists. The history of records merged into this one is
    part of it: a merge keeps everything of both records (issue 2). A merge re-points
    earlier merges at the survivor, so one level of ``merged_from`` is all there is.
    """
    if not visible_customers(actor).filter(pk=customer.pk).exists():
        raise NotFound(f"customer {customer.customer_no} not found")
    numbers = Customer.objects.filter(Q(pk=customer.pk) | Q(merged_into=customer)).values(
        "customer_no")
    return list(
        FieldChange.objects.filter(subject_type="customer", subject_id__in=numbers)
        .select_related("actor")
        .order_by("-at", "-id")
    )
