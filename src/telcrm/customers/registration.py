"""Registering a new customer outside a bulk import (开户登记): from the API or a form.

Imports bring customers with the numbers the operator's billing system gave them; a
customer registered here gets a number of its own series (``CN`` + 10 digits), so the two
never collide.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.models import Region
from telcrm.customers.models import Customer, CustomerKind

User = AuthUser | AnonymousUser

NUMBER_PREFIX = "CN"


def _next_customer_no() -> str:
    """The next number of the series: the unique index on customer_no answers this with one
    index probe, not a scan."""
    last = (
        Customer.objects.filter(customer_no__startswith=NUMBER_PREFIX)
        .order_by("-customer_no").values_list("customer_no", flat=True).first()
    )
    tail = last[len(NUMBER_PREFIX):] if last else ""
    n = int(tail) + 1 if tail.isdigit() else 1
    return f"{NUMBER_PREFIX}{n:010d}"


def register_customer(
    actor: User,
    *,
    kind: CustomerKind | str,
    name: str,
    region: Region,
    segment: str = "",
    email: str = "",
    since: dt.date | None = None,
    id_number: str = "",
    gender: str = "",
    address: str = "",
    credit_code: str = "",
    industry: str = "",
    size: str = "",
    parent: Customer | None = None,
    competitor_presence: str = "",
) -> Customer:
    """Create a customer after the model's validators (ID number and credit code check
    characters, choices) pass; needs the ``customers.add_customer`` permission.

    The caller owns the transaction; two concurrent registrations that pick the same number
    retry with the next one (the savepoint keeps the caller's transaction usable).
    """
    if not actor.has_perm("customers.add_customer"):
        raise PermissionDenied("your role may not register customers")
    customer = Customer(
        kind=kind, name=name.strip(), region=region, segment=segment, email=email, since=since,
        id_number=id_number, gender=gender, address=address, credit_code=credit_code,
        industry=industry, size=size, parent=parent, competitor_presence=competitor_presence,
    )
    for _attempt in range(3):
        customer.customer_no = _next_customer_no()
        try:
            customer.full_clean()
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            if field == "customer_no":
                continue
            raise ValidationFailed(f"{field}: {'; '.join(messages)}") from exc
        try:
            with transaction.atomic():
                customer.save(force_insert=True)
        except IntegrityError:
            customer.pk = None
            continue
        return customer
    raise ValidationFailed("customer_no: no free customer number, try again")
