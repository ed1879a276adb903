"""Care products with single-use codes handed out at the desk: vouchers, QR-code
e-coupons, event tickets (domain.md section 4, care by product), issued to customers by
hand (a campaign issues its own as it sends, care/services.py), redeemed once at the
counter, and tracked per product. A redemption of a campaign's code is that campaign's
response, measured against control (care/effects.py). The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Count, Q

from telcrm.care.models import Campaign, CampaignResponse, CareProduct, ResponseKind, VoucherCode
from telcrm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from telcrm.customers.policy import visible_customers

#: Letters and digits a customer reads back over the phone without confusion (no 0/O, 1/I/L).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_code(product: CareProduct) -> str:
    """``PRODUCT-XXXXXXXXXX``: 31^10 (about 8e14) codes per product, drawn by the
    operating system's generator, so a code cannot be guessed from another."""
    return f"{product.code[:12].upper()}-" + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def valid_until(product: CareProduct, issued_at: dt.datetime) -> dt.datetime | None:
    """When a code issued at ``issued_at`` expires; None for a product without a limit."""
    return issued_at + dt.timedelta(days=product.valid_days) if product.valid_days else None


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied("your role may not do this")


def issue_vouchers(actor: User, *, product: CareProduct, customer_nos: Sequence[str], at: dt.datetime,
                   campaign: Campaign | None = None) -> list[VoucherCode]:
    """One code per customer; a customer who already holds an unredeemed code of the
    product (in the same campaign) keeps it, so issuing twice gives nobody two. Every
    customer number must be one the actor sees, or nothing is issued."""
    _require(actor, "care.add_vouchercode")
    if not product.active:
        raise ValidationFailed("product: the product is no longer issued")
    customers = {c.customer_no: c for c in visible_customers(actor).filter(customer_no__in=customer_nos)}
    missing = [no for no in customer_nos if no not in customers]
    if missing:
        raise NotFound(f"customers: not found {', '.join(missing[:10])}")
    held = {v.issued_to_id: v for v in VoucherCode.objects.filter(
        product=product, campaign=campaign, issued_to__in=customers.values(), redeemed_at__isnull=True)}
    expires = valid_until(product, at)
    out = []
    for no in dict.fromkeys(customer_nos):
        customer = customers[no]
        voucher = held.get(customer.pk)
        if voucher is None:
            voucher = VoucherCode.objects.create(product=product, code=new_code(product), campaign=campaign,
                                                 issued_to=customer, issued_at=at, expires_at=expires)
        out.append(voucher)
    return out


def redeem_voucher(actor: User, *, code: str, at: dt.datetime) -> VoucherCode:
    """Redeem a code once, recorded as its campaign's response (redemption) when it came
    with one. The row is locked, so two counters redeeming the same code at the same
    moment get one success and one "already redeemed"; a code of a customer outside the
    actor's scope is not found."""
    _require(actor, "care.change_vouchercode")
    voucher = (VoucherCode.objects.select_for_update().select_related("product")
               .filter(code=code.strip().upper()).first())
    if voucher is None or voucher.issued_to_id is None or not visible_customers(actor).filter(
            pk=voucher.issued_to_id).exists():
        raise NotFound("code: no such code")
    if voucher.redeemed_at is not None:
        raise Conflict(f"code: {voucher.code} was redeemed on {voucher.redeemed_at:%Y-%m-%d %H:%M}")
    if voucher.expires_at is not None and at >= voucher.expires_at:
        raise Conflict(f"code: {voucher.code} expired on {voucher.expires_at:%Y-%m-%d}")
    voucher.redeemed_at, voucher.redeemed_by = at, actor
    voucher.save(update_fields=["redeemed_at", "redeemed_by"])
    if voucher.campaign_id is not None:
        CampaignResponse.objects.create(campaign_id=voucher.campaign_id, customer_id=voucher.issued_to_id,
                                        kind=ResponseKind.REDEMPTION, at=at, amount=voucher.product.face_value)
    return voucher


@dataclass(frozen=True)
class ProductUse:
    product: CareProduct
    issued: int
    redeemed: int

    @property
    def redemption_rate(self) -> float | None:
        return self.redeemed / self.issued if self.issued else None


def product_uses() -> list[ProductUse]:
    """Issued and redeemed codes per product (tracking, domain.md section 4)."""
    products = CareProduct.objects.annotate(
        issued=Count("codes", filter=Q(codes__issued_to__isnull=False)),
        redeemed=Count("codes", filter=Q(codes__redeemed_at__isnull=False)))
    return [ProductUse(p, p.issued, p.redeemed) for p in products]  # type: ignore[attr-defined]

