"""The points supermarket (积分超市): products, their stock ledger, and redemptions at the counter.

A redemption spends the points of an account (issue 14): a family's (given as its household or its account), a
villager's or a unit's. It locks, in this order, the account, the products (by id) and the village's budget (when
the goods cost money), as a cancellation does: two clerks redeeming for the same account, or the same product, run
one after the other, and no redemption takes the spendable balance or the stock below zero
(tests/rewards/test_shop.py runs 20 at once). The other draws on a budget (rewards.services.budget) lock it alone.
"""

import functools
from collections import Counter
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from core.permissions import Action, require
from core.rows import columns, instance, keep_prefetched
from households.models import Household, Membership, Village
from scoring.accounts import account_of
from scoring.evidence import check_evidence_file
from scoring.models import Account, AccountKind

from ..models import MAX_STOCK, Product, Redemption, RedemptionLine, Shop, StockMove, StockReason
from ..selectors import spendable_balance
from .budget import check_room, lock_budget_for


def _plain(points: Decimal) -> str:
    """40.00 → "40", 12.50 → "12.5": points as people write them."""
    return f"{points.normalize():f}"


PRODUCT_FIELDS = ("name", "photo", "points", "cost", "low_stock", "source", "donor", "active")


def _counter_only() -> str:
    return _("Only the township office and the village's clerk run its points supermarket.")


def open_shop(*, membership: Membership, village: Village, name: str = "", opening_hours: str = "") -> Shop:
    """A village's points supermarket (one per village)."""
    require(membership, Action.RUN_SHOP, village, message=_counter_only())
    if Shop.objects.filter(village=village).exists():
        raise DomainError(_("%(village)s already has a points supermarket.") % {"village": village})
    shop = Shop(
        township_id=village.township_id,
        village=village,
        name=name or _("%(village)s points supermarket") % {"village": village},
        opening_hours=opening_hours,
    )
    full_clean_or_raise(shop)
    shop.save()
    return shop


def update_shop(*, membership: Membership, shop: Shop, name: str, opening_hours: str) -> Shop:
    """The supermarket's name and opening hours."""
    require(membership, Action.RUN_SHOP, shop, message=_counter_only())
    shop.name, shop.opening_hours = name, opening_hours
    full_clean_or_raise(shop)
    shop.save(update_fields=["name", "opening_hours"])
    return shop


def _check_photo(fields: dict[str, Any]) -> None:
    """A product photo must open as a JPEG, PNG or WebP image within the upload limits (type read by content)."""
    photo = fields.get("photo")
    if not photo or not hasattr(photo, "read") or getattr(photo, "_committed", False):
        return  # no new upload (a stored file is already checked)
    if not check_evidence_file(photo).startswith("image/"):
        raise DomainError(_("A product's photo must be a JPEG, PNG or WebP image."), field="photo")


def add_product(*, membership: Membership, shop: Shop, stock: int = 0, **fields: Any) -> Product:
    """A product on the shelf; its first stock comes in as a stock move."""
    require(membership, Action.RUN_SHOP, shop, message=_counter_only())
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    _check_photo(fields)
    if stock < 0:
        raise DomainError(_("Stock cannot go below zero."), field="stock")
    if stock > MAX_STOCK:
        raise DomainError(_too_much_stock(), field="stock")
    product = Product(township_id=shop.township_id, shop=shop, **fields)
    full_clean_or_raise(product)
    with transaction.atomic():
        product.save()
        if stock:
            move_stock(
                membership=membership,
                product=product,
                change=stock,
                reason=StockReason.IN,
                note=_("Opening stock"),
            )
            product.refresh_from_db(fields=["stock"])
    return product


def _too_much_stock() -> str:
    return _("A shelf holds at most %(most)s of one product.") % {"most": MAX_STOCK}


def update_product(*, membership: Membership, product: Product, **fields: Any) -> Product:
    """Change a product's description or price (stock changes only through stock moves)."""
    require(membership, Action.RUN_SHOP, product, message=_counter_only())
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    _check_photo(fields)
    for name, value in fields.items():
        setattr(product, name, value)
    full_clean_or_raise(product)
    product.save(update_fields=[*fields])
    return product


def move_stock(
    *, membership: Membership, product: Product, change: int, reason: str, note: str = ""
) -> StockMove:
    """Stock in (positive) or out (negative), recorded in the product's ledger; never below zero."""
    require(membership, Action.RUN_SHOP, product, message=_counter_only())
    if reason not in (StockReason.IN, StockReason.OUT):
        raise DomainError(_("Choose stock in or stock out."), field="reason")
    if not change:
        raise DomainError(_("Give a number of items other than zero."), field="change")
    if reason == StockReason.IN and change < 0 or reason == StockReason.OUT and change > 0:
        change = -change  # the reason says the direction; the clerk types how many
    if reason == StockReason.OUT and not note.strip():
        raise DomainError(
            _("Say why the goods leave the shelf (damaged, expired, returned …)."), field="note"
        )
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        if locked.stock + change < 0:
            raise DomainError(
                _("Only %(stock)s of %(product)s in stock.") % {"stock": locked.stock, "product": locked},
                field="change",
            )
        if locked.stock + change > MAX_STOCK:
            raise DomainError(_too_much_stock(), field="change")
        (move,) = _move_stock(membership, product.township_id, {product.pk: change}, reason, note=note)
        move.product = product
        return move


