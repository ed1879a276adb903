"""The one policy function that scopes every read of customer data (architecture.md, 3).

Every list, page, API response and export of customers starts from ``visible_customers``;
a customer outside it is "not found" for that user, never "forbidden", so its existence
does not leak.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from telcrm.core.errors import NotFound
from telcrm.core.masking import MASKERS
from telcrm.customers.models import Customer, CustomerStatus

User = AbstractBaseUser | AnonymousUser


def visible_customers(user: User) -> QuerySet[Customer]:
    base = Customer.objects.exclude(status=CustomerStatus.MERGED)
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.has_perm("core.view_all_customers"):
        return base
    if user.has_perm("core.view_own_enterprises"):
        return base.filter(account_manager=user)
    if user.has_perm("core.view_region_customers"):
        region_id = getattr(getattr(user, "profile", None), "region_id", None)
        return base.filter(region_id=region_id) if region_id else base.none()
    return base.none()


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
