"""REST endpoints for the rule catalogue: schemes, categories, items and role rules.

Every member reads the township's catalogue; only the township office (EDIT_SCHEME) writes it, and every write goes
through `scoring.services` (or `scoring.scheme_templates.load_template`). Ids in bodies and query parameters are
looked up inside the township scope: another township's scheme or category reads "does not exist" (400).

Nothing in the catalogue is deleted through the API (405): entries point at it. An item is retired with
`active=false`; a scheme is closed. Schemes, categories and role rules are not edited after creation here yet.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TownshipScopedViewSet
from core.permissions import Action
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _visible

from .. import scheme_templates, services
from ..models import Category, Item, ItemKind, RoleRule, Scheme, SchemeState
from ..selectors import base_total

# The catalogue can only grow or be retired through the API: no DELETE, and PUT/PATCH only where a service edits.
READ_AND_CREATE = ["get", "post", "head", "options"]
NO_DELETE = ["get", "post", "put", "patch", "head", "options"]
POINTS = serializers.DecimalField(
    max_digits=10, decimal_places=2
)  # renders computed points like model fields


def in_township(model, *related: str):
    """The rows a member may pick from: the whole catalogue of their township (the scope does the filtering), with
    the `related` rows the caller reads joined in."""

    def rows(membership):
        return model.objects.select_related(*related) if related else model.objects.all()

    return rows


# Serializers ---------------------------------------------------------------------------------------------------


class SchemeSerializer(serializers.ModelSerializer):
    base_total = serializers.SerializerMethodField(help_text="The sum of the categories' base scores.")

    class Meta:
        model = Scheme
        fields = [
            "id",
            "name",
            "year",
            "starts_on",
            "ends_on",
            "state",
            "template",
            "copied_from",
            "false_declaration_multiplier",
            "allows_transfers",
            "township_approves_quarterly",
            "township_approves_annual",
            "account_kinds",
            "points_carry_forward",
            "rank_by",
            "split_points",
            "base_total",
            "created_at",
        ]
        read_only_fields = ["state", "template", "copied_from", "created_at"]
        extra_kwargs = {
            "false_declaration_multiplier": {"min_value": Decimal("1")},
            "starts_on": {
                "required": False,
                "help_text": "The first day it covers (default: 1 January of year).",
            },
            "ends_on": {"help_text": "The last day it covers (a term's end; default: 31 December of year)."},
        }
        validators = []  # the name is unique per township and year: checked by the service, inside the township

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=2))
    def get_base_total(self, scheme) -> str:
        return POINTS.to_representation(base_total(scheme))  # categories are prefetched on lists


class SchemeCopySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=9999)
    name = serializers.CharField(
        max_length=100, required=False, help_text="The new scheme's name (default: the same name)."
    )


class TemplateLoadSerializer(serializers.Serializer):
    template = serializers.CharField(max_length=40, help_text="A template name from `schemes/templates/`.")
    year = serializers.IntegerField(min_value=2000, max_value=9999)
    name = serializers.CharField(
        max_length=100, required=False, help_text="The new scheme's name (default: the template's)."
    )
    starts_on = serializers.DateField(
        required=False,
        help_text="The term's first day, in `year` (default: the template's term, e.g. the class template's "
        "1 September, else 1 January).",
    )
    ends_on = serializers.DateField(required=False, help_text="The term's last day (with `starts_on`).")


class TemplateSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()


class CategorySerializer(serializers.ModelSerializer):
    scheme = VisiblePrimaryKeyRelatedField(visible=in_township(Scheme), queryset=_empty(Scheme))

    class Meta:
        model = Category
        fields = ["id", "scheme", "name", "base_score", "cadence", "floor", "ceiling", "order"]
        extra_kwargs = {"base_score": {"required": True}, "cadence": {"required": True}}
        validators = []  # the name is unique in its scheme: checked by the service


class ItemSerializer(serializers.ModelSerializer):
    category = VisiblePrimaryKeyRelatedField(visible=in_township(Category), queryset=_empty(Category))
    scheme = serializers.IntegerField(source="category.scheme_id", read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "scheme",
            "category",
            "name",
            "kind",
            "points",
            "cap_count",
            "cap_points",
            "evidence_required",
            "by_inspection",
            "by_declaration",
            "by_clerk",
            "disqualifying",
            "role_multiplier_applies",
            "verification",
            "threshold_count",
            "threshold_consequence",
            "threshold_carries_over",
            "cap_cadence",
            "order",
            "active",
        ]

    def validate(self, attrs):
        if self.instance is not None and "category" in attrs and attrs["category"] != self.instance.category:
            raise serializers.ValidationError(
                {"category": [_("An item cannot move to another category; retire it and add a new one.")]}
            )
        return attrs


class RoleRuleSerializer(serializers.ModelSerializer):
    scheme = VisiblePrimaryKeyRelatedField(visible=in_township(Scheme), queryset=_empty(Scheme))

    class Meta:
        model = RoleRule
        fields = ["id", "scheme", "code", "name", "base_score", "penalty_multiplier"]
        validators = []  # the code is unique in its scheme: checked by the service


# Filters -------------------------------------------------------------------------------------------------------


class SchemeFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=SchemeState.choices)
    year = filters.NumberFilter(min_value=2000, max_value=9999, decimal_places=0)

    class Meta:
        model = Scheme
        fields = ["state", "year"]


class CategoryFilter(filters.FilterSet):
    scheme = filters.ModelChoiceFilter(queryset=_visible(in_township(Scheme), Scheme))

    class Meta:
        model = Category
        fields = ["scheme"]


class ItemFilter(filters.FilterSet):
    scheme = filters.ModelChoiceFilter(
        field_name="category__scheme", queryset=_visible(in_township(Scheme), Scheme)
    )
    category = filters.ModelChoiceFilter(queryset=_visible(in_township(Category), Category))
    kind = filters.ChoiceFilter(choices=ItemKind.choices)
    active = filters.BooleanFilter()

    class Meta:
        model = Item
        fields = ["scheme", "category", "kind", "active"]


class RoleRuleFilter(filters.FilterSet):
    scheme = filters.ModelChoiceFilter(queryset=_visible(in_township(Scheme), Scheme))

    class Meta:
        model = RoleRule
        fields = ["scheme"]


# Viewsets ------------------------------------------------------------------------------------------------------


class SchemeViewSet(TownshipScopedViewSet):
    """积分方案: the township's schemes, one per year and name. Members read; the township office creates, loads
    templates, copies, activates and closes them. A scheme takes entries only while active. No DELETE (405)."""

    queryset = _empty(Scheme)
    serializer_class = SchemeSerializer
    filterset_class = SchemeFilter
    write_action = Action.EDIT_SCHEME
    http_method_names = READ_AND_CREATE
    search_fields = ["name"]
    ordering_fields = ["year", "name", "created_at"]

    def scoped_queryset(self):
        return Scheme.objects.prefetch_related("categories")

    def perform_create(self, serializer):
        scheme = services.create_scheme(
            membership=self.membership, township=self.township, **serializer.validated_data
        )
        serializer.instance = self.recheck(scheme)

    def _answer(self, scheme, code=status.HTTP_200_OK):
        return Response(
            SchemeSerializer(self.recheck(scheme), context=self.get_serializer_context()).data, code
        )

    @extend_schema(request=None, responses={200: SchemeSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, *args, **kwargs):
        """Open the draft scheme for entries (it needs at least one category)."""
        return self._answer(services.activate_scheme(membership=self.membership, scheme=self.get_object()))

    @extend_schema(request=None, responses={200: SchemeSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):
        """Close the active scheme: it takes no more entries, its catalogue no more categories or items."""
        return self._answer(services.close_scheme(membership=self.membership, scheme=self.get_object()))

    @extend_schema(request=SchemeCopySerializer, responses={201: SchemeSerializer})
    @action(detail=True, methods=["post"], serializer_class=SchemeCopySerializer)
    def copy(self, request, *args, **kwargs):
        """Start another year's draft scheme as a copy of this one (categories, items and role rules)."""
        scheme = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = services.copy_scheme(membership=self.membership, scheme=scheme, **serializer.validated_data)
        return self._answer(new, status.HTTP_201_CREATED)

    @extend_schema(responses={200: TemplateSerializer(many=True)})
    @action(detail=False, methods=["get"], filter_backends=[])
    def templates(self, request, *args, **kwargs):
        """The scheme templates shipped with Jifen (load one with `load-template`)."""
        page = self.paginate_queryset(scheme_templates.available_templates(self.township.kind))
        return self.get_paginated_response(TemplateSerializer(page, many=True).data)

    @extend_schema(request=TemplateLoadSerializer, responses={201: SchemeSerializer})
    @action(detail=False, methods=["post"], url_path="load-template", serializer_class=TemplateLoadSerializer)
    def load_template(self, request, *args, **kwargs):
        """Create a draft scheme from a shipped template, for the given year."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scheme = scheme_templates.load_template(
            membership=self.membership,
            township=self.township,
            name=data["template"],
            year=data["year"],
            scheme_name=data.get("name"),
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
        )
        return self._answer(scheme, status.HTTP_201_CREATED)


class CategoryViewSet(TownshipScopedViewSet):
    """积分类别 of the township's schemes (filter with `?scheme=`). The township office adds them. No DELETE (405)."""

    queryset = _empty(Category)
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    write_action = Action.EDIT_SCHEME
    http_method_names = READ_AND_CREATE
    search_fields = ["name"]
    ordering_fields = ["order", "name"]

    def scoped_queryset(self):
        return Category.objects.all()

    def perform_create(self, serializer):
        category = services.add_category(membership=self.membership, **serializer.validated_data)
        serializer.instance = self.recheck(category)


