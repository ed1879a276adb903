"""Parties, accounts, subscriptions, enterprise services and interactions (domain.md section 1).

An individual and an enterprise customer share one table (``Customer.kind``): the 360 view,
search, the TMF629 API and merges treat both alike, and the fields that apply to one kind
only are blank for the other.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from telcrm.core.models import Region
from telcrm.core.validators import validate_id_number, validate_mobile, validate_uscc


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("individual")
    ENTERPRISE = "enterprise", _("enterprise")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    INACTIVE = "inactive", _("inactive")
    MERGED = "merged", _("merged")


class Gender(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Segment(models.TextChoices):
    MASS = "mass", _("mass market")
    YOUTH = "youth", _("youth")
    BUSINESS = "business", _("business people")
    FAMILY = "family", _("family")
    SENIOR = "senior", _("senior")
    ENTERPRISE = "enterprise", _("enterprise")


class Industry(models.TextChoices):
    FINANCE = "finance", _("finance")
    GOVERNMENT = "government", _("government")
    MANUFACTURING = "manufacturing", _("manufacturing")
    RETAIL = "retail", _("retail")
    LOGISTICS = "logistics", _("logistics")
    EDUCATION = "education", _("education")
    HEALTH = "health", _("health care")
    IT = "it", _("information technology")
    ENERGY = "energy", _("energy")
    HOSPITALITY = "hospitality", _("hospitality")


class EnterpriseSize(models.TextChoices):
    SMALL = "small", _("small")
    MEDIUM = "medium", _("medium")
    LARGE = "large", _("large")
    GROUP = "group", _("group")


class Customer(models.Model):
    customer_no = models.CharField(_("customer number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CustomerKind.choices)
    name = models.CharField(_("name"), max_length=120, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    segment = models.CharField(_("segment"), max_length=12, choices=Segment.choices, blank=True)
    email = models.EmailField(_("email"), blank=True)
    since = models.DateField(_("customer since"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    # Individuals (real-name registration).
    id_number = models.CharField(
        _("ID number"), max_length=18, blank=True, db_index=True, validators=[validate_id_number]
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Enterprises.
    credit_code = models.CharField(
        _("Unified Social Credit Code"), max_length=18, blank=True, db_index=True,
        validators=[validate_uscc],
    )
    industry = models.CharField(_("industry"), max_length=16, choices=Industry.choices, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent enterprise"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="children",
    )
    size = models.CharField(_("size"), max_length=8, choices=EnterpriseSize.choices, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="managed_customers",
    )
    strategic_notes = models.TextField(_("strategic notes"), blank=True)
    competitor_presence = models.CharField(_("competitor presence"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["customer_no"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # Scoped lists filter on status (merged records are hidden) and region, ordered by
        # number; the indexes let SQLite count and page them without reading every row.
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["region", "status", "customer_no"]),
            models.Index(fields=["account_manager"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer_no})"


class DecisionPower(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("decision maker")
    INFLUENCER = "influencer", _("influencer")
    USER = "user", _("user")


class Contact(models.Model):
    """A person at an enterprise customer, with the role they play in its decisions."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=80)
    title = models.CharField(_("role"), max_length=80, blank=True)
    decision_power = models.CharField(
        _("decision power"), max_length=16, choices=DecisionPower.choices, default=DecisionPower.USER
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_mobile])
    email = models.EmailField(_("email"), blank=True)

    def __str__(self) -> str:
        return self.name


class CreditClass(models.TextChoices):
    A = "A", _("A (excellent)")
    B = "B", _("B (good)")
    C = "C", _("C (normal)")
    D = "D", _("D (watch)")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("cash")
    BANK_DEBIT = "bank_debit", _("bank debit")
    ONLINE = "online", _("online payment")
    PREPAID_CARD = "prepaid_card", _("top-up card")


class Account(models.Model):
    """A billing account; ``balance`` below zero is arrears (欠费)."""

    account_no = models.CharField(_("account number"), max_length=20, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="accounts")
    credit_class = models.CharField(_("credit class"), max_length=1, choices=CreditClass.choices)
    credit_limit = models.DecimalField(_("credit limit"), max_digits=12, decimal_places=2, default=0)
    payment_method = models.CharField(_("payment method"), max_length=16, choices=PaymentMethod.choices)
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=2, default=0)
    arrears_since = models.DateField(_("in arrears since"), null=True, blank=True)

    class Meta:
        verbose_name = _("account")

    def __str__(self) -> str:
        return self.account_no


