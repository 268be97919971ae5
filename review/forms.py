"""Forms of the review pages. They check what a form can (types, choices, required fields); every rule of the review
is the services' business. Querysets are given per request (never built at import time: tenant queries need a
scope)."""

import datetime
import uuid

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.people import display_name
from core.uploads import DOWNSCALE_PX
from households.models import Household
from scoring.models import ClaimChannel, Item
from scoring.periods import Cadence, period_of, round_periods

from .models import MIN_NOTICE_DAYS, ROUND_KINDS_TO_OPEN, DeclarationState

CHANGE_WITHDRAW = "withdraw"
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
idempotency_key_validator = RegexValidator(r"^[0-9a-f]{32}$", _("The form is out of date: submit it again."))


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def _text(label, *, required=True, rows=2, max_length=2000, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _user_label(user) -> str:
    return display_name(user)


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Item) -> str:
        return f"{obj.category.name} · {obj}"


class HouseholdNumberField(forms.CharField):
    """A household typed by its number (as printed on the door plate and the passbook)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Household number"))
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)


class OverrideMixin:
    """The township office's cross-review override: a reason, shown to township members only (and kept in the
    round's trail by the service)."""

    def add_override_field(self, allowed: bool) -> None:
        if allowed:
            self.fields["override_reason"] = forms.CharField(
                label=_("Township override of cross-review: reason"),
                required=False,
                max_length=500,
                help_text=_(
                    "Only when no other panel can decide (a member's own household or own area). The reason is "
                    "shown in the round's trail."
                ),
            )

    def override_reason(self) -> str:
        return self.cleaned_data.get("override_reason", "")


class HouseholdLookupMixin:
    """Finds the typed household among `households` (those of the round's village the member sees)."""

    def clean_household(self) -> Household:
        number = self.cleaned_data["household"].strip()
        household = self.households.filter(number=number).first()
        if household is None:
            raise forms.ValidationError(
                _("No household numbered %(number)s in %(village)s: check the number on the passbook."),
                params={"number": number, "village": self.village_name},
            )
        return household


# Rounds ----------------------------------------------------------------------------------------------------------


class RoundForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    scheme = forms.ModelChoiceField(label=_("Scheme"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=ROUND_KINDS_TO_OPEN)
    period = forms.ChoiceField(
        label=_("Period"), help_text=_("A quarter for a quarterly inspection, the year for an annual review.")
    )
    notice_days = forms.IntegerField(
        label=_("Notice length in days"),
        min_value=MIN_NOTICE_DAYS,
        max_value=30,
        initial=MIN_NOTICE_DAYS,
        help_text=_(
            "Whole calendar days after the day it is posted: at least three; the township may lengthen it."
        ),
        error_messages={
            "min_value": _(
                "A notice runs at least three whole calendar days: the township may lengthen it, never shorten it."
            )
        },
    )

    def __init__(self, *args, villages, schemes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["scheme"].queryset = schemes
        # The periods of the schemes' years, stored as before ("2026-Q1", "2026"); the service checks kind and year.
        years = sorted(set(schemes.values_list("year", flat=True))) or [timezone.localdate().year]
        self.fields["period"].choices = [choice for year in years for choice in round_periods(year)]
        if not self.is_bound:
            self.initial.setdefault("period", period_of(Cadence.QUARTERLY, timezone.localdate()))


class BatchForm(forms.Form):
    notice_days = forms.IntegerField(
        label=_("Notice length in days"),
        min_value=MIN_NOTICE_DAYS,
        max_value=30,
        initial=MIN_NOTICE_DAYS,
        help_text=_("At least three calendar days; the notice ends at the end of its last day."),
    )


class MoveForm(forms.Form):
    move = forms.CharField(max_length=30, widget=forms.HiddenInput)
    comment = _text(_("Comment"), required=False)


class BulkApproveForm(forms.Form):
    """The township's approval of several rounds and batches at once: their ids and one comment for the trail."""

    rounds = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    comment = _text(_("Comment"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rounds"].valid_value = lambda value: str(value).isdigit() and len(str(value)) < 10  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    panel = forms.ModelChoiceField(label=_("Review panel"), queryset=None)
    area = forms.ModelChoiceField(label=_("Area it inspects"), queryset=None)

    def __init__(self, *args, panels, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = panels
        self.fields["area"].queryset = areas


# Inspections -----------------------------------------------------------------------------------------------------


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotoField(forms.FileField):
    """Photos taken on the phone; their type and size are checked by the ledger service."""

    def __init__(self, **kwargs):
        attrs = {
            "accept": "image/*",
            "capture": "environment",
            "multiple": True,
            "data-downscale": DOWNSCALE_PX,
        }
        kwargs.setdefault("widget", MultiplePhotoInput(attrs=attrs))
        super().__init__(required=False, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotoField, self).clean(f, initial) for f in files if f]


class InspectionForm(OverrideMixin, forms.Form):
    findings = forms.ModelMultipleChoiceField(
        label=_("Findings"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick what you saw. Nothing ticked: the household was inspected and nothing was found."),
    )
    comment = _text(_("Comment"), required=False, help_text=_("What you saw, what the neighbours said."))
    photos = PhotoField(label=_("Photos"))
    inspected_on = forms.DateField(label=_("Inspected on"), widget=DATE_WIDGET)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, validators=[idempotency_key_validator])

    def __init__(
        self,
        *args,
        items,
        default_day: datetime.date,
        can_override: bool = False,
        kept_photos: int = 0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["findings"].queryset = items
        self.add_override_field(can_override)
        self.kept_photos = kept_photos  # photos kept from a failed submit (core.uploads)
        if not self.is_bound:
            self.initial.setdefault("inspected_on", default_day)
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean(self):
        data = super().clean()
        if (data.get("photos") or self.kept_photos) and not data.get("findings"):
            self.add_error(
                "photos", _("A photo is kept with a finding: tick the item the photo shows, or leave it out.")
            )
        return data

    def findings_by_category(self):
        """The checkboxes grouped under their category (bonuses and penalties of each)."""
        groups: dict[str, list] = {}
        items = {str(item.pk): item for item in self.fields["findings"].queryset}
        for box in self["findings"]:
            item = items[str(box.data["value"])]
            groups.setdefault(item.category.name, []).append((box, item))
        return list(groups.items())


# Declarations ----------------------------------------------------------------------------------------------------


class DeclarationForm(HouseholdLookupMixin, forms.Form):
    household = HouseholdNumberField()
    item = ItemChoiceField(label=_("Item"), queryset=None)
    occurred_on = forms.DateField(label=_("Date it happened"), widget=DATE_WIDGET)
    place = forms.CharField(label=_("Place"), max_length=200)
    description = _text(_("What happened"), rows=3)
    evidence = PhotoField(label=_("Evidence (photos)"))
    on_behalf = forms.BooleanField(
        label=_("Declared on the household's behalf (代为申报)"),
        required=False,
        help_text=_("Tick when a clerk or grid worker declares for the household."),
    )

    def __init__(self, *args, households, village_name: str, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.households, self.village_name = households, village_name
        self.fields["item"].queryset = items


DECISIONS = [
    (DeclarationState.ACCEPTED, _("Accept")),
    (DeclarationState.ADJUSTED, _("Adjust to another item")),
    (DeclarationState.REJECTED, _("Reject")),
    (DeclarationState.FALSE, _("Proved false (costs double)")),
]


class DecisionForm(OverrideMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision on the appeal"), choices=DECISIONS, widget=forms.RadioSelect
    )
    adjusted_item = ItemChoiceField(
        label=_("Adjusted item"), queryset=None, required=False, help_text=_("Only when adjusting.")
    )
    reason = _text(_("Reason"), required=False, help_text=_("Needed unless the declaration is accepted."))

    def __init__(self, *args, items, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adjusted_item"].queryset = items
        self.add_override_field(can_override)

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == DeclarationState.ADJUSTED and not data.get("adjusted_item"):
            self.add_error("adjusted_item", _("Choose the item the declaration is adjusted to."))
        if decision and decision != DeclarationState.ACCEPTED and not data.get("reason", "").strip():
            self.add_error("reason", _("Give the reason for the decision."))
        return data


# Proposal changes (meetings and objections) ----------------------------------------------------------------------


class ProposalChangesMixin:
    """For each open proposal a choice (confirmed / withdrawn / changed to another item) and a reason."""

    def add_change_fields(self, proposals, items) -> None:
        self.proposals = proposals
        item_choices = [(f"item:{item.pk}", f"{item.category.name} · {item}") for item in items]
        self._items = {f"item:{item.pk}": item for item in items}
        for row in proposals:
            pk = row.entry.pk
            self.fields[f"change_{pk}"] = forms.ChoiceField(
                label=_("Decision on the appeal"),
                required=False,
                choices=[
                    ("", _("Confirmed as proposed")),
                    (CHANGE_WITHDRAW, _("Withdraw")),
                    (_("Change to"), item_choices),
                ],
            )
            self.fields[f"reason_{pk}"] = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def proposal_rows(self):
        return [
            (row, self[f"change_{row.entry.pk}"], self[f"reason_{row.entry.pk}"]) for row in self.proposals
        ]

    def clean_changes(self) -> None:
        for row in self.proposals:
            pk = row.entry.pk
            if (
                self.cleaned_data.get(f"change_{pk}")
                and not self.cleaned_data.get(f"reason_{pk}", "").strip()
            ):
                self.add_error(f"reason_{pk}", _("Give the reason for the change."))

    def changes(self) -> list[dict]:
        """The dicts the services take: {entry, reason, new_item (when changed to another item)}."""
        result = []
        for row in self.proposals:
            pk = row.entry.pk
            choice = self.cleaned_data.get(f"change_{pk}")
            if not choice:
                continue
            change = {"entry": row.entry, "reason": self.cleaned_data[f"reason_{pk}"]}
            if choice != CHANGE_WITHDRAW:
                change["new_item"] = self._items[choice]
            result.append(change)
        return result

    def changed_fields(self) -> set[str]:
        return {name for name in self.fields if name.startswith(("change_", "reason_"))}


class PanelMeetingForm(OverrideMixin, ProposalChangesMixin, forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DATE_WIDGET)
    attendees = forms.MultipleChoiceField(
        label=_("Attendees"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Quorum: more than half of the panel and at least five people."),
    )
    notes = _text(_("Notes"), required=False)

    def __init__(self, *args, members, proposals, items, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_override_field(can_override)
        self.members = {str(m.user_id): m.user for m in members}
        self.fields["attendees"].choices = [
            (str(m.user_id), f"{_user_label(m.user)} · {m.get_kind_display()}") for m in members
        ]
        self.add_change_fields(proposals, items)
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())

    def clean(self):
        data = super().clean()
        self.clean_changes()
        return data

    def attendee_users(self) -> list:
        return [self.members[pk] for pk in self.cleaned_data["attendees"]]


class RepresentativesMeetingForm(ProposalChangesMixin, forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DATE_WIDGET)
    attendee_names = _text(
        _("Attendees"), help_text=_("Who attended, e.g. 8 party member and 12 villager representatives.")
    )
    township_staff = forms.CharField(label=_("Township staff present"), max_length=200)
    notes = _text(_("Notes"), required=False)

    def __init__(self, *args, proposals, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_change_fields(proposals, items)
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())

    def clean(self):
        data = super().clean()
        self.clean_changes()
        return data


# Objections ------------------------------------------------------------------------------------------------------


class ObjectionForm(HouseholdLookupMixin, forms.Form):
    household = HouseholdNumberField(help_text=_("The household whose result is challenged."))
    objector_name = forms.CharField(label=_("Who objects"), max_length=50)
    objector_phone = forms.CharField(label=_("Their phone"), max_length=20, required=False)
    reason = _text(_("Why"), rows=3)

    def __init__(self, *args, households, village_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.households, self.village_name = households, village_name


OUTCOMES = [("dismissed", _("Dismissed: the result stands")), ("upheld", _("Upheld"))]


class ResolveForm(OverrideMixin, ProposalChangesMixin, forms.Form):
    outcome_kind = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, widget=forms.RadioSelect)
    outcome = _text(_("Written outcome"), rows=3)

    def __init__(self, *args, proposals, items, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_override_field(can_override)
        self.add_change_fields(proposals, items)

    def clean(self):
        data = super().clean()
        self.clean_changes()
        return data

    @property
    def upheld(self) -> bool:
        return self.cleaned_data.get("outcome_kind") == "upheld"


class ClaimForm(HouseholdLookupMixin, forms.Form):
    """积分申报 on a phone: the household by its number, what it did, how the claim came in and who declared."""

    household = HouseholdNumberField()
    item = ItemChoiceField(label=_("Item"), queryset=None)
    occurred_on = forms.DateField(label=_("Date it happened"), widget=DATE_WIDGET)
    happened_at = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    cause = _text(_("What happened"), rows=3)
    channel = forms.ChoiceField(
        label=_("Claimed by"),
        # The villager's own page is the channel of self-declarations only (scoring.services.appeals).
        choices=[c for c in ClaimChannel.choices if c[0] != ClaimChannel.VILLAGER_PAGE],
        initial=ClaimChannel.IN_PERSON,
    )
    declarer_name = forms.CharField(
        label=_("Declared by someone else (name)"),
        max_length=100,
        required=False,
        help_text=_("Leave empty when the household declared itself."),
    )
    declarer_relation = forms.CharField(
        label=_("Their relation to the household"), max_length=50, required=False
    )
    photos = PhotoField(label=_("Photos"))

    def __init__(self, *args, households, items, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.households, self.village_name = households, _("your villages")
        self.fields["item"].queryset = items
        self.account = account
        if account is not None:  # the holder was chosen on its account's page: a villager's or a unit's
            del self.fields["household"]


class FalseClaimForm(forms.Form):
    reason = _text(_("How it was proved false"))


class TakeDeclarationForm(forms.Form):
    """The grid worker's check of a villager's self-declaration: the item it is a claim for, the facts checked."""

    item = ItemChoiceField(label=_("Item"), queryset=None)
    occurred_on = forms.DateField(label=_("Date it happened"), widget=DATE_WIDGET)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    cause = _text(_("What happened (as checked)"), required=False, rows=3, max_length=1000)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


class RefuseDeclarationForm(forms.Form):
    reason = _text(_("Why it is refused (the villager reads it)"), max_length=300)


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision on the appeal"),
        choices=[("uphold", _("Uphold: reverse the entry")), ("reject", _("Reject: the entry stands"))],
        widget=forms.RadioSelect,
    )
    reason = _text(_("Reason (the villager reads it)"), max_length=300)
