"""The desk's web forms (Django forms: parsing and field errors; the rules live in the
services). Every form that changes a ticket carries the ``version`` the agent saw, so a
second agent's save never silently overwrites the first's (optimistic locking)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from telcrm.core.masking import mask_phone
from telcrm.customers.models import Customer, Subscription
from telcrm.tickets.models import (
    Category,
    NoteKind,
    RefundKind,
    Resolution,
    TicketChannel,
    TicketKind,
    WorkOrderTeam,
)


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LineChoice(forms.ModelChoiceField):
    """A customer's line, shown with its number masked (domain.md section 1)."""

    def label_from_instance(self, obj: Subscription) -> str:  # type: ignore[override]
        return f"{mask_phone(obj.msisdn)} · {obj.get_status_display()}"


class CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:  # type: ignore[override]
        name = obj.name_zh if (get_language() or "").startswith("zh") else obj.name_en
        return f"{parent.code} › {name}" if (parent := obj.parent) else name


class OpenTicketForm(forms.Form):
    customer_no = forms.CharField(label=_("Customer number"), max_length=20)
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices)
    category = CategoryChoice(label=_("Category"), queryset=Category.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=TicketChannel.choices,
                                initial=TicketChannel.CALL_CENTRE)
    subscription = LineChoice(label=_("Line"), queryset=Subscription.objects.none(), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, customer: Customer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = (  # type: ignore[attr-defined]
            Category.objects.filter(active=True).select_related("parent").order_by("position", "code"))
        if customer is not None:
            self.fields["subscription"].queryset = customer.subscriptions.order_by("id")  # type: ignore[attr-defined]


class NoteForm(VersionedForm):
    kind = forms.ChoiceField(label=_("Kind"), initial=NoteKind.INTERNAL, choices=[
        c for c in NoteKind.choices if c[0] != NoteKind.SYSTEM])
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    work_minutes = forms.IntegerField(label=_("Work minutes"), min_value=0, max_value=600, initial=0,
                                      required=False)


class StatusForm(VersionedForm):
    status = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ResolveForm(VersionedForm):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=Resolution.choices)
    note = forms.CharField(label=_("Answer to the customer"), widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(VersionedForm):
    owner = forms.CharField(label=_("New owner (user name)"), max_length=150)


class WorkOrderForm(VersionedForm):
    team = forms.ChoiceField(label=_("Back-office team"), choices=WorkOrderTeam.choices)
    description = forms.CharField(label=_("Work to do"), widget=forms.Textarea(attrs={"rows": 2}))


class WorkOrderDoneForm(VersionedForm):
    result = forms.CharField(label=_("Result"), max_length=2000)


class EvidenceForm(VersionedForm):
    #: ``bill:123``, ``sp:4``... as listed in the evidence panel.
    source = forms.CharField(widget=forms.HiddenInput, max_length=60)


class RefundForm(VersionedForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=RefundKind.choices)
    amount = forms.DecimalField(label=_("Amount (CNY)"), min_value=0.01, max_digits=10, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class RefundDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("yes", "yes"), ("no", "no")], coerce=lambda v: v == "yes")
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class VisitOutcomeForm(forms.Form):
    reached = forms.TypedChoiceField(label=_("Customer reached"), coerce=lambda v: v == "yes",
                                     choices=[("yes", _("yes")), ("no", _("no, try again"))])
    satisfaction = forms.IntegerField(label=_("Satisfaction (1-10)"), required=False,
                                      validators=[MinValueValidator(1), MaxValueValidator(10)])
    solved = forms.TypedChoiceField(label=_("Problem really solved"), required=False, empty_value=None,
                                    coerce=lambda v: v == "yes",
                                    choices=[("", "—"), ("yes", _("yes")), ("no", _("no: reopen to its owner"))])
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reached"):
            if data.get("satisfaction") is None:
                self.add_error("satisfaction", _("A reached customer gives a score from 1 to 10."))
            if data.get("solved") is None:
                self.add_error("solved", _("Say whether the problem is really solved."))
        return data