class ItemViewSet(TownshipScopedViewSet):
    """加分项 / 减分项 (filter by scheme, category, kind, active). The township office adds and edits them; an item
    is never deleted (405) but retired with `active=false`. Entries keep the rule as it was when recorded."""

    queryset = _empty(Item)
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    write_action = Action.EDIT_SCHEME
    http_method_names = NO_DELETE
    search_fields = ["name"]
    ordering_fields = ["order", "name", "points"]

    def scoped_queryset(self):
        return Item.objects.select_related("category")

    def perform_create(self, serializer):
        item = services.add_item(membership=self.membership, **serializer.validated_data)
        serializer.instance = self.recheck(item)

    def perform_update(self, serializer):
        fields = {key: value for key, value in serializer.validated_data.items() if key != "category"}
        item = services.update_item(membership=self.membership, item=serializer.instance, **fields)
        serializer.instance = self.recheck(item)


class RoleRuleViewSet(TownshipScopedViewSet):
    """Roles inside a scheme (a base total and a penalty multiplier per role, e.g. class officers 85 and ×2).
    The township office adds them. No DELETE (405)."""

    queryset = _empty(RoleRule)
    serializer_class = RoleRuleSerializer
    filterset_class = RoleRuleFilter
    write_action = Action.EDIT_SCHEME
    http_method_names = READ_AND_CREATE
    search_fields = ["name", "code"]
    ordering_fields = ["code", "name"]

    def scoped_queryset(self):
        return RoleRule.objects.all()

    def perform_create(self, serializer):
        rule = services.add_role_rule(membership=self.membership, **serializer.validated_data)
        serializer.instance = self.recheck(rule)