def _another_village(account: Account) -> str:
    if account.kind == AccountKind.HOUSEHOLD:
        message = _(
            "Household %(household)s belongs to another village: it redeems at its own village's supermarket."
        )
        return message % {"household": account.holder_name}
    message = _("%(holder)s belongs to another village: they redeem at their own village's supermarket.")
    return message % {"holder": account.holder_name}


def _too_little(account: Account, points: Decimal, available: Decimal) -> str:
    figures = {"points": _plain(points), "available": _plain(available)}
    if account.kind == AccountKind.HOUSEHOLD:
        message = _(
            "These goods cost %(points)s points but household %(household)s has %(available)s to spend."
        )
        return message % {**figures, "household": account.holder_name}
    message = _("These goods cost %(points)s points but %(holder)s has %(available)s to spend.")
    return message % {**figures, "holder": account.holder_name}


def redeem(
    *,
    membership: Membership,
    shop: Shop,
    items: dict[int, int],
    household: Household | None = None,
    account: Account | None = None,
    idempotency_key: str = "",
) -> Redemption:
    """Exchange an account's points for goods: `items` is {product id: quantity}. All checked and recorded, or
    nothing. Give the account (any kind), or a household for its family account.

    With an idempotency key, a retried submission (a double tap, a lost answer) returns the first redemption.
    """
    redemption, _recorded = redeem_or_replay(
        membership=membership,
        shop=shop,
        items=items,
        household=household,
        account=account,
        idempotency_key=idempotency_key,
    )
    return redemption


def redeem_or_replay(
    *,
    membership: Membership,
    shop: Shop,
    items: dict[int, int],
    household: Household | None = None,
    account: Account | None = None,
    idempotency_key: str = "",
) -> tuple[Redemption, bool]:
    """`redeem`, saying also whether the redemption was recorded now (True) or is the first one of a retried key
    (False). One recorded now comes back with what its receipt shows in hand: the account with its holder, the
    household, and the lines with their products."""
    if (household is None) == (account is None):
        raise TypeError("redeem takes a household or an account")
    holder = cast(Household | Account, household if household is not None else account)
    require(membership, Action.RUN_SHOP, shop, message=_counter_only())
    if idempotency_key and (existing := Redemption.objects.filter(idempotency_key=idempotency_key).first()):
        return _same_redemption(existing, holder), False
    items = {int(pk): int(quantity) for pk, quantity in items.items() if int(quantity)}
    if not items:
        raise DomainError(_("Pick at least one product."), field="items")
    if any(quantity < 0 for quantity in items.values()):
        raise DomainError(_("Quantities must be positive."), field="items")
    try:
        with transaction.atomic():
            return _redeem_locked(membership, holder, shop, items, idempotency_key)
    except IntegrityError:
        if idempotency_key and (
            existing := Redemption.objects.filter(idempotency_key=idempotency_key).first()
        ):
            return _same_redemption(existing, holder), False
        raise


def _same_redemption(existing: Redemption, holder: Household | Account) -> Redemption:
    """The first redemption of a retried key, if it spent the same account (a family's: the same household's)."""
    if isinstance(holder, Household):
        if existing.household_id != holder.pk:
            raise DomainError(_("This submission key was already used for another household."))
    elif existing.account_id != holder.pk:
        if holder.kind == AccountKind.HOUSEHOLD:
            raise DomainError(_("This submission key was already used for another household."))
        raise DomainError(_("This submission key was already used for another account."))
    return existing


def _locked_account(holder: Household | Account) -> Account:
    """The account whose points are spent, locked for the rest of the transaction and read under the lock, with its
    holder (a family's through its household)."""
    if isinstance(holder, Household):
        return account_of(holder, for_update=True)
    accounts = Account.objects.select_for_update(of=("self",)).select_related("household", "resident", "unit")
    return accounts.get(pk=holder.pk)


