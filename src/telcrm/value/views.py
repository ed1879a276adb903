"""Value screens: the tier and warning rules an administrator edits, and the value panel of
the customer 360 page.

Rules are configuration, versioned (issue 3, "Value and tiers"): the form is built from the
fields of the analytics dataclass of each kind, saving goes through ``rules.save_rules``
(which validates and adds a version, never edits one), and every earlier version stays
readable, since each stored tier and warning names the version that produced it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods

from telcrm.core.errors import NotFound, TelcrmError, ValidationFailed
from telcrm.customers.views import AuthedRequest
from telcrm.value import queries
from telcrm.value.models import RuleKind
from telcrm.value.rules import RULE_CLASSES, active_rules, save_rules

#: What each threshold means, in the user's language; a threshold missing here is shown
#: by its name.
FIELD_LABELS = {
    "vip_percentile": gettext_lazy("VIP: spend percentile at least"),
    "vip_min_spend": gettext_lazy("VIP: or 6-month mean spend at least (CNY)"),
    "vip_min_tenure_months": gettext_lazy("VIP: tenure at least (months)"),
    "growth_percentile": gettext_lazy("Growth: spend percentile at least (young lines)"),
    "growth_max_tenure_months": gettext_lazy("Growth: young means tenure below (months)"),
    "growth_trend_ratio": gettext_lazy("Growth: or spend 3m / previous 6m at least"),
    "floors": gettext_lazy("Monthly revenue floors of 1A, 2A, 3A, 4A (CNY, comma-separated)"),
    "stars": gettext_lazy("Service stars of 1A to 5A (comma-separated)"),
    "spend_decline_share": gettext_lazy("Spend: 3-month mean below this share of the previous 6"),
    "min_baseline_months": gettext_lazy("Spend: billed months needed in the previous 6"),
    "usage_decline_share": gettext_lazy("Usage: 3-month mean below this share of the previous 6"),
    "competitor_shift_points": gettext_lazy("Competitor-call share risen by more than (fraction)"),
    "min_complaints": gettext_lazy("Complaints in 3 months, at least"),
    "contract_end_days": gettext_lazy("Contract ends within (days)"),
    "min_termination_requests": gettext_lazy("Termination requests in 3 months, at least"),
    "cost_plan_fee": gettext_lazy("Cost share of plan fees (settlement, transit)"),
    "cost_voice": gettext_lazy("Cost share of voice (inter-network settlement)"),
    "cost_data": gettext_lazy("Cost share of data"),
    "cost_sms": gettext_lazy("Cost share of SMS"),
    "cost_vas": gettext_lazy("Cost share of value-added services (SP revenue share)"),
    "cost_roaming": gettext_lazy("Cost share of roaming (visited network's charge)"),
    "cost_circuits": gettext_lazy("Cost share of circuits (leased local loops)"),
    "annual_discount": gettext_lazy("Annual discount rate"),
    "postpaid_period_months": gettext_lazy("Postpaid renewal period (months)"),
    "prepaid_period_months": gettext_lazy("Prepaid renewal period (months)"),
    "horizon_months": gettext_lazy("Potential value horizon (months)"),
    "trend_cap": gettext_lazy("Largest monthly spend trend counted (fraction)"),
    "min_group_lines": gettext_lazy("Lines a cohort needs for a survival curve of its own"),
    "min_group_periods": gettext_lazy("Periods a cohort needs for a survival curve of its own"),
    "group_depth": gettext_lazy("Levels of group members counted as additional value"),
    "circuit_lifetime_months": gettext_lazy("Expected lifetime of a circuit (months)"),
}

#: The analytics dataclasses' own validation messages, so the page can show them translated.
RULE_MESSAGES = (
    gettext_noop("percentiles must satisfy 0 <= growth <= vip <= 1"),
    gettext_noop("spend and tenure thresholds must not be negative"),
    gettext_noop("floors must be four strictly decreasing revenues, for 1A to 4A"),
    gettext_noop("stars must give 1 to 5 stars for each of 1A to 5A"),
    gettext_noop("a higher grade may not get fewer stars than a lower one"),
    gettext_noop("decline shares must be in (0, 1]"),
    gettext_noop("competitor shift is a share of minutes, in (0, 1)"),
    gettext_noop("counts must be at least 1"),
    gettext_noop("contract end horizon must not be negative"),
    gettext_noop("cost shares must lie between 0 and 1"),
    gettext_noop("the annual discount rate must lie strictly between 0 and 1"),
    gettext_noop("periods and the horizon are whole months, at least one"),
    gettext_noop("trend_cap times (horizon + 1) must stay below 1, so no forecast turns negative"),
    gettext_noop("a fit needs at least one line and two periods"),
    gettext_noop("group_depth must be at least 1 and circuit_lifetime_months not negative"),
)


class NumberList(forms.Field):
    """A tuple threshold (grade floors, stars) typed as comma-separated numbers."""

    def __init__(self, *, integers: bool, **kwargs: Any) -> None:
        self.integers = integers
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[int | float]:
        text = str(value or "").strip()
        try:
            return [int(p) if self.integers else float(p) for p in text.replace("，", ",").split(",") if p.strip()]
        except ValueError:
            raise forms.ValidationError(_("Enter numbers separated by commas.")) from None


def _form_field(name: str, default: Any) -> forms.Field:
    label = FIELD_LABELS.get(name, name)
    if isinstance(default, tuple):
        return NumberList(integers=all(isinstance(v, int) for v in default), label=label)
    if isinstance(default, int):
        return forms.IntegerField(label=label)
    return forms.FloatField(label=label)


def rules_form_class(kind: str) -> type[forms.Form]:
    """A form with one field per threshold of the kind's dataclass (all but ``version``)."""
    fields: dict[str, Any] = {
        f.name: _form_field(f.name, f.default) for f in dataclasses.fields(RULE_CLASSES[kind]) if f.name != "version"
    }
    fields["note"] = forms.CharField(label=gettext_lazy("Why this change"), max_length=200, required=False)
    return type(f"{kind.title()}RulesForm", (forms.Form,), fields)


