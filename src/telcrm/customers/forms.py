"""Forms of the customer screens.

The edit form leaves out the personal-data fields (ID number, address): an edit form would
have to print their raw values into the page, which masking forbids (domain.md section 1).
Those fields change through imports or the API, where the history stores them masked.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from telcrm.core.masking import PII_FIELDS
from telcrm.customers.models import Customer, CustomerKind

INDIVIDUAL_FIELDS = ("name", "email", "segment", "gender", "birth_date")
ENTERPRISE_FIELDS = ("name", "email", "industry", "size", "strategic_notes", "competitor_presence")


class CustomerEditForm(forms.ModelForm):
    """Edits with optimistic locking: ``version`` is the version the user loaded."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Customer
        fields = sorted(set(INDIVIDUAL_FIELDS) | set(ENTERPRISE_FIELDS))
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "strategic_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        keep = ENTERPRISE_FIELDS if self.instance.kind == CustomerKind.ENTERPRISE else INDIVIDUAL_FIELDS
        for name in list(self.fields):
            if name not in keep and name != "version":
                del self.fields[name]
        self.order_fields(keep)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def _post_clean(self) -> None:
        """Validation of the whole record is the service's job (``history.update_customer``),
        which re-reads the row under a lock; the form only parses the submitted values."""

    def changes(self) -> dict[str, object]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[(f, f) for f in PII_FIELDS])
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    line = forms.IntegerField(required=False, widget=forms.HiddenInput)


class MergeForm(forms.Form):
    duplicate = forms.CharField(label=_("Customer number of the duplicate"), max_length=20)
