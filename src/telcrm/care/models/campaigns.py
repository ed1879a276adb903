"""Saved audiences, templates, care products and campaigns with their control groups,
responses and programme feedback (domain.md section 4)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from telcrm.care.choices import (
    CampaignStatus,
    Channel,
    Group,
    ProductKind,
    Purpose,
    ResponseKind,
)
from telcrm.customers.models import Customer

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_USER = settings.AUTH_USER_MODEL


def _money(label: StrOrPromise, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class Audience(models.Model):
    """A saved audience: filters (JSON, the shape analytics/audiences.py compiles) over
    customer attributes and nightly results, evaluated afresh each time it is used."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    filters = models.JSONField(_("filters"), default=dict)
    owner = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    last_count = models.PositiveIntegerField(_("last count"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("audience")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Template(models.Model):
    """Message content in Chinese and English with variables ({{ name }}, {{ plan }},
    {{ points }}, {{ amount_due }}), rendered safely by care/channels/render.py."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=200, blank=True)
    body_zh = models.TextField(_("body (Chinese)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("body (English)"), blank=True)

    class Meta:
        verbose_name = _("template")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CareProduct(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=14, choices=ProductKind.choices)
    description = models.TextField(_("description"), blank=True)
    face_value = _money(_("face value"), default=Decimal("0"))
    unit_cost = _money(_("unit cost"), default=Decimal("0"))
    valid_days = models.PositiveIntegerField(_("valid for (days)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("care product")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A care or marketing campaign. Marketing needs a manager's approval before any send
    (issue 4); ``control_share`` of the audience is drawn at random into control first."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    description = models.TextField(_("description"), blank=True)
    audience = models.ForeignKey(Audience, null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns")
    product = models.ForeignKey(CareProduct, null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns")
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    budget = _money(_("budget"), default=Decimal("0"))
    cost_per_contact = _money(_("cost per contact"), default=Decimal("0"))
    value_per_response = _money(_("value per response"), default=Decimal("0"))
    control_share = models.DecimalField(
        _("control share"), max_digits=4, decimal_places=3, default=Decimal("0.100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.9"))],
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=5, help_text=_("1 is highest; wins when campaigns want the same customer")
    )
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    owner = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("control group drawn at"), null=True, blank=True)
    seed = models.BigIntegerField(_("draw seed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_campaign", "Can approve a marketing campaign"),
            ("run_campaign", "Can start, pause and finish a campaign"),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignStep(models.Model):
    """One step of a campaign's channel plan: on ``delay_days`` after the start, send
    ``template`` on ``channel`` (e.g. an SMS, then an email a week later)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField(_("step"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+")
    delay_days = models.PositiveSmallIntegerField(_("delay (days)"), default=0)

    class Meta:
        ordering = ["campaign", "number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="one_step_number_per_campaign")]

    def __str__(self) -> str:
        return f"{self.campaign_id} #{self.number} {self.channel}"


class CampaignMember(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="campaign_memberships")
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)
    step = models.PositiveSmallIntegerField(_("last step done"), default=0)
    drawn_at = models.DateTimeField(_("drawn at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="one_membership_per_campaign")]
        indexes = [models.Index(fields=["campaign", "group"])]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.customer_id} {self.group}"


class CampaignResponse(models.Model):
    """A member's response (redemption, plan change, top-up, reply), treatment or control
    alike, so the effect is measured against control."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="responses")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=ResponseKind.choices)
    at = models.DateTimeField(_("at"))
    amount = _money(_("amount"), default=Decimal("0"))

    class Meta:
        indexes = [models.Index(fields=["campaign", "customer"])]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.customer_id} {self.kind}"


class ProgrammeFeedback(models.Model):
    """What a surveyed member of the target group said (domain.md section 4: awareness
    and satisfaction of the target customers), from a call or a survey."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="feedback")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    aware = models.BooleanField(_("aware of the programme"))
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="one_feedback_per_member")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.customer_id}"


class VoucherCode(models.Model):
    """A single-use code of a care product, issued to one customer and redeemed once."""

    product = models.ForeignKey(CareProduct, on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(_("code"), max_length=24, unique=True)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="codes")
    issued_to = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="vouchers")
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    redeemed_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("voucher code")
        indexes = [models.Index(fields=["issued_to"])]

    def __str__(self) -> str:
        return self.code
