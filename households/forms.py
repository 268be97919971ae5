"""Forms of the roster pages. They check the shape of the input; the rules live in services (DomainError)."""

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.forms import ReadOnceModelChoiceField

from .models import Area, Gender, Household, Membership, Participation, Resident, Role, Village
from .validators import validate_id_number, validate_mobile


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: on its field when the form has one, else above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _model_label(model, field_name: str):
    return capfirst(model._meta.get_field(field_name).verbose_name)


class AreaChoiceField(ReadOnceModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.village.name} · {obj.name}"


# Villages and areas ------------------------------------------------------------------------------------------


class VillageForm(forms.Form):
    name = forms.CharField(label=_model_label(Village, "name"), max_length=100)
    code = forms.CharField(
        label=_model_label(Village, "code"),
        max_length=30,
        required=False,
        help_text=_("Optional, e.g. the statistics code."),
    )


class AreaForm(forms.Form):
    name = forms.CharField(
        label=_model_label(Area, "name"), max_length=100, help_text=_("For example: group 1, east part.")
    )


# Households and residents ------------------------------------------------------------------------------------


class HouseholdFieldsForm(forms.Form):
    number = forms.CharField(label=_model_label(Household, "number"), max_length=30)
    address = forms.CharField(label=_model_label(Household, "address"), max_length=200, required=False)
    participation = forms.ChoiceField(
        label=_model_label(Household, "participation"),
        choices=Participation.choices,
        initial=Participation.TAKING_PART,
    )
    participation_reason = forms.CharField(
        label=_model_label(Household, "participation_reason"),
        max_length=200,
        required=False,
        help_text=_("Needed when the household does not take part."),
    )


class ResidentFieldsForm(forms.Form):
    """A resident's own fields; ID and mobile numbers are checked here so every mistake shows at once."""

    name = forms.CharField(label=_("Full name"), max_length=50)
    gender = forms.ChoiceField(
        label=_model_label(Resident, "gender"), choices=[("", "—"), *Gender.choices], required=False
    )
    birth_year = forms.IntegerField(
        label=_model_label(Resident, "birth_year"),
        required=False,
        min_value=1900,
    )
    id_number = forms.CharField(
        label=_model_label(Resident, "id_number"),
        max_length=18,
        required=False,
        validators=[validate_id_number],
        help_text=_("Optional. 18 characters; it is shown masked."),
    )
    mobile = forms.CharField(
        label=_model_label(Resident, "mobile"), max_length=11, required=False, validators=[validate_mobile]
    )
    is_party_member = forms.BooleanField(label=_model_label(Resident, "is_party_member"), required=False)

    def clean_birth_year(self) -> int | None:
        year = self.cleaned_data["birth_year"]
        if year is not None and year > timezone.localdate().year:  # checked per request, not at import
            raise forms.ValidationError(_("The birth year cannot be in the future."))
        return year

    def clean_id_number(self) -> str:
        return self.cleaned_data["id_number"].strip().upper()

    def clean_mobile(self) -> str:
        return self.cleaned_data["mobile"].strip()

    def resident_fields(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name] for name in ("gender", "birth_year", "id_number", "mobile", "is_party_member")
        }


class HouseholdCreateForm(HouseholdFieldsForm, ResidentFieldsForm):
    """A new household and its head in one form. The head's fields keep the resident's field names."""

    area = AreaChoiceField(label=_model_label(Household, "area"), queryset=None)

    field_order = [
        "area", "number", "address", "participation", "participation_reason",
        "name", "gender", "birth_year", "id_number", "mobile", "is_party_member",
    ]  # fmt: skip

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["area"].empty_label = _("Choose an area")
        self.fields["name"].label = _("Name of the head of household")


class HouseholdEditForm(HouseholdFieldsForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=100,
        required=False,
        help_text=_("Optional; kept in the history."),
    )


class MoveForm(forms.Form):
    to_area = AreaChoiceField(label=_("Move to area"), queryset=None)
    reason = forms.CharField(label=_("Reason for the move"), max_length=200)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_area"].queryset = areas
        self.fields["to_area"].empty_label = _("Choose an area")


class ResidentForm(ResidentFieldsForm):
    is_head = forms.BooleanField(
        label=_model_label(Resident, "is_head"),
        required=False,
        help_text=_("The current head, if any, stops being the head."),
    )


class ResidentEditForm(ResidentForm):
    """Editing never sends a stored ID or mobile number back to the browser: an empty box keeps it."""

    SECRET_FIELDS = ("id_number", "mobile")

    def __init__(self, *args, resident: Resident, **kwargs):
        super().__init__(*args, **kwargs)
        self.resident = resident
        masked = {"id_number": resident.masked_id_number, "mobile": resident.masked_mobile}
        for name in self.SECRET_FIELDS:
            if not getattr(resident, name):
                continue
            self.fields[name].help_text = _(
                "Now %(masked)s. Leave empty to keep it, or type the new number."
            ) % {"masked": masked[name]}
            self.fields[f"clear_{name}"] = forms.BooleanField(
                label=_("Delete the stored %(field)s") % {"field": self.fields[name].label}, required=False
            )
        self.order_fields([*ResidentFieldsForm.base_fields, "is_head", "clear_id_number", "clear_mobile"])

    def resident_fields(self) -> dict:
        fields = super().resident_fields()
        for name in self.SECRET_FIELDS:
            if self.cleaned_data.get(f"clear_{name}"):
                fields[name] = ""
            elif not fields[name]:
                fields.pop(name)  # empty box: keep the stored number
        return fields


