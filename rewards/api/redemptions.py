"""Redemptions at the points supermarket's counter (积分兑换): an account's points (a family's, a villager's or a
unit's) exchanged for goods; never changed or deleted, a cancellation reverses one. An `Idempotency-Key` header makes
a retried redemption record once. Ids in the body are looked up among what the member sees (else 400)."""

from django.db.models import Exists, OuterRef, Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import Action
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _visible
from households.models import Household
from households.selectors import households_visible_to
from scoring.api.ledger import IDEMPOTENCY_HEADER, idempotency_key_of
from scoring.models import Account

from .. import services
from ..models import Redemption, RedemptionLine, Shop
from ..selectors import accounts_visible_to, shops_visible_to, visible_to
from .common import KEPT_SCHEMA, MAX_ID, CancelSerializer, PersonField, RewardsViewSet
from .shop import LIST_ACTION, MAX_ITEMS, MAX_QUANTITY

# Redemptions -------------------------------------------------------------------------------------------------------


class RedemptionLineSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = RedemptionLine
        fields = ["product", "product_name", "quantity", "points", "cost"]
        read_only_fields = fields


class RedemptionSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True, default=None)
    account_kind = serializers.CharField(source="account.kind", read_only=True)
    holder = serializers.CharField(
        source="account.holder_name",
        read_only=True,
        help_text="The household's number, the villager's or unit's name.",
    )
    cancelled = serializers.BooleanField(read_only=True, help_text="A cancellation reverses it.")
    lines = RedemptionLineSerializer(many=True, read_only=True)
    created_by = PersonField()

    class Meta:
        model = Redemption
        fields = [
            "id",
            "shop",
            "account",
            "account_kind",
            "holder",
            "household",
            "household_number",
            "year",
            "points",
            "cost",
            "lines",
            "reverses",
            "cancelled",
            "reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class RedeemItemSerializer(serializers.Serializer):
    product = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="A product of this supermarket."
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class RedeemSerializer(serializers.Serializer):
    household = VisiblePrimaryKeyRelatedField(
        visible=households_visible_to,
        queryset=_empty(Household),
        required=False,
        help_text="A family's redemption: its household (or give `account`).",
    )
    account = VisiblePrimaryKeyRelatedField(
        visible=accounts_visible_to,
        queryset=_empty(Account),
        required=False,
        help_text="The account whose points are spent: a family's, a villager's or a unit's.",
    )
    shop = VisiblePrimaryKeyRelatedField(visible=shops_visible_to, queryset=_empty(Shop))
    items = RedeemItemSerializer(many=True, max_length=MAX_ITEMS)

    def validate_items(self, items):
        if not items:
            raise serializers.ValidationError(_("Pick at least one product."))
        products = [item["product"] for item in items]
        if len(set(products)) != len(products):
            raise serializers.ValidationError(_("Each product may be listed only once."))
        return items

    def validate(self, attrs):
        if ("household" in attrs) == ("account" in attrs):
            raise serializers.ValidationError(
                {"account": [_("Give either the account or the household, not both and not neither.")]}
            )
        return attrs


class RedemptionFilter(filters.FilterSet):
    household = filters.ModelChoiceFilter(queryset=_visible(households_visible_to, Household))
    account = filters.ModelChoiceFilter(queryset=_visible(accounts_visible_to, Account))
    shop = filters.ModelChoiceFilter(queryset=_visible(shops_visible_to, Shop))
    year = filters.NumberFilter(min_value=2000, max_value=9999, decimal_places=0)
    cancellation = filters.BooleanFilter(field_name="reverses", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Redemption
        fields = ["household", "account", "shop", "year", "cancellation"]


def described_redemptions(membership):
    rows = (
        Redemption.objects.select_related(
            "household", "account__household", "account__resident", "account__unit", "created_by"
        )
        .prefetch_related(
            Prefetch("lines", queryset=RedemptionLine.objects.select_related("product").order_by("pk"))
        )
        .annotate(cancelled=Exists(Redemption.objects.filter(reverses=OuterRef("pk"))))
    )
    return visible_to(membership, rows, "shop__village", household_record=True).order_by("-created_at", "-pk")


@extend_schema_view(update=KEPT_SCHEMA, partial_update=KEPT_SCHEMA, destroy=KEPT_SCHEMA)
class RedemptionViewSet(RewardsViewSet):
    """积分兑换 at the counter: points exchanged for goods, the balance and the stock checked and taken in one go.
    Never changed or deleted (405): `cancel/` records a reversing redemption (points, goods and money come back)."""

    queryset = _empty(Redemption)
    serializer_class = RedemptionSerializer
    filterset_class = RedemptionFilter
    default_write_action = Action.RUN_SHOP
    kept_actions = {"update", "partial_update", "destroy"}
    kept_detail = _("A redemption is never changed or deleted: cancel it with a reason.")
    ordering_fields = ["created_at", "points"]

    def scoped_queryset(self):
        return described_redemptions(self.membership)

    def _answer(self, redemption, code):
        self.recheck(redemption)
        fresh = self.get_queryset().get(pk=redemption.pk)
        return Response(RedemptionSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _answer_recorded(self, redemption):
        """A redemption recorded now, answered from what is in hand (the service returns it with its account's
        holder, its household and its lines with their products): the same answer as a fresh read, no query."""
        self.recheck(redemption)
        redemption.created_by = self.request.user  # its recorder: the request's user
        redemption.cancelled = False  # nothing reverses it yet
        data = RedemptionSerializer(redemption, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RedeemSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: RedemptionSerializer, 200: RedemptionSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Redeem goods for an account (`account`, any kind) or a household (`household`, its family account) of
        the supermarket's village: refused (400, saying why) when the balance,
        the stock or the village's budget does not cover it. A retried key answers the first redemption (200)."""
        key = idempotency_key_of(request)
        serializer = RedeemSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        redemption, recorded = services.redeem_or_replay(
            membership=self.membership,
            household=data.get("household"),
            account=data.get("account"),
            shop=data["shop"],
            items={item["product"]: item["quantity"] for item in data["items"]},
            idempotency_key=key,
        )
        if recorded:
            return self._answer_recorded(redemption)
        if redemption.shop_id != data["shop"].pk:
            raise exceptions.ValidationError(
                {
                    "Idempotency-Key": [
                        _("This Idempotency-Key was already used for another redemption; send a new key.")
                    ]
                }
            )
        return self._answer(redemption, status.HTTP_200_OK)

    @extend_schema(request=CancelSerializer, responses={201: RedemptionSerializer})
    @action(detail=True, methods=["post"], **LIST_ACTION)
    def cancel(self, request, *args, **kwargs):
        """Cancel a redemption with a reason: the points come back to the balance, the goods to the shelf, the cost
        to the budget."""
        redemption = self.get_object()
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = services.cancel_redemption(
            membership=self.membership, redemption=redemption, reason=serializer.validated_data["reason"]
        )
        return self._answer(reversal, status.HTTP_201_CREATED)
