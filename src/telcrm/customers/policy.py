"""The one policy function that scopes every read of customer data (architecture.md, 3).

Every list, page, API response and export of customers starts from ``visible_customers``;
a customer outside it is "not found" for that user, never "forbidden", so its existence
does not leak.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import Q, QuerySet

from telcrm.core.errors import NotFound
from telcrm.core.masking import MASKERS
from telcrm.customers.models import Customer, CustomerStatus

User = AuthUser | AnonymousUser


def customer_scope(user: User, *, via: str = "") -> Q:
    """The user's scope as a condition on customers, or on the customer of related rows
    (``via="customer"`` for a table of per-customer results). Such a table is then
    filtered by a join, which lets the database walk the table's own indexes, instead of
    by the list of every visible customer's id."""
    prefix = f"{via}__" if via else ""
    live = ~Q(**{f"{prefix}status": CustomerStatus.MERGED})
    nobody = Q(pk__in=[])
    if not user.is_authenticated or not user.is_active:
        return nobody
    if user.has_perm("core.view_all_customers"):
        return live
    if user.has_perm("core.view_own_enterprises"):
        return live & Q(**{f"{prefix}account_manager": user})
    if user.has_perm("core.view_region_customers"):
        region_id = getattr(getattr(user, "profile", None), "region_id", None)
        return live & Q(**{f"{prefix}region_id": region_id}) if region_id else nobody
    return nobody


def visible_customers(user: User) -> QuerySet[Customer]:
    return Customer.objects.filter(customer_scope(user))


def get_visible_customer(user: User, customer_no: str) -> Customer:
    customer = visible_customers(user).filter(customer_no=customer_no).first()
    if customer is None:
        raise NotFound(f"customer {customer_no} not found")
    return customer


def can_edit(user: User, customer: Customer) -> bool:
    """Edit rights follow the scope; an account manager edits only its own enterprises."""
    return bool(user.has_perm("customers.change_customer")) and visible_customers(user).filter(
        pk=customer.pk
    ).exists()


def shown(value: str | None, field: str) -> str:
    """A personal-data value as every role sees it by default: masked."""
    return MASKERS[field](value)
