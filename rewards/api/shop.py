"""The points supermarket (积分超市): shops, products and their stock ledger, redemptions at the counter, the
counter's household search and balance, and participation.

Members read the supermarkets of the villages they see; the township office and the village's clerk run them
(products, stock in and out, redemptions and cancellations). Every id in a body or a query parameter is looked up
inside the township scope and among what the member may see: another village's household or shop reads "does not
exist" (400). Stock moves and redemptions are never changed or deleted (405): a cancellation reverses a
redemption. An `Idempotency-Key` header makes a retried redemption record once. The counter's search and the
participation figures are in `counter.py`, redemptions in `redemptions.py`.
"""

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import DomainError
from core.permissions import Action
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _visible
from households.models import Village
from households.selectors import villages_visible_to
from scoring.evidence import check_evidence_file

from .. import services
from ..models import (
    Product,
    ProductSource,
    Shop,
    StockMove,
    StockReason,
)
from ..selectors import products_visible_to, shops_visible_to, visible_to
from .common import (
    KEPT_SCHEMA,
    PersonField,
    RewardsViewSet,
)

LIST_ACTION = {"filter_backends": []}
MAX_ITEMS = 50
MAX_QUANTITY = 10_000


# Shops -----------------------------------------------------------------------------------------------------------


class ShopSerializer(serializers.ModelSerializer):
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    village_name = serializers.CharField(source="village.name", read_only=True)
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Default: <village>积分超市."
    )

    class Meta:
        model = Shop
        fields = ["id", "village", "village_name", "name", "opening_hours", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # one per village: checked by the service, inside the township

    def validate(self, attrs):
        if self.instance is not None and "village" in attrs and attrs["village"] != self.instance.village:
            raise serializers.ValidationError(
                {"village": [_("A supermarket cannot move to another village.")]}
            )
        return attrs


class ShopFilter(filters.FilterSet):
    village = filters.ModelChoiceFilter(queryset=_visible(villages_visible_to, Village))

    class Meta:
        model = Shop
        fields = ["village"]


@extend_schema_view(destroy=KEPT_SCHEMA)
class ShopViewSet(RewardsViewSet):
    """积分超市 of a village, with its opening hours. Opened and changed by the township office or the village's
    clerk; never deleted (405): redemptions name it."""

    queryset = _empty(Shop)
    serializer_class = ShopSerializer
    filterset_class = ShopFilter
    default_write_action = Action.RUN_SHOP
    ordering_fields = ["name"]
    kept_detail = _("A points supermarket is never deleted: its redemptions are kept.")

    def scoped_queryset(self):
        return shops_visible_to(self.membership).select_related("village").order_by("village__sort_key", "pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        shop = services.open_shop(
            membership=self.membership,
            village=data["village"],
            name=data.get("name", ""),
            opening_hours=data.get("opening_hours", ""),
        )
        serializer.instance = self.recheck(shop)

    def perform_update(self, serializer):
        shop = serializer.instance
        data = serializer.validated_data
        serializer.instance = services.update_shop(
            membership=self.membership,
            shop=shop,
            name=data.get("name") or shop.name,
            opening_hours=data.get("opening_hours", shop.opening_hours),
        )


# Products and their stock ------------------------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    shop = VisiblePrimaryKeyRelatedField(visible=shops_visible_to, queryset=_empty(Shop))
    stock = serializers.IntegerField(
        min_value=0,
        max_value=MAX_QUANTITY,
        default=0,
        help_text="On create: the opening stock (a stock move). Afterwards only `stock/` changes it.",
    )
    is_low = serializers.BooleanField(read_only=True, help_text="Stock at or below the low-stock warning.")
    photo = serializers.SerializerMethodField(
        help_text="Where the photo is served (inside the township: media is never served by its address)."
    )
    # A plain string: "source" is already the name of the ledger's choice set in the schema (scoring's Entry).
    source = serializers.CharField(
        max_length=10, default=ProductSource.BOUGHT, help_text="bought, donated or merchant."
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "shop",
            "name",
            "photo",
            "points",
            "cost",
            "stock",
            "low_stock",
            "is_low",
            "source",
            "donor",
            "active",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators = []  # the name is unique in its shop: checked by the service (full_clean), inside the township

    def validate_source(self, source):
        if source not in ProductSource.values:
            raise serializers.ValidationError(_("Choose bought, donated or merchant."))
        return source

    def validate(self, attrs):
        if self.instance is not None:
            if "shop" in attrs and attrs["shop"] != self.instance.shop:
                raise serializers.ValidationError(
                    {"shop": [_("A product cannot move to another supermarket.")]}
                )
            if "stock" in self.initial_data and attrs.get("stock") != self.instance.stock:
                raise serializers.ValidationError(
                    {"stock": [_("Stock changes only by stock in and out (the product's stock/ action).")]}
                )
        return attrs


class StockMoveSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    created_by = PersonField()

    class Meta:
        model = StockMove
        fields = [
            "id",
            "product",
            "product_name",
            "change",
            "reason",
            "note",
            "redemption",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class StockChangeSerializer(serializers.Serializer):
    change = serializers.IntegerField(
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        help_text="How many items; the reason gives the direction (in adds, out takes away).",
    )
    reason = serializers.ChoiceField(choices=[StockReason.IN, StockReason.OUT])
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Required for stock out."
    )


class ProductFilter(filters.FilterSet):
    shop = filters.ModelChoiceFilter(queryset=_visible(shops_visible_to, Shop))
    low = filters.BooleanFilter(method="filter_low", help_text="Only products at or below their warning.")
    active = filters.BooleanFilter()
    source = filters.ChoiceFilter(choices=ProductSource.choices)

    class Meta:
        model = Product
        fields = ["shop", "low", "active", "source"]

    def filter_low(self, queryset, name, value):
        low = queryset.filter(stock__lte=F("low_stock"))
        return low if value else queryset.exclude(pk__in=low.values("pk"))


@extend_schema_field({"type": "string", "format": "binary"})
class PhotoField(serializers.ImageField):
    """An uploaded photo (multipart), documented as binary rather than as the URL the product reads back."""


def _photo_url(serializer, product) -> str | None:
    if not product.photo:
        return None
    view, request = serializer.context["view"], serializer.context["request"]
    path = reverse("rewards:product-photo", kwargs={"township_slug": view.township.slug, "pk": product.pk})
    return request.build_absolute_uri(path)


ProductSerializer.get_photo = extend_schema_field(serializers.URLField(allow_null=True))(_photo_url)


class ProductWriteSerializer(ProductSerializer):
    """A product as sent: the same fields, and `photo` as a JPEG, PNG or WebP file (multipart form data)."""

    photo = PhotoField(required=False, help_text="A JPEG, PNG or WebP photo, sent as multipart form data.")

    def to_representation(self, instance):
        return ProductSerializer(instance, context=self.context).data  # the photo as its served address

    def validate_photo(self, photo):
        try:
            content_type = check_evidence_file(
                photo
            )  # type by content, size and pixel limits, opens as an image
        except DomainError as exc:
            raise serializers.ValidationError(str(exc.message)) from exc
        if not content_type.startswith("image/"):
            raise serializers.ValidationError(_("A product's photo must be a JPEG, PNG or WebP image."))
        return photo


PRODUCT_WRITE = {"multipart/form-data": ProductWriteSerializer, "application/json": ProductWriteSerializer}


@extend_schema_view(
    create=extend_schema(request=PRODUCT_WRITE, responses={201: ProductSerializer}),
    update=extend_schema(request=PRODUCT_WRITE, responses={200: ProductSerializer}),
    partial_update=extend_schema(request=PRODUCT_WRITE, responses={200: ProductSerializer}),
    destroy=KEPT_SCHEMA,
)
class ProductViewSet(RewardsViewSet):
    """Goods on a supermarket's shelf: point price, cost to the budget, stock (changed only by stock moves) and
    the low-stock warning. Never deleted (405): take it off sale (`active: false`)."""

    queryset = _empty(Product)
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    default_write_action = Action.RUN_SHOP
    search_fields = ["name", "donor"]
    ordering_fields = ["name", "stock", "points"]
    kept_detail = _("A product is never deleted: take it off sale instead.")

    def scoped_queryset(self):
        return products_visible_to(self.membership).order_by("shop_id", "name", "pk")

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ProductWriteSerializer
        return ProductSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        shop, stock = data.pop("shop"), data.pop("stock", 0)
        product = services.add_product(membership=self.membership, shop=shop, stock=stock, **data)
        serializer.instance = self.recheck(product)

    def perform_update(self, serializer):
        product = serializer.instance
        fields = {k: v for k, v in serializer.validated_data.items() if k not in ("shop", "stock")}
        serializer.instance = services.update_product(membership=self.membership, product=product, **fields)

    @extend_schema(request=StockChangeSerializer, responses={201: StockMoveSerializer})
    @action(detail=True, methods=["post"], **LIST_ACTION)
    def stock(self, request, *args, **kwargs):
        """Stock in (delivered, donated) or out (damaged, expired, returned — say why): a move in the product's
        own ledger. Stock never goes below zero."""
        product = self.get_object()
        serializer = StockChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        move = services.move_stock(membership=self.membership, product=product, **serializer.validated_data)
        fresh = StockMove.objects.select_related("product", "created_by").get(pk=move.pk)
        return Response(StockMoveSerializer(fresh).data, status=status.HTTP_201_CREATED)


class StockMoveFilter(filters.FilterSet):
    product = filters.ModelChoiceFilter(queryset=_visible(products_visible_to, Product))
    shop = filters.ModelChoiceFilter(field_name="product__shop", queryset=_visible(shops_visible_to, Shop))
    reason = filters.ChoiceFilter(choices=StockReason.choices)

    class Meta:
        model = StockMove
        fields = ["product", "shop", "reason"]


class StockMoveViewSet(RewardsViewSet):
    """The stock ledger: every change of a product's stock, with who, when and why (read-only)."""

    queryset = _empty(StockMove)
    serializer_class = StockMoveSerializer
    filterset_class = StockMoveFilter
    routed_actions = {"list", "retrieve"}
    ordering_fields = ["created_at"]

    def scoped_queryset(self):
        rows = StockMove.objects.select_related("product", "created_by").order_by("-created_at", "-pk")
        return visible_to(self.membership, rows, "product__shop__village")
