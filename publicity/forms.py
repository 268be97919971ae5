from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.uploads import DOWNSCALE_PX
from review.public_forms import PublicObjectionForm
from scoring.models import RankingList, format_points

from .models import IncentivePolicy


class ObjectionForm(PublicObjectionForm):
    """The public objection form of a round's notice: who objects, and the household the objection concerns."""

    household = forms.ChoiceField(label=_("Household concerned"))
    field_order = ["objector_name", "objector_phone", "household", "reason", "website"]

    def __init__(self, *args, households=(), **kwargs):
        """`households`: (id, label) of the households on the notice."""
        super().__init__(*args, **kwargs)
        self.fields["household"].choices = [("", "—")] + [(str(pk), label) for pk, label in households]


class PolicyForm(forms.ModelForm):
    """An incentive policy's name, partner, benefit and rule (the service checks and saves it)."""

    class Meta:
        model = IncentivePolicy
        fields = [
            "name",
            "partner",
            "benefit",
            "description",
            "account_list",
            "min_stars",
            "top",
            "min_total",
            "party_members_only",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_list"].required = False  # empty: star households, as before lists were kept

    def clean_account_list(self) -> str:
        return self.cleaned_data.get("account_list") or RankingList.HOUSEHOLD

    def _post_clean(self):  # the service validates (name taken, rule) and saves
        pass


class QualifyingForm(forms.Form):
    year = forms.IntegerField(label=_("Year of the star rating"), min_value=2000, max_value=2100)
    village = forms.TypedChoiceField(label=_("Village"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", _("All villages"))] + [(v.pk, v.name) for v in villages]


# The villager's own page (publicity.villager): a self-declaration with a photo, an appeal ----------------------


def _no_nul(form: forms.Form, cleaned: dict) -> dict:
    for name, value in cleaned.items():
        if isinstance(value, str) and "\x00" in value:
            form.add_error(name, _("This field contains characters that are not allowed."))
    return cleaned


class VillagerDeclarationForm(forms.Form):
    """自主申报 from the villager's page; the service checks the photo by its content and the household's limits."""

    item = forms.TypedChoiceField(
        label=_("Item (if you know it)"), required=False, coerce=int, empty_value=None
    )
    what_happened = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    occurred_on = forms.DateField(
        label=_("Date it happened"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*", "capture": "environment", "data-downscale": DOWNSCALE_PX}
        ),
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("— not sure —"))] + [
            (item.pk, f"{item.category.name} · {item}") for item in items
        ]
        self.fields["occurred_on"].initial = timezone.localdate()

    def clean(self):
        return _no_nul(self, super().clean())


class VillagerAppealForm(forms.Form):
    """申诉 against one of the household's own counted entries."""

    entry = forms.TypedChoiceField(label=_("Entry you appeal against"), coerce=int)
    reason = forms.CharField(
        label=_("Why it is wrong"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].choices = [("", "—")] + [
            (
                e.pk,
                f"{e.occurred_on:%Y-%m-%d} · {e.item_name} · {'+' if e.points > 0 else ''}{format_points(e.points)}",
            )
            for e in entries
        ]

    def clean(self):
        return _no_nul(self, super().clean())