class RemoveResidentForm(forms.Form):
    """A member leaves the household (died, moved out, other): kept as a former member, never erased. When the head
    leaves and others remain, the new head is chosen in the same step."""

    DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    reason = forms.ChoiceField(label=_("Why does this member leave?"))
    ended_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    note = forms.CharField(
        label=_("Note"), max_length=200, required=False, help_text=_("Required for “Other”.")
    )
    new_head = forms.ModelChoiceField(
        label=_("New head of household"),
        queryset=Resident.objects.none(),
        required=False,
        help_text=_("Only when the head leaves: one of the other members."),
    )

    def __init__(self, *args, others=(), **kwargs):
        from .life.services import REASONS_TO_END

        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [(r.value, r.label) for r in REASONS_TO_END]
        self.fields["ended_on"].initial = timezone.localdate
        self.fields["new_head"].queryset = others


class ChangeHeadForm(forms.Form):
    new_head = forms.ModelChoiceField(label=_("New head of household"), queryset=Resident.objects.none())
    reason = forms.CharField(label=_("Why does the head change?"), max_length=200)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_head"].queryset = members


# Filters -----------------------------------------------------------------------------------------------------


class HouseholdFilterForm(forms.Form):
    """The list's search and filters. Invalid values are dropped, never an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    village = ReadOnceModelChoiceField(
        label=_model_label(Household, "village"), queryset=None, required=False
    )
    area = AreaChoiceField(label=_model_label(Household, "area"), queryset=None, required=False)
    participation = forms.ChoiceField(
        label=_model_label(Household, "participation"),
        choices=[("", _("All")), *Participation.choices],
        required=False,
    )
    missing = forms.ChoiceField(
        label=_("Missing"),
        choices=[
            ("", _("All households")),
            ("head", _("No head of household")),
            ("phone", _("No mobile number")),
        ],
        required=False,
    )

    def __init__(self, *args, villages, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["village"].empty_label = _("All villages")
        self.fields["area"].queryset = areas
        self.fields["area"].empty_label = _("All areas")
        self.fields["q"].widget.attrs.update(
            placeholder=_("Household number, address or member name"), type="search", autocomplete="off"
        )

    def filters(self) -> dict:
        """The valid filters only: a bad value (a foreign id, a NUL byte) is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "query": data.get("q") or "",
            "village": data.get("village"),
            "area": data.get("area"),
            "participation": data.get("participation") or "",
            "missing": data.get("missing") or "",
        }


# Memberships -------------------------------------------------------------------------------------------------


class MembershipForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("An existing account, or the name of a new one."),
    )
    password = forms.CharField(
        label=_("First password (new accounts only)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty for an existing account: its owner keeps their own password."),
    )
    role = forms.ChoiceField(label=_model_label(Membership, "role"), choices=Role.choices)
    villages = forms.ModelMultipleChoiceField(
        label=_model_label(Membership, "villages"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Village clerks, review panel members and grid workers work only in these villages."),
    )
    areas = forms.ModelMultipleChoiceField(
        label=_model_label(Membership, "areas"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Grid workers only: limit them to these areas of their villages (none: every area)."),
    )

    def __init__(self, *args, villages, areas, roles=None, students=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A retired village or area takes no new member (households.places).
        self.fields["villages"].queryset = villages.filter(retired_at__isnull=True)
        self.fields["areas"].queryset = areas.filter(
            retired_at__isnull=True, village__retired_at__isnull=True
        )
        if roles is not None:  # the roles of the kind of organisation (a school's are a school's)
            self.fields["role"].choices = [(role, Role(role).label) for role in roles]
        if students is not None:  # a school: a parent reads one student
            self.fields["student"] = forms.ModelChoiceField(
                label=_model_label(Membership, "student"),
                queryset=students,
                required=False,
                help_text=_("Parents only: the student whose records they read."),
            )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()


class PersonForm(MembershipForm):
    """A new person: their name, a username (a suggestion is filled in) and their role; the password is made by
    Jifen and shown once."""

    name = forms.CharField(label=_("Name"), max_length=150)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["password"]
        self.fields["username"].help_text = _(
            "What they type to sign in; keep the suggestion or choose another."
        )
        self.order_fields(["name", "username", "role", "villages", "areas", "student"])

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class RoleForm(MembershipForm):
    """A member's role, villages and areas (student) here; their account is untouched."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["username"], self.fields["password"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why?"), max_length=200, help_text=_("Kept in the account's history."))
