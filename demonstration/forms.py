"""Forms of the demonstration pages: types, choices and required fields only; every rule is the services'."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from review.models import MIN_NOTICE_DAYS

from .models import AwardPurpose, CheckFinding, CheckKind
from .moves import APPLICATION_MOVES, CALL_MOVES
from .survey import QUESTIONS, SCALE_LABELS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ApplyForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=None)
    statement = forms.CharField(
        label=_("What the village has done"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    form = forms.FileField(
        label=_("Application form"),
        help_text=_("The filled-in form: PDF, Word (.docx), or a photo (JPEG, PNG)."),
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class CallForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    year = forms.IntegerField(label=_("Year of the figures"), min_value=2000, max_value=2100)
    budget = forms.DecimalField(label=_("Budget (yuan)"), max_digits=12, decimal_places=2, min_value=0)
    villages_wanted = forms.IntegerField(label=_("Number of villages"), min_value=1, max_value=1000)
    preselect_limit = forms.IntegerField(
        label=_("Pre-selected villages per county at most"), min_value=1, max_value=100, initial=3
    )
    min_shop_share = forms.DecimalField(
        label=_("Supermarket participation at least (% of residents)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=Decimal("30"),
    )
    round_grace_days = forms.IntegerField(
        label=_("Days after a period's end a round counts as on time"), min_value=0, max_value=365, initial=15
    )
    notice_days = forms.IntegerField(
        label=_("Notice length in days"),
        help_text=_(
            "Whole calendar days each notice runs: the township's of an application and the result's."
        ),
        min_value=MIN_NOTICE_DAYS,
        max_value=60,
        initial=MIN_NOTICE_DAYS,
    )
    conditions = forms.CharField(
        label=_("Conditions"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    applications_open_on = forms.DateField(label=_("Applications from"), widget=DATE_WIDGET)
    applications_close_on = forms.DateField(label=_("Applications until"), widget=DATE_WIDGET)
    preselection_ends_on = forms.DateField(label=_("Pre-selection until"), widget=DATE_WIDGET)
    selection_ends_on = forms.DateField(label=_("Selection until"), widget=DATE_WIDGET)


class MoveForm(forms.Form):
    move = forms.ChoiceField(choices=[(name, name) for name in [*APPLICATION_MOVES, *CALL_MOVES]])
    comment = forms.CharField(required=False, max_length=2000)
    score = forms.DecimalField(required=False, max_digits=5, decimal_places=2, min_value=0, max_value=100)
    amount = forms.DecimalField(required=False, max_digits=12, decimal_places=2, min_value=0)


class ResolveObjectionForm(forms.Form):
    """The township's, or the region's, written resolution of one objection to a notice."""

    objection = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("no", _("Dismissed")), ("yes", _("Upheld"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    outcome = forms.CharField(
        label=_("Outcome and reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SurveyForm(forms.Form):
    """The village survey's questions (demonstration.survey), one radio group each; with `households`, the clerk's
    form for a paper answer, which also names the household."""

    def __init__(self, *args, households=None, **kwargs):
        super().__init__(*args, **kwargs)
        if households is not None:
            self.fields["household"] = forms.TypedChoiceField(
                label=_("Household"),
                coerce=int,
                choices=[("", "—"), *((h.pk, f"{h.number}") for h in households)],
            )
        for question in QUESTIONS:
            labels = SCALE_LABELS[question.scale]
            self.fields[question.field] = forms.TypedChoiceField(
                label=question.text,
                coerce=int,
                choices=[(value, labels[value]) for value in question.values],
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose an answer.")},
            )


# The use of an award ---------------------------------------------------------------------------------------------


class SpendingForm(forms.Form):
    spent_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=AwardPurpose.choices)
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=12, decimal_places=2)
    supplier = forms.CharField(label=_("Supplier"), max_length=200)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        help_text=_("For another approved use: who approved it and when."),
    )
    invoice = forms.FileField(
        label=_("Invoice"), help_text=_("A PDF or a photo (JPEG, PNG, WebP) of the invoice.")
    )


class ReverseSpendingForm(forms.Form):
    spending = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class CheckForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CheckKind.choices, initial=CheckKind.SPOT_CHECK)
    checked_on = forms.DateField(label=_("Date of the check"), widget=DATE_WIDGET)
    sampled = forms.TypedMultipleChoiceField(
        label=_("Items sampled"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    finding = forms.ChoiceField(label=_("Finding"), choices=CheckFinding.choices)
    details = forms.CharField(
        label=_("What was found"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    follow_up = forms.CharField(
        label=_("Follow-up"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, spending, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sampled"].choices = [
            (
                item.pk,
                f"{item.spent_on:%Y-%m-%d} · {item.get_purpose_display()} · {item.amount} · {item.supplier}",
            )
            for item in spending
        ]
