"""Forms of the unit pages. They check the shape of the input; the rules live in `units.services` (DomainError)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..forms import _model_label
from ..models import Unit, UnitKind
from ..validators import validate_mobile
from .selectors import ACTIVE, ALL, ARCHIVED


class MobileField(forms.CharField):
    """A mobile number as typed on a phone: spaces and dashes are dropped before it is checked."""

    def to_python(self, value):
        return "".join(str(super().to_python(value)).replace("-", " ").split())


class UnitForm(forms.Form):
    village = forms.ModelChoiceField(label=_model_label(Unit, "village"), queryset=None)
    name = forms.CharField(label=_model_label(Unit, "name"), max_length=100)
    kind = forms.ChoiceField(label=_model_label(Unit, "kind"), choices=[("", "—"), *UnitKind.choices])
    contact_name = forms.CharField(label=_model_label(Unit, "contact_name"), max_length=50)
    contact_mobile = MobileField(
        label=_model_label(Unit, "contact_mobile"),
        validators=[validate_mobile],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    address = forms.CharField(label=_model_label(Unit, "address"), max_length=200, required=False)
    note = forms.CharField(
        label=_model_label(Unit, "note"),
        max_length=200,
        required=False,
        help_text=_("Optional, e.g. what the unit does or who registered it."),
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["village"].empty_label = _("Choose a village")


class UnitEditForm(UnitForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=100,
        required=False,
        help_text=_("Optional; kept in the history."),
    )


class ArchiveUnitForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the unit archived?"),
        max_length=100,
        help_text=_("For example: closed down, merged into another unit. Kept in the history."),
    )


class UnitFilterForm(forms.Form):
    """The list's search and filters. Invalid values are dropped, never an error page."""

    search = forms.CharField(label=_("Search"), required=False, max_length=100)
    village = forms.ModelChoiceField(label=_model_label(Unit, "village"), queryset=None, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(ACTIVE, _("On the roster")), (ARCHIVED, _("Archived")), (ALL, _("All"))],
        required=False,
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["village"].empty_label = _("All villages")
        self.fields["search"].widget.attrs.update(
            placeholder=_("Unit name, contact person or address"), type="search", autocomplete="off"
        )

    def filters(self) -> dict:
        """The valid filters only: a bad value (a foreign id, a NUL byte) is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "search": data.get("search") or "",
            "village": data.get("village"),
            "status": data.get("status") or ACTIVE,
        }
