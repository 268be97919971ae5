"""The points supermarket: spendable balances, participation, low stock and the counter's search."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from households.models import Household
from scoring.models import (
    Entry,
    Scheme,
    SchemeState,
)
from scoring.selectors import annual_totals

from ..models import (
    Product,
    Redemption,
    Shop,
    SpendableBasis,
    StarRule,
)
from .stars import star_rule


@dataclass(frozen=True)
class Balance:
    """A household's spendable points: what the scheme lets it spend, less what it has spent."""

    earned: Decimal
    spent: Decimal

    @property
    def available(self) -> Decimal:
        """What can be spent now: never below zero (issue 8). A penalty approved after spending does not make a
        debt to collect at the counter: the household spends again once its earnings pass what it spent."""
        return max(self.earned - self.spent, Decimal("0"))


def _earned(household: Household, scheme: Scheme, rule: StarRule) -> Decimal:
    if rule.spendable_basis == SpendableBasis.TOTAL:
        totals = annual_totals(scheme, Household.objects.filter(pk=household.pk))
        return totals.get(household.pk, Decimal("0"))
    net = Entry.objects.approved().filter(household=household, scheme=scheme).aggregate(s=Sum("points"))["s"]
    return net or Decimal("0")


def spendable_balance(household: Household, *, year: int) -> Balance:
    """Derived, never stored: spending does not lower the score the ranking uses (seed 4: 累计使用, 不清零).

    The year's scheme says what counts (the net of bonuses and penalties, or the total score) and whether the
    balance starts again each year; otherwise every earlier year's active or closed schemes count too.
    """
    schemes = list(
        Scheme.objects.filter(township_id=household.township_id, year__lte=year)
        .exclude(state=SchemeState.DRAFT)
        .prefetch_related("categories")
    )
    rules = {rule.scheme_id: rule for rule in StarRule.objects.filter(scheme__in=schemes)}
    rules |= {s.pk: star_rule(s) for s in schemes if s.pk not in rules}  # none yet: the inherited or defaults
    resets = any(rules[s.pk].spendable_resets_yearly for s in schemes if s.year == year)
    counted = [s for s in schemes if s.year == year] if resets else schemes
    earned = sum((_earned(household, scheme, rules[scheme.pk]) for scheme in counted), Decimal("0"))
    redemptions = Redemption.objects.filter(household=household)
    redemptions = redemptions.filter(year=year) if resets else redemptions.filter(year__lte=year)
    spent = redemptions.aggregate(s=Sum("points"))["s"] or Decimal("0")
    return Balance(earned=earned, spent=spent)


def active_redemptions(year: int) -> QuerySet[Redemption]:
    """The year's redemptions that stand: not a cancellation and not cancelled."""
    return Redemption.objects.filter(year=year, reverses__isnull=True, reversed_by__isnull=True)


@dataclass(frozen=True)
class ShopParticipation:
    """Who took part in the supermarket in a year, among the households taking part in the scheme (seed 3)."""

    households_redeemed: int = 0
    households_taking_part: int = 0
    residents_redeemed: int = 0
    residents_taking_part: int = 0

    @staticmethod
    def _percent(part: int, whole: int) -> Decimal:
        if not whole:
            return Decimal("0.0")
        return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def household_share(self) -> Decimal:
        return self._percent(self.households_redeemed, self.households_taking_part)

    @property
    def resident_share(self) -> Decimal:
        return self._percent(self.residents_redeemed, self.residents_taking_part)


def shop_participation(*, year: int, village_ids: Iterable[int]) -> dict[int, ShopParticipation]:
    """{village id: participation}: households (and their residents) that redeemed in the year. Two queries."""
    village_ids = list(village_ids)
    households = Household.objects.taking_part().filter(village_id__in=village_ids).order_by()

    def counts(queryset: QuerySet[Household]) -> dict[int, tuple[int, int]]:
        rows = queryset.values("village_id").annotate(
            n=Count("pk", distinct=True), residents=Count("members", distinct=True)
        )
        return {row["village_id"]: (row["n"], row["residents"]) for row in rows}

    everyone = counts(households)
    redeemed = counts(households.filter(Exists(active_redemptions(year).filter(household=OuterRef("pk")))))
    result = {}
    for village_id in village_ids:
        n, residents = everyone.get(village_id, (0, 0))
        n_redeemed, residents_redeemed = redeemed.get(village_id, (0, 0))
        result[village_id] = ShopParticipation(n_redeemed, n, residents_redeemed, residents)
    return result


def low_stock_products(shop: Shop) -> QuerySet[Product]:
    return shop.products.filter(active=True, stock__lte=F("low_stock"))


CARD_PREFIX = "JIFEN-HH"


def card_code(household: Household) -> str:
    """The text of the QR code on a household's card: the township and the household number."""
    return f"{CARD_PREFIX}:{household.township.slug}:{household.number}"


def find_households(households: QuerySet[Household], query: str) -> QuerySet[Household]:
    """The counter's search: by household number, a resident's name or mobile, or the card's QR text."""
    query = query.strip()
    if not query:
        return households.none()
    if query.upper().startswith(CARD_PREFIX + ":"):
        parts = query.split(":", 2)
        if len(parts) != 3:
            return households.none()
        return households.filter(township__slug=parts[1], number=parts[2])
    by_member = Q(members__name__icontains=query) | Q(members__mobile=query)
    return (
        households.filter(Q(number=query) | Q(number__istartswith=query) | by_member)
        .distinct()
        .order_by("number")
    )
