"""Forms of the care screens: the audience builder, the campaign editor with its channel
plan, care products and vouchers, call outcomes and contact preferences.

Forms only parse what was typed; the rules (which filters make sense, which template is
safe, who may approve) are the services' (care/services.py, analytics/audiences.py,
care/channels/render.py), whose errors the views put back on the fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from telcrm.care.channels.render import TemplateInvalid, template_variables
from telcrm.care.models import (
    Audience,
    CallOutcome,
    Campaign,
    CareProduct,
    Channel,
    ConsentSource,
)
from telcrm.core.models import Region
from telcrm.customers.models import Brand, PaymentType
from telcrm.value.models import Grade, Segment

_TRI = [("", _("any")), ("yes", _("yes")), ("no", _("no"))]
_TREND = [("", _("any")), ("down", _("falling")), ("up", _("rising"))]
_CHECKS = forms.CheckboxSelectMultiple


def _tri(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=_TRI, required=False,
                                  coerce=lambda v: {"yes": True, "no": False}.get(v), empty_value=None)


def _number(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, decimal_places=2, **kwargs)


def _whole(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=0)


class AudienceForm(forms.Form):
    """The audience builder. Its fields are the filters of ``analytics.audiences.AudienceFilters``
    under the same names, except churn risk, typed as a percentage."""

    name = forms.CharField(label=_("Audience name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    segments = forms.MultipleChoiceField(label=_("Value segment"), choices=Segment.choices, required=False,
                                         widget=_CHECKS)
    grades = forms.MultipleChoiceField(label=_("Enterprise grade"), choices=Grade.choices, required=False,
                                       widget=_CHECKS)
    brands = forms.MultipleChoiceField(label=_("Brand"), choices=Brand.choices, required=False, widget=_CHECKS)
    payment_types = forms.MultipleChoiceField(label=_("Payment type"), choices=PaymentType.choices,
                                              required=False, widget=_CHECKS)
    regions = forms.MultipleChoiceField(label=_("Region"), choices=(), required=False, widget=_CHECKS)
    min_value = _number(_("Lifetime value at least (¥)"))
    max_value = _number(_("Lifetime value at most (¥)"))
    min_churn_risk = _number(_("Churn risk at least (%)"), min_value=0, max_value=100)
    warned = _tri(_("Has a churn warning"))
    min_spend_3m = _number(_("Monthly spend at least (¥, last 3 months)"))
    max_spend_3m = _number(_("Monthly spend at most (¥, last 3 months)"))
    spend_trend = forms.ChoiceField(label=_("Spend trend (6 months)"), choices=_TREND, required=False)
    max_spend_ratio = _number(_("Spend vs the 6 months before at most (ratio)"), min_value=0)
    max_usage_ratio = _number(_("Voice usage vs the 6 months before at most (ratio)"), min_value=0)
    min_tenure_months = _whole(_("Tenure at least (months)"))
    max_tenure_months = _whole(_("Tenure at most (months)"))
    contract_end_within_days = _whole(_("Contract ends within (days)"))
    in_arrears = _tri(_("In arrears"))
    min_complaints_3m = _whole(_("Complaints in the last 3 months at least"))
    include_suspended = forms.BooleanField(label=_("Include suspended lines"), required=False)

    FILTER_FIELDS = ("segments", "grades", "brands", "payment_types", "regions", "min_value", "max_value",
                     "min_churn_risk", "warned", "min_spend_3m", "max_spend_3m", "spend_trend",
                     "max_spend_ratio", "max_usage_ratio", "min_tenure_months", "max_tenure_months",
                     "contract_end_within_days", "in_arrears", "min_complaints_3m", "include_suspended")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regions"].choices = list(Region.objects.values_list("code", "name"))  # type: ignore[attr-defined]

    @classmethod
    def for_audience(cls, audience: Audience) -> AudienceForm:
        initial: dict[str, Any] = {"name": audience.name, "description": audience.description, **audience.filters}
        if initial.get("min_churn_risk") is not None:
            initial["min_churn_risk"] = Decimal(str(initial["min_churn_risk"])) * 100
        for name in ("warned", "in_arrears"):
            if initial.get(name) is not None:
                initial[name] = "yes" if initial[name] else "no"
        return cls(initial=initial)

    def filters(self) -> dict[str, Any]:
        """The filters as the JSON an Audience saves (valid form only); unset ones left out."""
        out: dict[str, Any] = {}
        for name in self.FILTER_FIELDS:
            value = self.cleaned_data.get(name)
            if value in (None, "", [], False):
                continue
            if isinstance(value, Decimal):
                value = float(value / 100 if name == "min_churn_risk" else value)
            out[name] = value
        return out


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "purpose", "description", "audience", "product", "starts_at", "ends_at", "budget",
                  "cost_per_contact", "value_per_response", "control_share", "priority"]
        labels = {"name": _("Campaign name")}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = CareProduct.objects.filter(active=True)  # type: ignore[attr-defined]
        self.fields["control_share"].help_text = _("Share of the audience drawn at random into the control "
                                                   "group before any send, e.g. 0.1")


def _check_template(source: str) -> str:
    try:
        template_variables(source)
    except TemplateInvalid as exc:
        raise forms.ValidationError(exc.message) from exc
    return source


class StepForm(forms.Form):
    """One step of the channel plan with its content in Chinese and English. The editor
    shows one empty step more than the plan has; left as it is (first channel, day 0, no
    text) it is no step."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.SMS)
    delay_days = forms.IntegerField(label=_("Days after the start"), min_value=0, initial=0)
    subject_zh = forms.CharField(label=_("Subject (Chinese)"), max_length=200, required=False)
    body_zh = forms.CharField(label=_("Message (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}))
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=200, required=False)
    body_en = forms.CharField(label=_("Message (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_body_zh(self) -> str:
        return _check_template(self.cleaned_data["body_zh"])

    def clean_body_en(self) -> str:
        return _check_template(self.cleaned_data["body_en"])

    def clean_subject_zh(self) -> str:
        return _check_template(self.cleaned_data["subject_zh"])

    def clean_subject_en(self) -> str:
        return _check_template(self.cleaned_data["subject_en"])


StepFormSet = forms.formset_factory(StepForm, extra=1, min_num=1, validate_min=True, max_num=4)


class ProductForm(forms.ModelForm):
    class Meta:
        model = CareProduct
        fields = ["code", "name", "kind", "description", "face_value", "unit_cost", "valid_days", "active"]
        labels = {"name": _("Product name")}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class IssueForm(forms.Form):
    """Issue single-use codes of a product to customers, by customer number."""

    customers = forms.CharField(label=_("Customer numbers"), widget=forms.Textarea(attrs={"rows": 3}),
                                help_text=_("One customer number per line"))
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.all(), required=False)

    def customer_numbers(self) -> list[str]:
        seen: dict[str, None] = {}
        for part in self.cleaned_data["customers"].replace(",", "\n").split():
            seen.setdefault(part.strip(), None)
        return list(seen)


class RedeemForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=24)


class CallOutcomeForm(forms.Form):
    """The call's outcome and, for a campaign's call, what the customer said when asked
    about the programme (awareness and satisfaction: domain.md section 4's measures)."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    aware = _tri(_("Knew of the programme"))
    satisfaction = forms.TypedChoiceField(label=_("Satisfaction (1-5)"), required=False, coerce=int, empty_value=None,
                                          choices=[("", "—"), *((str(n), str(n)) for n in range(1, 6))])


class ConsentForm(forms.Form):
    """Record a grant or withdrawal of marketing consent on a channel."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    granted = forms.TypedChoiceField(label=_("Consent"), coerce=lambda v: v == "yes",
                                     choices=[("yes", _("granted")), ("no", _("withdrawn"))])
    source = forms.ChoiceField(label=_("Source"), choices=ConsentSource.choices)
