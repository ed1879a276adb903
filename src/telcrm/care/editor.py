"""Saving what the care screens edit: audiences, and draft campaigns with their channel
plan and content (issue 4, "Audiences and campaigns").

The rules that decide who is sent what stay with the campaign engine (care/services.py):
here each step's content is checked by the safe renderer, so a broken template never
reaches the outbox. Only a draft campaign is edited: once a manager approved it, what they
approved is what is sent. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone

from telcrm.care.audiences import count_customers, parse_filters
from telcrm.care.channels.render import template_variables
from telcrm.care.models import Audience, Campaign, CampaignStatus, CampaignStep, Purpose, Template
from telcrm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied("your role may not do this")


def save_audience(actor: User, *, audience: Audience | None = None, name: str, description: str = "",
                  filters: Mapping[str, Any]) -> Audience:
    """Create or change a saved audience, stored with the filters that are set (checked by
    ``analytics.audiences.AudienceFilters``, every problem at once as ``field: problem``)
    and counted as it is saved, when a nightly run has left its results."""
    _require(actor, "care.change_audience" if audience else "care.add_audience")
    clean = parse_filters(dict(filters)).to_dict()
    name = name.strip()
    if not name:
        raise ValidationFailed("name: an audience needs a name")
    same = Audience.objects.filter(name=name)
    if (same.exclude(pk=audience.pk) if audience else same).exists():
        raise ValidationFailed("name: an audience of that name exists")
    audience = audience or Audience(owner=actor)
    audience.name, audience.description, audience.filters = name, description, clean
    try:
        audience.last_count, audience.counted_at = count_customers(clean), timezone.now()
    except NotFound:
        audience.last_count, audience.counted_at = None, None
    audience.save()
    return audience


@dataclass(frozen=True)
class StepContent:
    """One step of the channel plan as the editor sends it."""

    channel: str
    delay_days: int
    body_zh: str
    body_en: str = ""
    subject_zh: str = ""
    subject_en: str = ""


def _check_steps(steps: Sequence[StepContent]) -> None:
    if not steps:
        raise ValidationFailed("steps: a campaign needs at least one step")
    for n, step in enumerate(steps, start=1):
        for part in (step.body_zh, step.body_en, step.subject_zh, step.subject_en):
            try:
                template_variables(part)
            except ValidationFailed as exc:
                raise ValidationFailed(f"step {n}: {exc.message}") from exc


def _write_steps(campaign: Campaign, steps: Sequence[StepContent]) -> None:
    """The steps replace the old plan; each has its own template named after the campaign."""
    old = list(CampaignStep.objects.filter(campaign=campaign).select_related("template"))
    CampaignStep.objects.filter(campaign=campaign).delete()
    Template.objects.filter(pk__in=[s.template_id for s in old]).delete()
    for n, step in enumerate(steps, start=1):
        template = Template.objects.create(
            name=f"{campaign.name[:90]} #{n} ({campaign.pk})", channel=step.channel, purpose=campaign.purpose,
            subject_zh=step.subject_zh, body_zh=step.body_zh, subject_en=step.subject_en, body_en=step.body_en,
        )
        CampaignStep.objects.create(campaign=campaign, number=n, channel=step.channel, template=template,
                                    delay_days=step.delay_days)


_FIELDS = ("name", "purpose", "description", "audience", "product", "starts_at", "ends_at", "budget",
           "cost_per_contact", "value_per_response", "control_share", "priority")


def save_campaign(actor: User, *, campaign: Campaign | None = None, fields: Mapping[str, Any],
                  steps: Sequence[StepContent]) -> Campaign:
    """Create a draft campaign or edit one that is still a draft, with its channel plan.
    A marketing campaign needs an audience (it goes only to a saved, countable set)."""
    _require(actor, "care.change_campaign" if campaign else "care.add_campaign")
    if campaign is not None and campaign.status != CampaignStatus.DRAFT:
        raise Conflict("status: only a draft campaign can be edited")
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise ValidationFailed(f"fields: unknown {', '.join(sorted(unknown))}")
    if fields.get("purpose") == Purpose.MARKETING and not fields.get("audience"):
        raise ValidationFailed("audience: a marketing campaign needs an audience")
    _check_steps(steps)
    if campaign is None:
        campaign = Campaign(owner=actor, status=CampaignStatus.DRAFT)
    for name, value in fields.items():
        setattr(campaign, name, value)
    try:
        campaign.full_clean(exclude=["owner", "approved_by"])
    except DjangoValidationError as exc:
        raise ValidationFailed("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
    campaign.save()
    _write_steps(campaign, steps)
    return campaign


def step_contents(campaign: Campaign) -> list[StepContent]:
    """The plan of a campaign as the editor shows it."""
    return [StepContent(channel=s.channel, delay_days=s.delay_days, body_zh=s.template.body_zh,
                        body_en=s.template.body_en, subject_zh=s.template.subject_zh,
                        subject_en=s.template.subject_en)
            for s in campaign.steps.select_related("template").order_by("number")]
