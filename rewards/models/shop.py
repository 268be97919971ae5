"""The points supermarket (积分超市): shops, products, the stock ledger and redemptions."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from households.models import Household, Village


class Shop(TownshipOwned):
    """A village's points supermarket."""

    village_path = "village"

    village = models.OneToOneField(Village, on_delete=models.PROTECT, related_name="shop")
    name = models.CharField(_("name"), max_length=100)
    opening_hours = models.CharField(
        _("opening hours"), max_length=200, blank=True, help_text=_("For example: Saturdays 9:00–11:30.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["village__sort_key"]
        verbose_name = _("points supermarket")
        verbose_name_plural = _("points supermarkets")

    def __str__(self) -> str:
        return self.name


class ProductSource(models.TextChoices):
    BOUGHT = "bought", _("Bought")
    DONATED = "donated", _("Donated")
    MERCHANT = "merchant", _("Merchant")


def product_photo_path(instance, filename: str) -> str:
    return f"townships/{instance.township_id}/products/{filename}"


# The largest count the stock columns (PostgreSQL integer) hold: forms, API and services refuse more, never a 500.
MAX_STOCK = 2_147_483_647


class Product(TownshipOwned):
    """Goods on the shelf. `stock` is kept equal to the sum of its stock moves, and never below zero."""

    village_path = "shop__village"

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("name"), max_length=100)
    photo = models.ImageField(_("photo"), upload_to=product_photo_path, blank=True)
    points = models.DecimalField(_("price in points"), max_digits=8, decimal_places=2)
    cost = models.DecimalField(
        _("cost (yuan)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("What one costs the budget when redeemed; 0 for donated goods."),
    )
    stock = models.IntegerField(_("stock"), default=0)
    low_stock = models.PositiveIntegerField(_("low-stock warning at"), default=5)
    source = models.CharField(
        _("source"), max_length=10, choices=ProductSource.choices, default=ProductSource.BOUGHT
    )
    donor = models.CharField(_("donor or merchant"), max_length=100, blank=True)
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shop_id", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["shop", "name"], name="product_name_once_per_shop"),
            models.CheckConstraint(condition=Q(points__gt=0), name="product_points_positive"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="product_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(stock__gte=0),
                name="product_stock_not_negative",
                violation_error_message=_("Stock cannot go below zero."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_low(self) -> bool:
        return self.stock <= self.low_stock


class StockReason(models.TextChoices):
    IN = "in", _("Stock in")
    OUT = "out", _("Stock out (damaged, expired, returned)")
    REDEMPTION = "redemption", _("Redemption")
    CANCELLATION = "cancellation", _("Redemption cancelled")


class StockMove(TownshipOwned):
    """The product's own ledger: every change of stock, with who, when and why. Never edited."""

    village_path = "product__shop__village"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_moves")
    change = models.IntegerField(_("change"))
    reason = models.CharField(_("reason"), max_length=15, choices=StockReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    redemption = models.ForeignKey(
        "Redemption", null=True, blank=True, on_delete=models.PROTECT, related_name="stock_moves"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product_id", "created_at", "id"]
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        constraints = [
            models.CheckConstraint(condition=~Q(change=0), name="stock_move_not_zero"),
            models.CheckConstraint(
                condition=Q(reason__in=StockReason.values), name="stock_move_reason_valid"
            ),
        ]


class Redemption(TownshipOwned):
    """Points exchanged for goods at the counter (积分兑换). Spending never lowers the ranking score.

    A cancellation is a second Redemption that `reverses` the first, with negative points and cost and a reason;
    the original is never changed. It names the account whose points are spent (and its household for a family's;
    the database checks the two agree).
    """

    village_path = "shop__village"
    household_record = True

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="redemptions")
    # Whose points are spent (issue 14): a family's, a villager's or a unit's account. `household` is set only for a
    # family's account, so everything read per household (participation, the household pages) reads as before.
    account = models.ForeignKey(
        "scoring.Account", on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("account")
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="redemptions"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=2)
    cost = models.DecimalField(_("cost (yuan)"), max_digits=10, decimal_places=2)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=80, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [
            models.Index(fields=["household", "year"], name="redemption_household_year"),
            models.Index(fields=["account", "year"], name="redemption_account_year"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="redemption_idempotency_key_once",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, points__gt=0, cost__gte=0)
                | Q(reverses__isnull=False, points__lt=0, cost__lte=0) & ~Q(reason=""),
                name="redemption_reversal_negative_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.points}"

    @property
    def is_cancellation(self) -> bool:
        return self.reverses_id is not None


class RedemptionLine(TownshipOwned):
    """One product of a redemption, with the price and cost it had then."""

    village_path = "redemption__shop__village"
    household_record = True

    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    points = models.DecimalField(_("points each"), max_digits=8, decimal_places=2)
    cost = models.DecimalField(_("cost each (yuan)"), max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["redemption_id", "id"]
        verbose_name = _("redemption line")
        verbose_name_plural = _("redemption lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="redemption_line_quantity_positive")
        ]