def _redeem_locked(
    membership: Membership, holder: Household | Account, shop: Shop, items: dict[int, int], key: str
) -> tuple[Redemption, bool]:
    account = _locked_account(holder)
    if account.township_id != shop.township_id or account.village_id != shop.village_id:
        raise DomainError(
            _another_village(account), field="household" if isinstance(holder, Household) else "account"
        )
    if key and (existing := Redemption.objects.filter(idempotency_key=key).first()):
        return _same_redemption(existing, holder), False
    products = list(Product.objects.select_for_update().filter(shop=shop, pk__in=items).order_by("pk"))
    if len(products) != len(items):
        raise DomainError(_("A product picked is not sold at this supermarket."), field="items")
    year = timezone.localdate().year
    # What is on the shelf is checked first: a quantity beyond the stock is refused for the stock, not the budget.
    for product in products:
        if not product.active:
            raise DomainError(_("%(product)s is not on sale.") % {"product": product}, field="items")
        if product.stock < items[product.pk]:
            raise DomainError(
                _("Only %(stock)s of %(product)s in stock.") % {"stock": product.stock, "product": product},
                field="items",
            )
    cost = sum((p.cost * items[p.pk] for p in products), Decimal("0"))
    if cost:  # the locked products' own prices: the cost drawn is the one recorded
        check_room(lock_budget_for(shop.village_id, year), cost, _("This redemption"))
    points = sum((p.points * items[p.pk] for p in products), Decimal("0"))
    balance = spendable_balance(account, year=year)
    if points > balance.available:
        raise DomainError(
            _too_little(account, points, balance.available),
            field="items",
            code="not_enough_points",
        )
    redemption = Redemption.objects.create(
        township_id=shop.township_id,
        shop=shop,
        account=account,
        household=account.household,  # a family's (its holder, in hand), else none
        year=year,
        points=points,
        cost=cost,
        idempotency_key=key,
        created_by_id=membership.user_id,  # no query for the user: the id is enough
    )
    lines = RedemptionLine.objects.bulk_create(
        RedemptionLine(
            township_id=shop.township_id,
            redemption=redemption,
            product=p,
            quantity=items[p.pk],
            points=p.points,
            cost=p.cost,
        )
        for p in products
    )
    # The lines just written (in id order, as every reader orders them): its receipt reads no row again.
    keep_prefetched(redemption, "lines", lines)
    changes = {p.pk: -items[p.pk] for p in products}
    _move_stock(membership, redemption.township_id, changes, StockReason.REDEMPTION, redemption=redemption)
    return redemption, True


# The stock of the products changed and each change recorded as a move, in one statement (the UPDATE and the
# INSERT see the same rows; every value is a parameter). Only the township's own products: the callers locked them
# through the township scope, and the statement names the township too.
MOVE_STOCK = """
    WITH changed AS (
        SELECT c.product_id, c.change
        FROM unnest(%(products)s::bigint[], %(changes)s::integer[]) AS c(product_id, change)
        JOIN rewards_product p ON p.id = c.product_id AND p.township_id = %(township)s
    ), moved AS (
        UPDATE rewards_product p SET stock = p.stock + c.change FROM changed c WHERE p.id = c.product_id
    )
    INSERT INTO rewards_stockmove (township_id, product_id, change, reason, note, redemption_id, created_by_id,
        created_at)
    SELECT %(township)s, c.product_id, c.change, %(reason)s, %(note)s, %(redemption)s, %(user)s, %(at)s
    FROM changed c ORDER BY c.product_id
    RETURNING {moves}
"""


def _move_stock(
    membership: Membership,
    township_id: int,
    changes: dict[int, int],
    reason: str,
    *,
    redemption: Redemption | None = None,
    note: str = "",
) -> list[StockMove]:
    """The stock of the products (locked by the caller) changed, each change recorded as a move, in one statement:
    the one way stock changes (a clerk's stock in or out, a redemption, a cancellation). The moves written, in product
    order."""
    products = sorted(changes)
    with connection.cursor() as cursor:
        cursor.execute(
            _move_stock_sql(),
            {
                "products": products,
                "changes": [changes[pk] for pk in products],
                "township": township_id,
                "reason": reason,
                "note": note,
                "redemption": redemption.pk if redemption is not None else None,
                "user": membership.user_id,
                "at": timezone.now(),
            },
        )
        moves = [instance(StockMove, row) for row in cursor.fetchall()]
    return sorted(moves, key=lambda move: move.product_id)


@functools.cache
def _move_stock_sql() -> str:
    """MOVE_STOCK returning the moves' own columns (core.rows), built once."""
    return MOVE_STOCK.format(moves=columns(StockMove, "rewards_stockmove"))


def cancel_redemption(*, membership: Membership, redemption: Redemption, reason: str) -> Redemption:
    """A reversing redemption: the points come back to the balance, the goods to the shelf, the cost to the budget."""
    require(membership, Action.RUN_SHOP, redemption, message=_counter_only())
    if not reason.strip():
        raise DomainError(_("Say why the redemption is cancelled."), field="reason")
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=redemption.account_id).first()
        redemption = Redemption.objects.select_related("shop").get(pk=redemption.pk)
        if redemption.reverses_id is not None:
            raise DomainError(_("This is a cancellation; it cannot be cancelled."))
        if Redemption.objects.filter(reverses=redemption).exists():
            raise DomainError(_("This redemption is already cancelled."))
        returned: Counter[int] = Counter()
        for line in redemption.lines.all():
            returned[line.product_id] += line.quantity
        list(Product.objects.select_for_update().filter(pk__in=returned).order_by("pk"))
        if redemption.cost:
            lock_budget_for(redemption.shop.village_id, redemption.year)
        reversal = Redemption.objects.create(
            township_id=redemption.township_id,
            shop=redemption.shop,
            account_id=redemption.account_id,
            household_id=redemption.household_id,
            year=redemption.year,
            points=-redemption.points,
            cost=-redemption.cost,
            reverses=redemption,
            reason=reason.strip(),
            created_by=membership.user,
        )
        _move_stock(
            membership, reversal.township_id, dict(returned), StockReason.CANCELLATION, redemption=reversal
        )
        return reversal
