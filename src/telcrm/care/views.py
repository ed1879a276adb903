"""Campaign screens: saved audiences with the builder's live count, the campaign list and
editor with a preview of the real message, approval and the status actions, the campaign
page with its sends and its effect against control, and the manager's comparison of
programmes (issue 4).

Thin adapters (architecture.md, convention 13): each view parses the request, calls one
service (care/editor.py to save, care/services.py to count, approve, run and preview,
care/effects.py to measure) and renders. A domain error becomes a message or a field error.
"""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telcrm.care import dashboards, editor, effects, outbox, services
from telcrm.care.forms import AudienceForm, CampaignForm, StepFormSet
from telcrm.care.models import Audience, Campaign, CampaignStatus, Language, OutboxMessage
from telcrm.core.errors import NotFound, TelcrmError
from telcrm.core.masking import mask_text
from telcrm.customers.views import AuthedRequest

_VIEW = "care.view_campaign"


def _field_errors(form, exc: TelcrmError) -> None:  # type: ignore[no-untyped-def]
    """A service error ``field: problem`` on its field, anything else on the form."""
    for part in exc.message.split("; "):
        field, _sep, problem = part.partition(": ")
        if problem and field in form.fields:
            form.add_error(field, mask_text(problem))
        else:
            form.add_error(None, mask_text(part))


@login_required
@permission_required("care.view_audience", raise_exception=True)
@require_GET
def audience_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "care/audiences.html", {
        "nav": "care", "audiences": Audience.objects.select_related("owner"),
    })


@login_required
@permission_required("care.add_audience", raise_exception=True)
@require_http_methods(["GET", "POST"])
def audience_edit(request: AuthedRequest, audience_id: int | None = None) -> HttpResponse:
    """The audience builder: the filters, and the live count next to them (``audience_count``)."""
    audience = get_object_or_404(Audience, pk=audience_id) if audience_id else None
    form = AudienceForm.for_audience(audience) if audience else AudienceForm()
    if request.method == "POST":
        form = AudienceForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    saved = editor.save_audience(request.user, audience=audience, name=form.cleaned_data["name"],
                                                 description=form.cleaned_data["description"],
                                                 filters=form.filters())
            except TelcrmError as exc:
                _field_errors(form, exc)
            else:
                messages.success(request, _("Audience saved."))
                return redirect("care-audience", audience_id=saved.pk)
    return render(request, "care/audience_edit.html", {"nav": "care", "form": form, "audience": audience})


@login_required
@permission_required("care.view_audience", raise_exception=True)
@require_POST
def audience_count(request: AuthedRequest) -> HttpResponse:
    """The builder's live count (HTMX, on every change of a filter): how many customers
    the filters select in the newest nightly results, one per customer."""
    form = AudienceForm(request.POST)
    form.fields["name"].required = False
    context: dict = {"form": form}
    if form.is_valid():
        try:
            context["count"] = services.count_audience(request.user, filters=form.filters())
        except TelcrmError as exc:
            context["errors"] = [mask_text(part) for part in exc.message.split("; ")]
    return render(request, "care/_count.html", context)


@login_required
@permission_required(_VIEW, raise_exception=True)
@require_GET
def campaign_list(request: AuthedRequest) -> HttpResponse:
    campaigns = list(Campaign.objects.select_related("audience", "owner", "approved_by"))
    status = request.GET.get("status", "")
    shown = [c for c in campaigns if c.status == status] if status in CampaignStatus.values else campaigns
    sent = dashboards.sent_counts([c.pk for c in shown])
    return render(request, "care/campaigns.html", {
        "nav": "care", "rows": [(c, sent.get(c.pk, 0)) for c in shown], "status": status,
        "statuses": dashboards.status_counts(campaigns), "total": len(campaigns),
    })


def _steps_initial(campaign: Campaign | None) -> list[dict]:
    if campaign is None:
        return [{"channel": "sms", "delay_days": 0}]
    return [vars(s) for s in editor.step_contents(campaign)]


@login_required
@permission_required("care.add_campaign", raise_exception=True)
@require_http_methods(["GET", "POST"])
def campaign_edit(request: AuthedRequest, campaign_id: int | None = None) -> HttpResponse:
    """The campaign editor: purpose, audience, schedule, budget, control share and the
    channel plan with its content in Chinese and English."""
    campaign = get_object_or_404(Campaign, pk=campaign_id) if campaign_id else None
    if campaign is not None and campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("Only a draft campaign can be edited."))
        return redirect("care-campaign", campaign_id=campaign.pk)
    form = CampaignForm(instance=campaign)
    steps = StepFormSet(prefix="steps", initial=_steps_initial(campaign))
    if request.method == "POST":
        form = CampaignForm(request.POST, instance=campaign)
        steps = StepFormSet(request.POST, prefix="steps")
        if form.is_valid() and steps.is_valid():
            fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
            plan = [editor.StepContent(**s) for s in steps.cleaned_data if s]
            try:
                with transaction.atomic():
                    saved = editor.save_campaign(request.user, campaign=campaign, fields=fields, steps=plan)
            except TelcrmError as exc:
                _field_errors(form, exc)
            else:
                messages.success(request, _("Campaign saved as a draft."))
                return redirect("care-campaign", campaign_id=saved.pk)
    return render(request, "care/campaign_edit.html", {
        "nav": "care", "form": form, "steps": steps, "campaign": campaign,
        "variables": services.template_variables_help(),
    })


