"""The nightly run's own record: which month, which engine, how far it got, how long each
stage took. A run writes its results in one transaction at the end, so a run that failed
or was killed leaves the previous results in place (issue 3, "resumable")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class NightlyRun(models.Model):
    month = models.DateField(_("month"))
    engine = models.CharField(_("engine"), max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rule_versions = models.JSONField(_("rule versions"), default=dict)
    model_version = models.CharField(_("model version"), max_length=40, blank=True)
    counts = models.JSONField(_("counts"), default=dict)
    stage_seconds = models.JSONField(_("seconds per stage"), default=dict)
    error = models.TextField(_("error"), blank=True)
    # What the lake held (``services.lake_digest``): a month run again on the same data,
    # rules and model can be skipped (the demo's second start).
    data_digest = models.CharField(_("data digest"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("nightly run")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.engine} {self.status}"