class Brand(models.TextChoices):
    GOTONE = "gotone", _("GoTone (全球通)")
    EASYOWN = "easyown", _("EasyOwn (神州行)")
    MZONE = "mzone", _("M-Zone (动感地带)")


class PaymentType(models.TextChoices):
    PREPAID = "prepaid", _("prepaid")
    POSTPAID = "postpaid", _("postpaid")


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    CLOSED = "closed", _("closed")


class Plan(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=80)
    brand = models.CharField(_("brand"), max_length=10, choices=Brand.choices)
    monthly_fee = models.DecimalField(_("monthly fee"), max_digits=8, decimal_places=2)

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """A line: the phone number is unique among lines that are not closed."""

    msisdn = models.CharField(_("phone number"), max_length=11, validators=[validate_mobile])
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="subscriptions")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="subscriptions")
    payment_type = models.CharField(_("payment type"), max_length=8, choices=PaymentType.choices)
    brand = models.CharField(_("brand"), max_length=10, choices=Brand.choices)
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=10, choices=SubscriptionStatus.choices)
    status_date = models.DateField(_("status since"))
    status_reason = models.CharField(_("status reason"), max_length=40, blank=True)
    activated_on = models.DateField(_("activated on"))
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("subscription")
        constraints = [
            models.UniqueConstraint(
                fields=["msisdn"], condition=~Q(status="closed"), name="msisdn_unique_among_open_lines"
            )
        ]
        indexes = [models.Index(fields=["msisdn"]), models.Index(fields=["customer", "status"])]

    def __str__(self) -> str:
        return self.msisdn


class CircuitKind(models.TextChoices):
    DIGITAL = "digital", _("digital circuit")
    DDN = "ddn", _("DDN")
    FR_ATM = "fr_atm", _("frame relay / ATM")
    INTERNET = "internet", _("internet line")


class EnterpriseService(models.Model):
    """A circuit of an enterprise customer between two sites."""

    service_no = models.CharField(_("service number"), max_length=20, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField(_("kind"), max_length=10, choices=CircuitKind.choices)
    bandwidth_kbps = models.PositiveIntegerField(_("bandwidth (kbit/s)"))
    site_a = models.CharField(_("site A"), max_length=120)
    site_b = models.CharField(_("site B"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=SubscriptionStatus.choices)
    activated_on = models.DateField(_("activated on"))
    monthly_fee = models.DecimalField(_("monthly fee"), max_digits=10, decimal_places=2)
    one_time_fee = models.DecimalField(_("one-time fee"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("enterprise service")

    def __str__(self) -> str:
        return self.service_no


class Channel(models.TextChoices):
    CALL_CENTRE = "call_centre", _("call centre")
    BUSINESS_HALL = "business_hall", _("business hall")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("email")
    WEB = "web", _("web")
    APP = "app", _("app")
    LETTER = "letter", _("letter")
    VISIT = "visit", _("visit")


class Direction(models.TextChoices):
    INBOUND = "in", _("inbound")
    OUTBOUND = "out", _("outbound")


class InteractionTopic(models.TextChoices):
    COMPLAINT = "complaint", _("complaint")
    INQUIRY = "inquiry", _("inquiry")
    BILLING = "billing", _("billing")
    FAULT = "fault", _("fault report")
    TERMINATION_REQUEST = "termination_request", _("termination request")
    PLAN_CHANGE = "plan_change", _("plan change")
    CARE = "care", _("care contact")


class InteractionOutcome(models.TextChoices):
    RESOLVED = "resolved", _("resolved")
    ESCALATED = "escalated", _("escalated")
    PENDING = "pending", _("pending")
    RETAINED = "retained", _("retained")


class Interaction(models.Model):
    """Every contact with a customer, on any channel, shown as one timeline."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    occurred_at = models.DateTimeField(_("time"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    topic = models.CharField(_("topic"), max_length=40, choices=InteractionTopic.choices)
    outcome = models.CharField(_("outcome"), max_length=40, choices=InteractionOutcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    external_id = models.CharField(max_length=40, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("interaction")
        indexes = [models.Index(fields=["customer", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.channel} {self.topic}"
