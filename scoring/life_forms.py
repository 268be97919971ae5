"""Forms of a household's life where points move (split, merge, moving out). Shapes only; the rules are in
scoring.services.life. Each asks for an explicit confirmation: these steps are not undone by a click."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.forms import AreaChoiceField
from households.models import Area, Resident

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
REASON = {"max_length": 300}


def _today() -> datetime.date:
    return timezone.localdate()


class SplitForm(forms.Form):
    leaving = forms.ModelMultipleChoiceField(
        label=_("Members who leave to form the new household"),
        queryset=Resident.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    head = forms.ModelChoiceField(label=_("Head of the new household"), queryset=Resident.objects.none())
    number = forms.CharField(label=_("New household number"), max_length=30)
    area = AreaChoiceField(label=_("Area of the new household"), queryset=Area.objects.none())
    split_on = forms.DateField(label=_("Date of the split"), widget=DATE_WIDGET, initial=_today)
    points = forms.DecimalField(
        label=_("Points that go to the new household"),
        required=False,
        max_digits=8,
        decimal_places=2,
        help_text=_("Only when the scheme lets the clerk type the amount."),
    )
    reason = forms.CharField(label=_("Why does the household split?"), **REASON)
    confirm = forms.BooleanField(label=_("I have checked the members, the head and the points: split now."))

    def __init__(self, *args, members=(), areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leaving"].queryset = members
        self.fields["head"].queryset = members
        self.fields["area"].queryset = areas


class MergeForm(forms.Form):
    absorbed = forms.CharField(
        label=_("Number of the household that joins this one"),
        max_length=30,
        help_text=_("Its members and approved points come to this household; it ends as merged."),
    )
    area = AreaChoiceField(
        label=_("Area of the merged household"),
        queryset=Area.objects.none(),
        required=False,
        help_text=_("Empty: this household's area."),
    )
    merged_on = forms.DateField(label=_("Date of the merge"), widget=DATE_WIDGET, initial=_today)
    reason = forms.CharField(label=_("Why do the households merge?"), **REASON)
    confirm = forms.BooleanField(label=_("I have checked both households: merge now."))

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


class MoveOutForm(forms.Form):
    moved_out_on = forms.DateField(label=_("Date of moving out"), widget=DATE_WIDGET, initial=_today)
    transfer_to = forms.CharField(
        label=_("Transfer the points to household (number)"),
        max_length=30,
        required=False,
        help_text=_(
            "Optional: a household of this township takes its approved points before the account closes."
        ),
    )
    reason = forms.CharField(label=_("Where does the household go, and why?"), **REASON)
    confirm = forms.BooleanField(label=_("I have checked the balance: close the account now."))
