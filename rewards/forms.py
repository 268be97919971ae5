"""Forms of the rewards pages: each hands its cleaned data to one service."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.uploads import DOWNSCALE_PX

from .models import MAX_STOCK, FundingKind, ProductSource, SpendableBasis, StockReason


class SchemeRewardSettingsForm(forms.Form):
    star_five_percent = forms.IntegerField(
        label=_("Five stars: top percent of the village"), min_value=1, max_value=100
    )
    star_four_percent = forms.IntegerField(
        label=_("Four stars: top percent of the village"), min_value=1, max_value=100
    )
    star_three_percent = forms.IntegerField(
        label=_("Three stars: top percent of the village"), min_value=1, max_value=100
    )
    star_floor = forms.DecimalField(
        label=_("Lowest total for a star"), required=False, help_text=_("Empty: the scheme's base total.")
    )
    spendable_basis = forms.ChoiceField(
        label=_("Points the supermarket can spend"), choices=SpendableBasis.choices
    )
    spendable_resets_yearly = forms.BooleanField(label=_("Spendable points reset each year"), required=False)
    # A school's term-end prizes (seed 2: the top 15 in three tiers); only a school's form shows them.
    prize_first = forms.IntegerField(label=_("first prizes per class"), min_value=0, max_value=100)
    prize_second = forms.IntegerField(label=_("second prizes per class"), min_value=0, max_value=100)
    prize_third = forms.IntegerField(label=_("third prizes per class"), min_value=0, max_value=100)
    PRIZE_FIELDS = ("prize_first", "prize_second", "prize_third")

    def __init__(self, *args, school: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not school:
            for name in self.PRIZE_FIELDS:
                del self.fields[name]


class TieBreakForm(forms.Form):
    """The tie-breakers of the star ranking, in order; households still exactly tied share the higher band."""

    fewer_penalties = forms.BooleanField(
        label=_("Ties: fewer penalty points rank higher"),
        required=False,
        help_text=_("Penalty points: approved penalties not reversed by a correction."),
    )
    category = forms.ModelChoiceField(
        label=_("Then: a higher score in"), queryset=None, required=False, empty_label=_("No category")
    )
    category_first = forms.BooleanField(
        label=_("Compare the category's score before the penalty points"), required=False
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories


class PublishRunForm(forms.Form):
    checked = forms.BooleanField(
        label=_("I have checked the villages, the ties and the stars of this rating: publish it."),
        required=True,
    )
    confirm_overflow = forms.BooleanField(
        label=_(
            "The township accepts that tied households make a star band hold more than one household over "
            "its share (recorded with my name)."
        ),
        required=False,
    )

    def __init__(self, *args, needs_confirmation: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_confirmation:
            self.fields["confirm_overflow"].required = True
        else:
            del self.fields["confirm_overflow"]


class VillageOverrideForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None)
    reason = forms.CharField(
        label=_("Why rate it before its annual round is approved"), max_length=300, widget=forms.Textarea
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class RewardLevelForm(forms.Form):
    plaque = forms.CharField(label=_("Plaque"), max_length=100, required=False)
    reward = forms.CharField(label=_("Material reward"), max_length=200, required=False)
    value = forms.DecimalField(label=_("Value (yuan)"), min_value=Decimal("0"), decimal_places=2, initial=0)


class BudgetForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=_("Choose a village"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    cap_per_resident = forms.DecimalField(
        label=_("Cap per resident (yuan)"), min_value=Decimal("0"), decimal_places=2, initial=Decimal("2")
    )
    fund_defaults = forms.BooleanField(
        label=_("Add the township's 1.5 yuan and the village's 1 yuan per resident"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class FundingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=FundingKind.choices)
    per_resident = forms.DecimalField(
        label=_("Yuan per resident"),
        required=False,
        decimal_places=2,
        help_text=_("For the township's and the village's lines; empty: 1.5 and 1 yuan."),
    )
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        required=False,
        decimal_places=2,
        help_text=_("For donations and discounts."),
    )
    source = forms.CharField(label=_("From"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ShopForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=None, empty_label=_("Choose a village"))
    name = forms.CharField(label=_("Supermarket name"), max_length=100, required=False)
    opening_hours = forms.CharField(label=_("Opening hours"), max_length=200, required=False)

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Product name"), max_length=100)
    points = forms.DecimalField(label=_("Price in points"), min_value=Decimal("0.01"), decimal_places=2)
    cost = forms.DecimalField(
        label=_("Cost (yuan)"), min_value=Decimal("0"), decimal_places=2, initial=Decimal("0"), required=False
    )
    low_stock = forms.IntegerField(
        label=_("Low-stock warning at"), min_value=0, max_value=MAX_STOCK, initial=5
    )
    source = forms.ChoiceField(label=_("Source"), choices=ProductSource.choices)
    donor = forms.CharField(label=_("Donor or merchant"), max_length=100, required=False)
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "data-downscale": DOWNSCALE_PX}),
    )
    active = forms.BooleanField(label=_("On sale"), required=False, initial=True)


class NewProductForm(ProductForm):
    stock = forms.IntegerField(label=_("Opening stock"), min_value=0, max_value=MAX_STOCK, initial=0)


class StockForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("In or out"),
        choices=[(StockReason.IN, StockReason.IN.label), (StockReason.OUT, StockReason.OUT.label)],
    )
    change = forms.IntegerField(label=_("How many"), min_value=1, max_value=MAX_STOCK)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class IncentiveListForm(forms.Form):
    PURPOSES = [
        ("bank", _("For the bank (credit lines, 积分贷)")),
        ("party", _("For party recommendations")),
        ("commendation", _("For commendations")),
    ]
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=PURPOSES)
