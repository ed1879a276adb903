"""Customer services: reveal of personal data with its audit entry."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.masking import PII_FIELDS
from telcrm.core.models import AuditAction, AuditEntry
from telcrm.customers.models import Customer, Subscription


def _raw_value(customer: Customer, field: str, msisdn: str | None) -> str:
    if field == "phone":
        sub = Subscription.objects.filter(customer=customer, msisdn=msisdn).first()
        if sub is None:
            raise ValidationFailed("phone: no such line of this customer")
        return sub.msisdn
    return str(getattr(customer, field) or "")


def reveal_field(
    actor: User, *, customer: Customer, field: str, reason: str, msisdn: str | None = None
) -> str:
    """Return one personal-data field unmasked and write the reveal to the audit log.

    The caller has already scoped ``customer`` through ``visible_customers``. The reveal and
    its audit entry are one transaction: no value is shown without its record.
    """
    if field not in PII_FIELDS:
        raise ValidationFailed(f"field: {field} is not a personal-data field")
    if not actor.has_perm("core.reveal_pii"):
        raise PermissionDenied("your role may not reveal personal data")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed("reason: state why you need to see this value (at least 4 characters)")
    with transaction.atomic():
        value = _raw_value(customer, field, msisdn)
        AuditEntry.objects.create(
            actor=actor, action=AuditAction.REVEAL, subject_type="customer",
            subject_id=customer.customer_no, field=field, reason=reason,
            detail={"msisdn_masked": msisdn[:3] + "****" + msisdn[-4:]} if msisdn else {},
        )
    return value