@login_required
@permission_required(_VIEW, raise_exception=True)
@require_GET
def campaign_page(request: AuthedRequest, campaign_id: int) -> HttpResponse:
    """Sends, deliveries, suppressions by reason, and the effect against control."""
    campaign = get_object_or_404(Campaign.objects.select_related("audience", "product", "owner", "approved_by"),
                                 pk=campaign_id)
    figures = dashboards.campaign_figures(campaign)
    effect = effects.campaign_effect(campaign)
    return render(request, "care/campaign.html", {
        "nav": "care", "campaign": campaign, "figures": figures, "chart": figures.chart(),
        "steps": campaign.steps.select_related("template").order_by("number"),
        "effect": effect, "effect_rows": dashboards.effect_rows(effect) if effect else [],
        "effect_chart": dashboards.effect_chart(effect) if effect else None,
        "uncertain": dashboards.uncertain_messages(campaign) if figures.uncertain else [],
        "actions": services.allowed_actions(request.user, campaign=campaign), "languages": Language.choices,
    })


@login_required
@permission_required(_VIEW, raise_exception=True)
@require_GET
def campaign_preview(request: AuthedRequest, campaign_id: int) -> HttpResponse:
    """The real message of a step for a sample customer (the first in the audience, or a
    customer number typed in), with personal data masked (HTMX)."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        step = int(request.GET.get("step") or 1)
        preview = services.preview_message(request.user, campaign=campaign, step=step,
                                           customer_no=request.GET.get("customer", "").strip() or None,
                                           language=request.GET.get("language") or None)
    except ValueError:
        return render(request, "care/_preview.html", {"error": _("Choose a step.")})
    except TelcrmError as exc:
        return render(request, "care/_preview.html", {"error": mask_text(exc.message)})
    # Personal data typed into a template's text (a hotline is fine, a customer's number is
    # not) is masked on screen like everywhere else (domain.md section 1).
    shown = dataclasses.replace(preview, subject=mask_text(preview.subject), body=mask_text(preview.body))
    return render(request, "care/_preview.html", {"preview": shown})


@login_required
@permission_required(_VIEW, raise_exception=True)
@require_POST
def campaign_action(request: AuthedRequest, campaign_id: int, action: str) -> HttpResponse:
    """Approve, start, pause or finish; the service checks the role and the status."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if action not in services.CAMPAIGN_ACTIONS:
        raise Http404("no such action")
    try:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
            services.CAMPAIGN_ACTIONS[action](request.user, campaign=locked, at=timezone.now())
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except TelcrmError as exc:
        messages.error(request, mask_text(exc.message))
    else:
        campaign.refresh_from_db()
        messages.success(request, _("Campaign %(name)s is now %(status)s.") % {
            "name": campaign.name, "status": campaign.get_status_display()})
    return redirect("care-campaign", campaign_id=campaign.pk)


@login_required
@permission_required("care.run_campaign", raise_exception=True)
@require_POST
def settle_message(request: AuthedRequest, campaign_id: int, message_id: int) -> HttpResponse:
    """A person's verdict on a message left uncertain: it went out, or send it again."""
    message = get_object_or_404(OutboxMessage, pk=message_id, campaign_id=campaign_id)
    try:
        with transaction.atomic():
            outbox.settle_uncertain(request.user, message=message, sent=request.POST.get("sent") == "yes",
                                    at=timezone.now())
    except TelcrmError as exc:
        messages.error(request, mask_text(exc.message))
    else:
        messages.success(request, _("Message settled."))
    return redirect("care-campaign", campaign_id=campaign_id)


@login_required
@permission_required(_VIEW, raise_exception=True)
@require_GET
def programmes_page(request: AuthedRequest) -> HttpResponse:
    """The manager's view: every programme's reach, effect and return side by side, with
    a verdict to keep, improve or drop it (domain.md section 4)."""
    return render(request, "care/programmes.html", {
        "nav": "care", "rows": dashboards.programme_lines(effects.compare_programmes()),
    })


@login_required
@permission_required("care.view_trigger", raise_exception=True)
@require_GET
def triggers_page(request: AuthedRequest) -> HttpResponse:
    """The event-driven care that runs by itself (``telcrm care triggers`` daily, and the
    ticket-resolved event): each trigger's conditions, delay, channel and how often it fired."""
    return render(request, "care/triggers.html", {"nav": "care", "rows": dashboards.trigger_rows()})


@login_required
@permission_required(_VIEW, raise_exception=True)
@require_GET
def home_panel(request: AuthedRequest) -> HttpResponse:
    """The campaigns card of the care team's home page (HTMX)."""
    return render(request, "care/_home_panel.html", {"rows": dashboards.home_campaigns()})
