"""The points supermarket: participation, low stock and the counter's search (balances: `balance`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum

from households.models import Household, HouseholdStatus
from scoring.accounts import open_accounts
from scoring.models import Account, AccountKind

from ..models import Product, Redemption, Shop


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
            n=Count("pk", distinct=True),
            residents=Count("members", distinct=True, filter=Q(members__ended_on__isnull=True)),
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


def points_redeemed(*, year: int, village_ids: Iterable[int]) -> dict[int, Decimal]:
    """{village id: points spent at the village's supermarket in the year} (standing redemptions): one query."""
    rows = (
        active_redemptions(year)
        .filter(shop__village_id__in=list(village_ids))
        .order_by()
        .values("shop__village_id")
        .annotate(points=Sum("points"))
    )
    return {row["shop__village_id"]: row["points"] or Decimal("0") for row in rows}


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
        households.filter(
            status=HouseholdStatus.ACTIVE
        )  # a merged or closed household is not served any more
        .filter(Q(number=query) | Q(number__istartswith=query) | by_member)
        .distinct()
        .order_by("number")
    )


MISSING_OPENED = 100


def find_accounts(
    accounts: QuerySet[Account], households: QuerySet[Household], query: str
) -> QuerySet[Account]:
    """The counter's search over accounts of every kind: a family's as `find_households` finds its household (number,
    a member's name or mobile, the card's QR text); a villager's own account by name or mobile; a unit's by name or
    contact mobile (archived units are not served). Families first (by number), then villagers, then units."""
    query = query.strip()
    if not query:
        return accounts.none()
    families = find_households(households, query)
    # A household written before accounts existed (or in bulk) lacks one: open it, as `account_of` does.
    if missing := list(families.filter(points_account__isnull=True)[:MISSING_OPENED]):
        open_accounts(missing)
    found = Q(household__in=families.order_by().values("pk"))
    if not query.upper().startswith(CARD_PREFIX + ":"):
        found |= Q(kind=AccountKind.RESIDENT) & (
            Q(resident__name__icontains=query) | Q(resident__mobile=query)
        )
        found |= Q(kind=AccountKind.UNIT, unit__archived_at__isnull=True) & (
            Q(unit__name__icontains=query) | Q(unit__contact_mobile=query)
        )
    return accounts.filter(found).order_by("kind", "household__number", "resident__name", "unit__name", "pk")