def _blame(kind: str, wanted: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The changed thresholds that make the set invalid: each one that, put back to its
    current value, makes the rest valid. The rule's message is shown next to those."""
    culprits = []
    for name, value in wanted.items():
        if value == current.get(name):
            continue
        try:
            RULE_CLASSES[kind].from_dict({**wanted, name: current[name], "version": "check"})
        except (TypeError, ValueError):
            continue
        culprits.append(name)
    return culprits


def _shown(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _kind_or_404(kind: str) -> str:
    if kind not in RULE_CLASSES:
        raise Http404("no such rule kind")
    return kind


@login_required
@permission_required("value.view_ruleset", raise_exception=True)
@require_GET
def rules_index(request: AuthedRequest) -> HttpResponse:
    kinds = [{"kind": k, "label": label, "active": active_rules(k), "count": len(queries.rule_versions(k))}
             for k, label in RuleKind.choices if k in RULE_CLASSES]
    return render(request, "value/rules_index.html", {"nav": "rules", "kinds": kinds})


@login_required
@permission_required("value.view_ruleset", raise_exception=True)
@require_http_methods(["GET", "POST"])
def rules_edit(request: AuthedRequest, kind: str) -> HttpResponse:
    """The active thresholds in a form (administrators only may post it) and every version,
    newest first. An invalid set is shown again with the message next to the field."""
    kind = _kind_or_404(kind)
    active = active_rules(kind).to_dict()
    current = {k: v for k, v in active.items() if k != "version"}
    form_class = rules_form_class(kind)
    can_edit = request.user.has_perm("value.add_ruleset")
    form = form_class(initial=current)
    if request.method == "POST":
        if not can_edit:
            raise Http404("not editable")
        form = form_class(request.POST)
        if form.is_valid():
            wanted = {k: v for k, v in form.cleaned_data.items() if k != "note"}
            try:
                with transaction.atomic():
                    saved = save_rules(request.user, kind=kind, settings=wanted, note=form.cleaned_data["note"])
            except ValidationFailed as exc:
                message = _(str(exc.__cause__ or exc.message))
                culprits = _blame(kind, wanted, current)
                for name in culprits:
                    form.add_error(name, message)
                if not culprits:
                    form.add_error(None, message)
            except TelcrmError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved as version %(version)s; the next nightly run applies it.")
                                 % {"version": saved.version})
                return redirect("value-rules-edit", kind=kind)
    versions = queries.rule_versions(kind)
    names = list(current)
    return render(request, "value/rules_edit.html", {
        "nav": "rules", "kind": kind, "kind_label": RuleKind(kind).label, "form": form, "can_edit": can_edit,
        "active_version": active["version"], "names": names,
        "labels": [FIELD_LABELS.get(n, n) for n in names],
        "versions": [(v, [_shown(v.rules.get(n, "")) for n in names]) for v in versions],
    })


@login_required
@permission_required("value.view_linevalue", raise_exception=True)
@require_GET
def customer_value_panel(request: AuthedRequest, customer_no: str) -> HttpResponse:
    """The tier and value panel of the 360 page, loaded after the page itself so the page
    keeps its own few queries (and customers need not import value)."""
    try:
        panel = queries.value_panel(request.user, customer_no)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "value/_panel.html", {"panel": panel, "c": panel.customer})
