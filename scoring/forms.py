"""Forms of the scoring pages. They check the shape of the input; the rules live in services (DomainError).

Querysets and choices that touch tenant tables are built in `__init__`, inside the request's township scope.
"""

import uuid
from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.uploads import DOWNSCALE_PX
from households.models import Area

from .models import Category, EntrySource, EntryState, Item, ItemKind, RoleRule, Scheme
from .periods import Cadence

YEAR_MIN, YEAR_MAX = 2000, 2100
RECORDING_SOURCES = [EntrySource.CLERK, EntrySource.DECLARATION, EntrySource.INSPECTION]


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on its field when the form has one, else above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _label(model, field_name: str):
    return capfirst(model._meta.get_field(field_name).verbose_name)


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def _points(label, *, required=True, help_text=""):
    # Two decimals at most (halves allowed): Django's own message names the limit.
    return forms.DecimalField(
        label=label, max_digits=7, decimal_places=2, required=required, help_text=help_text
    )


class YearField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Year"))
        super().__init__(min_value=YEAR_MIN, max_value=YEAR_MAX, **kwargs)


# Schemes -----------------------------------------------------------------------------------------------------


class SchemeForm(forms.Form):
    name = forms.CharField(label=_label(Scheme, "name"), max_length=100)
    year = YearField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class TemplateForm(forms.Form):
    template = forms.ChoiceField(label=_("Template"))
    year = YearField()
    scheme_name = forms.CharField(
        label=_("Name of the new scheme"),
        max_length=100,
        required=False,
        help_text=_("Empty: the template's own name."),
    )
    starts_on = forms.DateField(
        label=_("First day of the term"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Empty: the template's term in that year (a class: 1 September), else the calendar year."
        ),
    )
    ends_on = forms.DateField(
        label=_("Last day of the term"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, templates: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [(t["name"], t["title"]) for t in templates]
        self.fields["year"].initial = timezone.localdate().year


class CopySchemeForm(forms.Form):
    scheme = forms.ModelChoiceField(label=_("Scheme to copy"), queryset=None)
    year = YearField(label=_("Year of the new scheme"))
    name = forms.CharField(
        label=_("Name of the new scheme"),
        max_length=100,
        required=False,
        help_text=_("Empty: the same name."),
    )

    def __init__(self, *args, schemes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes
        self.fields["scheme"].empty_label = _("Choose a scheme")
        self.fields["year"].initial = timezone.localdate().year + 1


class CategoryForm(forms.Form):
    name = forms.CharField(label=_label(Category, "name"), max_length=100)
    base_score = _points(_label(Category, "base_score"))
    cadence = forms.ChoiceField(
        label=_label(Category, "cadence"), choices=Cadence.choices, initial=Cadence.ANNUAL
    )
    floor = _points(_label(Category, "floor"), required=False, help_text=_("Optional lowest category score."))
    ceiling = _points(
        _label(Category, "ceiling"), required=False, help_text=_("Optional highest category score.")
    )
    order = forms.IntegerField(label=_label(Category, "order"), min_value=0, max_value=32767, initial=0)

    def clean(self):
        data = super().clean()
        floor, ceiling = data.get("floor"), data.get("ceiling")
        if floor is not None and ceiling is not None and floor > ceiling:
            self.add_error("ceiling", _("The ceiling cannot be below the floor."))
        return data


class ItemFieldsForm(forms.Form):
    """An item's rule. Bonus or penalty says the sign; the points are always positive."""

    name = forms.CharField(label=_label(Item, "name"), max_length=200)
    kind = forms.ChoiceField(label=_label(Item, "kind"), choices=ItemKind.choices)
    points = _points(_label(Item, "points"), help_text=_("Halves are allowed, e.g. 0.5."))
    cap_count = forms.IntegerField(
        label=_label(Item, "cap_count"), min_value=1, max_value=32767, required=False
    )
    cap_points = _points(_label(Item, "cap_points"), required=False)
    evidence_required = forms.BooleanField(label=_label(Item, "evidence_required"), required=False)
    by_inspection = forms.BooleanField(label=_label(Item, "by_inspection"), required=False, initial=True)
    by_declaration = forms.BooleanField(label=_label(Item, "by_declaration"), required=False)
    by_clerk = forms.BooleanField(label=_label(Item, "by_clerk"), required=False, initial=True)
    disqualifying = forms.BooleanField(label=_label(Item, "disqualifying"), required=False)
    role_multiplier_applies = forms.BooleanField(
        label=_label(Item, "role_multiplier_applies"), required=False, initial=True
    )
    verification = forms.CharField(label=_label(Item, "verification"), max_length=300, required=False)
    threshold_count = forms.IntegerField(
        label=_label(Item, "threshold_count"), min_value=1, max_value=32767, required=False
    )
    threshold_consequence = forms.CharField(
        label=_label(Item, "threshold_consequence"), max_length=200, required=False
    )
    threshold_carries_over = forms.BooleanField(
        label=_label(Item, "threshold_carries_over"),
        required=False,
        help_text=Item._meta.get_field("threshold_carries_over").help_text,
    )
    cap_cadence = forms.ChoiceField(
        label=_label(Item, "cap_cadence"),
        choices=[("", _("The category's cadence")), *Cadence.choices],
        required=False,
    )
    order = forms.IntegerField(label=_label(Item, "order"), min_value=0, max_value=32767, initial=0)

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in ("by_inspection", "by_declaration", "by_clerk")):
            self.add_error(
                "by_clerk",
                _("Tick at least one way the item is recorded (inspection, declaration or clerk)."),
            )
        if data.get("points") is not None and data["points"] <= 0:
            self.add_error(
                "points", _("Give the points as a positive number; bonus or penalty says the sign.")
            )
        if data.get("threshold_carries_over") and not data.get("threshold_count"):
            self.add_error("threshold_carries_over", _("Only a limit carries over: give the threshold too."))
        return data


class ItemCreateForm(ItemFieldsForm):
    category = forms.ModelChoiceField(label=_label(Item, "category"), queryset=None)

    field_order = ["category"]

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["category"].empty_label = _("Choose a category")


class ItemEditForm(ItemFieldsForm):
    active = forms.BooleanField(
        label=_label(Item, "active"),
        required=False,
        help_text=_("A retired item takes no new entries; its past entries stay."),
    )


class RoleRuleForm(forms.Form):
    code = forms.SlugField(
        label=_label(RoleRule, "code"),
        max_length=40,
        help_text=_("Letters, digits and dashes, e.g. officer."),
    )
    name = forms.CharField(label=_label(RoleRule, "name"), max_length=100)
    base_score = _points(
        _label(RoleRule, "base_score"), required=False, help_text=_("Empty: the scheme's base total.")
    )
    penalty_multiplier = forms.DecimalField(
        label=_label(RoleRule, "penalty_multiplier"),
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("0.01"),
        initial=1,
        help_text=_("2 means penalties count double for this role."),
    )


# Recording ---------------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several photos or documents at once; their type and size are checked by the ledger service."""

    def __init__(self, **kwargs):
        attrs = {
            "accept": "image/*,application/pdf",
            "capture": "environment",
            "multiple": True,
            "data-downscale": DOWNSCALE_PX,  # photos only: a PDF is sent as it is (panel.js)
        }
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        super().__init__(required=False, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(EvidenceField, self).clean(f, initial) for f in files if f]


class ItemChoiceField(forms.ChoiceField):
    """The items of the active schemes, grouped by scheme and category; cleans to the Item."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.items: dict[str, Item] = {}

    def set_items(self, items) -> None:
        groups: dict[str, list] = {}
        self.items = {}
        for item in items:
            category = item.category
            group = f"{category.scheme.year} {category.scheme.name} · {category.name}"
            groups.setdefault(group, []).append((str(item.pk), str(item)))
            self.items[str(item.pk)] = item
        self.choices = [("", _("Choose an item")), *groups.items()]

    def clean(self, value):
        value = super().clean(value)
        return self.items[value]


class RecordFormBase(forms.Form):
    item = ItemChoiceField(label=_("Item"))
    occurred_on = forms.DateField(
        label=_("Date it happened"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(
        label=_("Reason or note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What happened, where, who saw it."),
    )
    idempotency_key = forms.CharField(
        max_length=32,
        widget=forms.HiddenInput,
        validators=[
            RegexValidator(
                r"^[0-9a-f]{32}$", _("This form is out of date: reload the page and fill it in again.")
            )
        ],
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].set_items(items)
        if not self.is_bound:
            self.initial.setdefault("occurred_on", timezone.localdate())
            self.initial.setdefault("idempotency_key", new_idempotency_key())


class EntryRecordForm(RecordFormBase):
    household = forms.IntegerField(widget=forms.HiddenInput, required=False)
    source = forms.ChoiceField(
        label=_("Recorded as"),
        choices=[(s.value, s.label) for s in RECORDING_SOURCES],
        initial=EntrySource.CLERK,
    )
    evidence = EvidenceField(label=_("Evidence (photos or PDF)"))

    field_order = ["household", "item", "source", "occurred_on", "reason", "evidence"]

    def clean_household(self):
        if self.cleaned_data.get("household") is None:
            raise forms.ValidationError(_("Choose a household first: search it by its number."))
        return self.cleaned_data["household"]


class BulkRecordForm(RecordFormBase):
    households = forms.MultipleChoiceField(
        label=_("Households"), widget=forms.CheckboxSelectMultiple, required=False
    )

    field_order = ["item", "occurred_on", "reason", "households"]

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.household_rows = list(households)
        self.fields["households"].choices = [(str(h.pk), h.number) for h in self.household_rows]

    def clean_households(self) -> list[int]:
        chosen = [int(pk) for pk in self.cleaned_data["households"]]
        if not chosen:
            raise forms.ValidationError(_("Tick at least one household."))
        return chosen


class AreaPickerForm(forms.Form):
    """Which households the bulk page lists: a whole village or one area of it."""

    village = forms.ModelChoiceField(label=_label(Area, "village"), queryset=None, required=False)
    area = forms.ModelChoiceField(label=_("Area"), queryset=None, required=False)

    def __init__(self, *args, villages, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["village"].empty_label = _("Choose a village")
        self.fields["area"].queryset = areas
        self.fields["area"].empty_label = _("The whole village")
        self.fields["area"].label_from_instance = lambda area: f"{area.village.name} · {area.name}"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}), strip=True
    )


# The ledger's filters ----------------------------------------------------------------------------------------


class EntryFilterForm(forms.Form):
    """Filters of the ledger. Invalid values are dropped, never an error page."""

    scheme = forms.ModelChoiceField(label=_("Scheme"), queryset=None, required=False)
    village = forms.ModelChoiceField(label=_label(Area, "village"), queryset=None, required=False)
    state = forms.ChoiceField(label=_("State"), choices=[("", _("All")), *EntryState.choices], required=False)
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("All")), *EntrySource.choices], required=False
    )
    number = forms.CharField(label=_("Household number"), max_length=30, required=False)
    recorded_on = forms.DateField(
        label=_("Recorded on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, schemes, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes
        self.fields["scheme"].empty_label = _("All schemes")
        self.fields["village"].queryset = villages
        self.fields["village"].empty_label = _("All villages")
        self.fields["number"].widget.attrs.update(type="search", autocomplete="off")

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "scheme": data.get("scheme"),
            "village": data.get("village"),
            "state": data.get("state") or "",
            "source": data.get("source") or "",
            "number": (data.get("number") or "").strip(),
            "recorded_on": data.get("recorded_on"),
        }
