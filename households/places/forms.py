"""Forms of the merge and retire pages: the shape of the input; the rules live in places.services."""

from django import forms
from django.utils.translation import gettext_lazy as _


class _ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Kept in the history, e.g. the township's decision number."),
    )


class VillageMergeForm(_ReasonForm):
    target = forms.ModelChoiceField(
        label=_("Merge into village"),
        queryset=None,
        error_messages={"invalid_choice": _("Choose a village of this township from the list.")},
    )
    field_order = ["target", "reason"]

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = villages


class AreaMergeForm(_ReasonForm):
    target = forms.ModelChoiceField(
        label=_("Merge into area"),
        queryset=None,
        error_messages={"invalid_choice": _("Choose an area of the same village from the list.")},
    )
    field_order = ["target", "reason"]

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = areas


class RetireForm(_ReasonForm):
    pass
