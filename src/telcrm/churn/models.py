"""Churn results of the nightly run and what people do about them (issue 3, "Churn early
warning"): versioned models, each line's risk for a month with its reasons, the warnings
inbox and its follow-ups, and the model's measured quality over time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from telcrm.customers.models import Customer, Subscription


class ChurnModel(models.Model):
    """One trained version: its training window, horizon, features, metrics on the held-out
    later months, and the fitted booster and calibrator (``artifact``, opaque bytes the
    scoring code reads back). Scoring uses the active version; only one is active."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    train_start = models.DateField(_("training window start"))
    train_end = models.DateField(_("training window end"))
    test_start = models.DateField(_("test window start"), null=True, blank=True)
    test_end = models.DateField(_("test window end"), null=True, blank=True)
    horizon_months = models.PositiveSmallIntegerField(_("horizon (months)"))
    features = models.JSONField(_("features"))
    params = models.JSONField(_("parameters"), default=dict)
    metrics = models.JSONField(_("metrics"), default=dict)
    baseline = models.JSONField(_("training distributions"), default=dict)
    artifact = models.BinaryField(_("fitted model"))
    active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("churn model")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="one_active_churn_model")
        ]

    def __str__(self) -> str:
        return self.version


class LineRisk(models.Model):
    """A line's churn probability for a month and the reasons: the model's top feature
    contributions (``reasons``: list of {feature, value, contribution}) and the warning
    rules that fired with their figures."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="risks")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="line_risks")
    month = models.DateField(_("month"))
    probability = models.FloatField(_("churn probability"), null=True, blank=True)
    model = models.ForeignKey(ChurnModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reasons = models.JSONField(_("model reasons"), default=list)
    warning_rules = models.CharField(_("warning rules"), max_length=200, blank=True)
    warning_details = models.TextField(_("warning figures"), blank=True)
    rule_version = models.CharField(_("rule version"), max_length=40, blank=True)
    expected_loss = models.DecimalField(_("expected value lost"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("line risk")
        constraints = [models.UniqueConstraint(fields=["subscription", "month"], name="one_line_risk_per_month")]
        indexes = [models.Index(fields=["customer", "month"]), models.Index(fields=["month", "probability"])]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.month:%Y-%m} {self.probability}"


class WarningStatus(models.TextChoices):
    OPEN = "open", _("open")
    ASSIGNED = "assigned", _("follow-up assigned")
    DONE = "done", _("handled")


class Warning(models.Model):
    """An inbox item: a line at risk in a month (a rule fired, or the model's probability is
    above the alert threshold), ranked by expected value lost (risk x value)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="warnings")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="churn_warnings")
    month = models.DateField(_("month"))
    rules = models.CharField(_("rules fired"), max_length=200, blank=True)
    details = models.TextField(_("figures"), blank=True)
    rule_version = models.CharField(_("rule version"), max_length=40, blank=True)
    probability = models.FloatField(_("churn probability"), null=True, blank=True)
    expected_loss = models.DecimalField(_("expected value lost"), max_digits=14, decimal_places=2, default=0)
    status = models.CharField(_("status"), max_length=10, choices=WarningStatus.choices, default=WarningStatus.OPEN)

    class Meta:
        verbose_name = _("churn warning")
        constraints = [models.UniqueConstraint(fields=["subscription", "month"], name="one_warning_per_month")]
        indexes = [models.Index(fields=["month", "-expected_loss"]), models.Index(fields=["customer", "month"])]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.month:%Y-%m} {self.rules}"


class FollowUpAction(models.TextChoices):
    CALL = "call", _("call")
    VISIT = "visit", _("visit")
    OFFER = "offer", _("retention offer")
    CAMPAIGN = "campaign", _("care campaign")


class FollowUpOutcome(models.TextChoices):
    PENDING = "pending", _("pending")
    RETAINED = "retained", _("retained")
    DECLINED = "declined", _("offer declined")
    UNREACHABLE = "unreachable", _("could not reach")
    CHURNED = "churned", _("left anyway")


class FollowUp(models.Model):
    """What someone was asked to do about a warning, and what came of it."""

    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="follow_ups")
    action = models.CharField(_("action"), max_length=10, choices=FollowUpAction.choices)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="churn_follow_ups",
        verbose_name=_("assigned to"),
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=FollowUpOutcome.choices, default=FollowUpOutcome.PENDING
    )
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        ordering = ["-assigned_at", "-id"]

    def __str__(self) -> str:
        return f"{self.warning_id} {self.action} {self.outcome}"


class ModelCheck(models.Model):
    """A measurement of a model after training: its quality on a month whose outcomes are
    now known (``kind=backtest``: ROC AUC, PR AUC, top-decile lift, calibration), or the
    drift of scores and features against training time (``kind=drift``: PSI per feature)."""

    model = models.ForeignKey(ChurnModel, on_delete=models.CASCADE, related_name="checks")
    month = models.DateField(_("month"))
    kind = models.CharField(_("kind"), max_length=10)
    metrics = models.JSONField(_("metrics"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("model check")
        ordering = ["month", "kind"]
        constraints = [models.UniqueConstraint(fields=["model", "month", "kind"], name="one_check_per_model_month")]

    def __str__(self) -> str:
        return f"{self.model_id} {self.month:%Y-%m} {self.kind}"
