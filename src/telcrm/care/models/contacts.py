"""Who may be contacted: consent, opt-outs, do-not-contact, the global holdout and the
customer's language (issue 4, "Contact policy")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from telcrm.care.choices import (
    Channel,
    ConsentSource,
    Language,
    Purpose,
)
from telcrm.customers.models import Customer

_USER = settings.AUTH_USER_MODEL


class ContactProfile(models.Model):
    """The language a customer reads (templates exist in Chinese and English). The time
    zone for quiet hours is the customer's region's."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="contact_profile")
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS)

    def __str__(self) -> str:
        return f"{self.customer_id} {self.language}"


class Consent(models.Model):
    """One grant or withdrawal of marketing consent on a channel, never edited: the newest
    row per customer and channel is in force, so a withdrawal counts from the moment it
    is recorded, with its source and time kept for proof."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)
    at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("consent")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "channel", "-at"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel} {'granted' if self.granted else 'withdrawn'} {self.at:%Y-%m-%d}"


class OptOut(models.Model):
    """The customer asked for no more marketing on a channel (a reply of TD or 退订, an
    unsubscribe link). Care about the customer's own account still goes through."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="opt_outs")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)
    at = models.DateTimeField(_("opted out at"))

    class Meta:
        verbose_name = _("opt-out")
        constraints = [models.UniqueConstraint(fields=["customer", "channel"], name="one_opt_out_per_channel")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel}"


class DoNotContact(models.Model):
    """A customer nobody may contact with marketing on any channel (regulator's list, a
    complaint about harassment)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="do_not_contact")
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("listed at"))
    added_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("do-not-contact entry")
        verbose_name_plural = _("do-not-contact list")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason}"


class HoldoutMember(models.Model):
    """The global random holdout: customers who receive no marketing at all, so the
    programme as a whole can be measured against them."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="holdout")
    drawn_at = models.DateTimeField(_("drawn at"))
    draw = models.CharField(_("draw"), max_length=40, help_text=_("label and seed of the draw"))

    class Meta:
        verbose_name = _("holdout member")

    def __str__(self) -> str:
        return f"{self.customer_id} ({self.draw})"
