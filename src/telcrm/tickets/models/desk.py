"""Tickets and the configuration they follow: kinds, states, the category tree, desk teams
and SLA policies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from telcrm.core.models import Region
from telcrm.customers.models import Customer, Subscription


class TicketKind(models.TextChoices):
    COMPLAINT = "complaint", _("complaint")
    FAULT = "fault", _("fault report")
    INQUIRY = "inquiry", _("inquiry")
    REQUEST = "request", _("service request")


class TicketStatus(models.TextChoices):
    """TMF621 trouble ticket states."""

    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    IN_PROGRESS = "inProgress", _("in progress")
    PENDING = "pending", _("pending (waiting for the customer)")
    HELD = "held", _("held")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


#: States in which the desk still owes the customer work (the SLA clock may run).
OPEN_STATUSES = (TicketStatus.ACKNOWLEDGED, TicketStatus.IN_PROGRESS, TicketStatus.PENDING,
                 TicketStatus.HELD)


class Priority(models.TextChoices):
    CRITICAL = "critical", _("critical")
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


class TicketChannel(models.TextChoices):
    """Where the ticket came in. The values shared with customers' interaction channels are
    spelt the same; an account manager's ticket lands on the timeline as a visit."""

    CALL_CENTRE = "call_centre", _("call centre")
    BUSINESS_HALL = "business_hall", _("business hall")
    WEB = "web", _("web")
    APP = "app", _("app")
    SMS = "sms", _("two-way SMS")
    EMAIL = "email", _("email")
    ACCOUNT_MANAGER = "account_manager", _("account manager")


class SlaStage(models.IntegerChoices):
    """How far a ticket's clock has gone: each stage is reached once and recorded."""

    ON_TIME = 0, _("on time")
    WARNED = 1, _("warning")
    SUPERVISOR = 2, _("escalated to the supervisor")
    MANAGER = 3, _("escalated to the manager")


class Resolution(models.TextChoices):
    EXPLANATION = "explanation", _("explanation")
    REFUND = "refund", _("refund or credit")
    SP_CANCELLED = "sp_cancelled", _("SP subscription cancelled")
    DISCOUNT_RESTORED = "discount_restored", _("discount restored")
    FIXED = "fixed", _("fault fixed")
    PROVISIONED = "provisioned", _("service provisioned")
    ANSWERED = "answered", _("question answered")


class Category(models.Model):
    """The category tree (billing, SP charges, suspension and credit, ...), edited by an
    administrator in the admin; seeded by migration 0002."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")

    def __str__(self) -> str:
        return self.code


class Team(models.Model):
    """A desk team: its agents, the supervisor escalations and refunds above the agent
    limit go to, and the manager above that (domain.md section 5, "tiered")."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    region = models.ForeignKey(Region, verbose_name=_("region"), null=True, blank=True,
                               on_delete=models.SET_NULL)
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("supervisor"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="supervised_teams")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("manager"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="managed_teams")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("agents"), blank=True,
                                     related_name="desk_teams")

    class Meta:
        ordering = ["code"]
        verbose_name = _("desk team")

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """First response and resolution targets in business minutes for a star level x kind x
    channel (an empty channel matches every channel). ``warn_share`` of the resolution
    target raises the warning, the target itself escalates to the supervisor and
    ``manager_share`` of it to the manager. ``round_the_clock`` measures on the 24x7
    call-centre calendar instead of back-office hours. ``regulatory_days`` is the calendar
    days within which a complaint must be answered (电信服务规范: 15 days)."""

    stars = models.PositiveSmallIntegerField(_("stars"))
    kind = models.CharField(_("kind"), max_length=10, choices=TicketKind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=TicketChannel.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices,
                                default=Priority.MEDIUM)
    response_minutes = models.PositiveIntegerField(_("first response target (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (business minutes)"))
    warn_share = models.DecimalField(_("warning at share of target"), max_digits=3, decimal_places=2,
                                     default="0.80")
    manager_share = models.DecimalField(_("manager escalation at share of target"), max_digits=3,
                                        decimal_places=2, default="1.50")
    round_the_clock = models.BooleanField(_("24x7 calendar"), default=False)
    regulatory_days = models.PositiveSmallIntegerField(_("regulatory deadline (days)"), null=True,
                                                       blank=True)

    class Meta:
        ordering = ["-stars", "kind", "channel"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["stars", "kind", "channel"], name="one_sla_policy_per_cell"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="sla_stars_1_to_5"),
            models.CheckConstraint(condition=Q(warn_share__gt=0, warn_share__lt=1),
                                   name="sla_warn_share_below_1"),
            models.CheckConstraint(condition=Q(manager_share__gte=1), name="sla_manager_share_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.stars}* {self.kind} {self.channel or '*'}"


class Ticket(models.Model):
    """A complaint, fault report, inquiry or service request of one customer (TMF621
    troubleTicket), with one owner from start to end (one-stop service, domain.md section
    5) and its SLA clock: the deadlines and the stage times are columns, kept by the
    services and the sweep."""

    ticket_no = models.CharField(_("ticket number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=TicketKind.choices)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="tickets")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="tickets")
    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="tickets")
    channel = models.CharField(_("channel"), max_length=16, choices=TicketChannel.choices)
    status = models.CharField(_("status"), max_length=12, choices=TicketStatus.choices,
                              default=TicketStatus.ACKNOWLEDGED)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices,
                                default=Priority.MEDIUM)
    stars = models.PositiveSmallIntegerField(_("stars"), default=1)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    #: One owner from start to end (one-stop service), whoever does the work.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="owned_tickets")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="tickets")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="+")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    regulatory_due = models.DateTimeField(_("regulatory deadline"), null=True, blank=True)
    #: Business minutes the clock stood still while waiting for the customer (pending).
    paused_minutes = models.PositiveIntegerField(_("paused (business minutes)"), default=0)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    sla_stage = models.PositiveSmallIntegerField(_("SLA stage"), choices=SlaStage.choices,
                                                 default=SlaStage.ON_TIME)
    #: When each stage falls due (tickets.sla.StageTimes), so the sweep compares columns.
    warn_at = models.DateTimeField(_("warning due"), null=True, blank=True)
    supervisor_at = models.DateTimeField(_("supervisor escalation due"), null=True, blank=True)
    manager_at = models.DateTimeField(_("manager escalation due"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    #: When the sweep must next look at this ticket; NULL while the clock stands or the
    #: ticket is no longer open. The sweep's whole query is ``sweep_due_at <= now``.
    sweep_due_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    #: Solved by the agent who took the contact, with no work order, escalation or wait.
    first_contact_resolution = models.BooleanField(_("first-contact resolution"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    duplicate_of = models.ForeignKey("self", verbose_name=_("possible duplicate of"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="duplicates")
    updated_at = models.DateTimeField(_("last update"), auto_now=True)
    #: Optimistic locking: every change bumps it; a stale version is a conflict.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["sweep_due_at"], condition=Q(sweep_due_at__isnull=False),
                         name="ticket_sweep_due"),
            models.Index(fields=["owner", "status", "resolution_due"], name="ticket_owner_queue"),
            models.Index(fields=["team", "status", "resolution_due"], name="ticket_team_board"),
            models.Index(fields=["customer", "category", "status"], name="ticket_customer_open"),
            models.Index(fields=["status", "opened_at"], name="ticket_status_opened"),
        ]

    def __str__(self) -> str:
        return self.ticket_no

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
