"""Value results of the nightly run, one row per line or enterprise and month, so a
customer page shows how tier and value moved (issue 3, "Value and tiers"), and the
versioned rule sets that produced them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from telcrm.customers.models import Customer, Subscription

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class RuleKind(models.TextChoices):
    SEGMENTS = "segments", _("individual value segments")
    GRADES = "grades", _("enterprise grades 1A-5A")
    WARNINGS = "warnings", _("churn warning rules")
    VALUE = "value", _("value and lifetime value")


class Segment(models.TextChoices):
    VIP = "vip", _("VIP")
    GROWTH = "growth", _("growth")
    MASS = "mass", _("mass")


class Grade(models.TextChoices):
    A1 = "1A", "1A"
    A2 = "2A", "2A"
    A3 = "3A", "3A"
    A4 = "4A", "4A"
    A5 = "5A", "5A"


class RuleSet(models.Model):
    """One version of a rule set (thresholds as JSON, the ``to_dict`` of the analytics
    dataclasses). Never edited in place: saving new thresholds adds a version, and the
    newest version of a kind is the one the nightly run applies."""

    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    version = models.CharField(_("version"), max_length=40)
    rules = models.JSONField(_("rules"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("rule set")
        ordering = ["kind", "-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="one_rule_version_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.version}"


def _money(label: StrOrPromise, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class LineValue(models.Model):
    """A line's segment and value for one month (the nightly run's ``as_of``)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="values")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="line_values")
    month = models.DateField(_("month"))
    segment = models.CharField(_("segment"), max_length=8, choices=Segment.choices)
    rule_version = models.CharField(_("rule version"), max_length=40)
    revenue = _money(_("monthly revenue"))
    margin = _money(_("monthly margin"))
    additional_value = _money(_("additional value"), default=0)
    potential_value = _money(_("potential value"), default=0)
    lifetime_value = _money(_("lifetime value"), null=True, blank=True)
    expected_lifetime_months = models.FloatField(_("expected residual lifetime (months)"), null=True, blank=True)

    class Meta:
        verbose_name = _("line value")
        constraints = [models.UniqueConstraint(fields=["subscription", "month"], name="one_line_value_per_month")]
        indexes = [models.Index(fields=["month", "segment"]), models.Index(fields=["customer", "month"])]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.month:%Y-%m} {self.segment}"


class EnterpriseValue(models.Model):
    """An enterprise customer's grade (1A-5A), its star service level and value for a month."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="enterprise_values")
    month = models.DateField(_("month"))
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices)
    stars = models.PositiveSmallIntegerField(_("service stars"))
    rule_version = models.CharField(_("rule version"), max_length=40)
    revenue = _money(_("monthly revenue"))
    lines_revenue = _money(_("lines revenue"), default=0)
    circuits_revenue = _money(_("circuits revenue"), default=0)
    margin = _money(_("monthly margin"), default=0)
    additional_value = _money(_("additional value"), default=0)
    potential_value = _money(_("potential value"), default=0)
    lifetime_value = _money(_("lifetime value"), null=True, blank=True)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    circuits = models.PositiveIntegerField(_("circuits"), default=0)

    class Meta:
        verbose_name = _("enterprise value")
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="one_enterprise_value_per_month")]
        indexes = [models.Index(fields=["month", "grade"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m} {self.grade}"


class TierChange(models.Model):
    """A segment or grade that differs from the previous month's, with the rule version that
    made the new one (issue 3: "Tier changes are recorded with the rule version")."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="tier_changes"
    )
    month = models.DateField(_("month"))
    previous = models.CharField(_("previous tier"), max_length=8, blank=True)
    tier = models.CharField(_("tier"), max_length=8)
    rule_version = models.CharField(_("rule version"), max_length=40)

    class Meta:
        verbose_name = _("tier change")
        ordering = ["-month", "id"]
        indexes = [models.Index(fields=["customer", "-month"]), models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m} {self.previous}->{self.tier}"
