"""Monthly bill and usage summaries and payments: the database side of the lake.

The lake (Parquet by month) holds the same bills and usage for the analytics pipeline;
these tables serve the screens (a customer's last 24 months) and arrears.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from telcrm.customers.models import Account, PaymentMethod, Subscription

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BILL_CATEGORIES = ("plan_fee", "voice", "data", "sms", "vas", "roaming", "discount")


def _money(label: StrOrPromise) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=0)


class BillSummary(models.Model):
    """One subscription's bill for one month, by charge category (discount is negative)."""

    # No index of its own: the unique (subscription, month) constraint's index serves every
    # lookup by subscription, and one B-tree fewer is a faster import of millions of bills.
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="bills", db_index=False)
    month = models.DateField(_("month"), help_text="first day of the billed month")
    plan_fee = _money(_("plan"))
    voice = _money(_("voice"))
    data = _money(_("data"))
    sms = _money(_("SMS"))
    vas = _money(_("value-added / SP"))
    roaming = _money(_("roaming"))
    discount = _money(_("discount"))
    total = _money(_("total"))

    class Meta:
        verbose_name = _("bill")
        constraints = [models.UniqueConstraint(fields=["subscription", "month"], name="one_bill_per_month")]
        # Month-wide figures (ARPU, revenue by brand) read one month of every line.
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.month:%Y-%m} {self.total}"


class UsageSummary(models.Model):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="usage", db_index=False)
    month = models.DateField(_("month"))
    voice_minutes = models.PositiveIntegerField(_("voice minutes"), default=0)
    data_mb = models.PositiveIntegerField(_("data (MB)"), default=0)
    sms_count = models.PositiveIntegerField(_("SMS"), default=0)
    competitor_calls = models.PositiveIntegerField(_("calls to competitor networks"), default=0)
    competitor_minutes = models.PositiveIntegerField(_("minutes to competitor networks"), default=0)

    class Meta:
        verbose_name = _("usage")
        constraints = [models.UniqueConstraint(fields=["subscription", "month"], name="one_usage_per_month")]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.month:%Y-%m}"


class Payment(models.Model):
    payment_no = models.CharField(_("payment number"), max_length=24, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="payments")
    paid_at = models.DateTimeField(_("paid at"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)

    class Meta:
        verbose_name = _("payment")
        indexes = [models.Index(fields=["account", "-paid_at"])]

    def __str__(self) -> str:
        return self.payment_no
