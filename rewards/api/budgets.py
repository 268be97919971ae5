"""Budgets (seed 4): each village's reward money for a year, its funding lines, and the reward allocations drawn
on it. Members read those of the villages they see; the township office opens budgets, adds funding, allocates the
rewards of a published star rating and cancels an allocation with a reason. Funding lines and allocations are
never changed or deleted (405): a correcting line of the opposite sign, a cancellation.
"""

from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _visible
from households.models import Household, Village
from households.selectors import households_visible_to, villages_visible_to
from scoring.api.schemes import in_township

from .. import services
from ..models import Budget, FundingKind, FundingLine, RewardAllocation, StarRun
from ..selectors import budgets_visible_to, budgets_with_figures, figures_of, visible_to
from .common import KEPT_SCHEMA, CancelSerializer, PersonField, RewardsViewSet

LIST_ACTION = {"filter_backends": []}
YUAN = {"max_digits": 14, "decimal_places": 2}


# Budgets ---------------------------------------------------------------------------------------------------------


def _figure(name: str, help_text: str):
    @extend_schema_field(serializers.DecimalField(**YUAN, help_text=help_text))
    def get(self, budget) -> str:
        return serializers.DecimalField(**YUAN).to_representation(getattr(self.figures(budget), name))

    return get


class BudgetSerializer(serializers.ModelSerializer):
    """A village's reward money for a year: what came in, the cap, and what is committed, spent and left."""

    village_name = serializers.CharField(source="village.name", read_only=True)
    funded = serializers.SerializerMethodField()
    cap = serializers.SerializerMethodField()
    limit = serializers.SerializerMethodField()
    committed = serializers.SerializerMethodField()
    spent = serializers.SerializerMethodField()
    left = serializers.SerializerMethodField()
    created_by = PersonField()

    get_funded = _figure("funded", "The sum of the funding lines.")
    get_cap = _figure("cap", "cap_per_resident × residents.")
    get_limit = _figure("limit", "What may be drawn: the funding, never more than the cap.")
    get_committed = _figure("committed", "Reward allocations (cancellations deducted).")
    get_spent = _figure("spent", "The supermarket's cost of goods redeemed (cancellations deducted).")
    get_left = _figure("left", "limit − committed − spent.")

    class Meta:
        model = Budget
        fields = [
            "id",
            "village",
            "village_name",
            "year",
            "cap_per_resident",
            "residents",
            "funded",
            "cap",
            "limit",
            "committed",
            "spent",
            "left",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def figures(self, budget):
        return figures_of(budget)  # annotated by budgets_with_figures: no query


class BudgetCreateSerializer(serializers.Serializer):
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    year = serializers.IntegerField(min_value=2000, max_value=9999)
    cap_per_resident = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0"), default=Decimal("2")
    )
    fund_defaults = serializers.BooleanField(
        default=True, help_text="Add the township's 1.5 and the village's 1 yuan per resident."
    )


class BudgetFilter(filters.FilterSet):
    village = filters.ModelChoiceFilter(queryset=_visible(villages_visible_to, Village))
    year = filters.NumberFilter(min_value=2000, max_value=9999, decimal_places=0)

    class Meta:
        model = Budget
        fields = ["village", "year"]


@extend_schema_view(destroy=KEPT_SCHEMA)
class BudgetViewSet(RewardsViewSet):
    """预算: per village and year, with its figures. Opened by the township office with the residents counted
    then; `recount/` counts them again (the cap moves, funding lines already given stay)."""

    queryset = _empty(Budget)
    serializer_class = BudgetSerializer
    filterset_class = BudgetFilter
    routed_actions = {"list", "retrieve", "create", "destroy"}
    ordering_fields = ["year"]
    kept_detail = _("A budget is never deleted: allocations and redemptions draw on it.")

    def scoped_queryset(self):
        rows = (
            budgets_with_figures().select_related("created_by").order_by("-year", "village__sort_key", "pk")
        )
        return visible_to(self.membership, rows, "village")

    def _answer(self, budget, code=status.HTTP_200_OK):
        self.recheck(budget)
        fresh = self.get_queryset().get(pk=budget.pk)
        return Response(BudgetSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=BudgetCreateSerializer, responses={201: BudgetSerializer})
    def create(self, request, *args, **kwargs):
        serializer = BudgetCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        budget = services.open_budget(membership=self.membership, **serializer.validated_data)
        return self._answer(budget, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: BudgetSerializer})
    @action(detail=True, methods=["post"], **LIST_ACTION)
    def recount(self, request, *args, **kwargs):
        """Count the village's residents again."""
        budget = services.recount_residents(membership=self.membership, budget=self.get_object())
        return self._answer(budget)


# Funding lines ---------------------------------------------------------------------------------------------------


class FundingLineSerializer(serializers.ModelSerializer):
    budget = VisiblePrimaryKeyRelatedField(visible=budgets_visible_to, queryset=_empty(Budget))
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="Donations and merchants' discounts; per-resident lines are rate × residents. Negative: a "
        "correction (say why in the note).",
    )
    per_resident = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="For township and village lines (default 1.5 and 1 yuan).",
    )
    created_by = PersonField()

    class Meta:
        model = FundingLine
        fields = [
            "id",
            "budget",
            "kind",
            "per_resident",
            "amount",
            "source",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class FundingLineFilter(filters.FilterSet):
    budget = filters.ModelChoiceFilter(queryset=_visible(budgets_visible_to, Budget))
    kind = filters.ChoiceFilter(choices=FundingKind.choices)
    year = filters.NumberFilter(field_name="budget__year", min_value=2000, max_value=9999, decimal_places=0)

    class Meta:
        model = FundingLine
        fields = ["budget", "kind", "year"]


@extend_schema_view(update=KEPT_SCHEMA, partial_update=KEPT_SCHEMA, destroy=KEPT_SCHEMA)
class FundingLineViewSet(RewardsViewSet):
    """Money into a budget (township, village per resident; donations; merchants' discounts). Never changed or
    deleted (405): a mistake is put right by a line of the opposite sign, with a note."""

    queryset = _empty(FundingLine)
    serializer_class = FundingLineSerializer
    filterset_class = FundingLineFilter
    kept_actions = {"update", "partial_update", "destroy"}
    kept_detail = _("A funding line is never changed or deleted: add a correcting line with a note.")
    ordering_fields = ["created_at"]

    def scoped_queryset(self):
        rows = FundingLine.objects.select_related("created_by").order_by("budget_id", "created_at", "pk")
        return visible_to(self.membership, rows, "budget__village")

    def perform_create(self, serializer):
        data = serializer.validated_data
        line = services.add_funding(
            membership=self.membership,
            budget=data["budget"],
            kind=data["kind"],
            amount=data.get("amount"),
            per_resident=data.get("per_resident"),
            source=data.get("source", ""),
            note=data.get("note", ""),
        )
        serializer.instance = self.recheck(line)


# Allocations -----------------------------------------------------------------------------------------------------


class AllocationSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="budget.year", read_only=True)
    village = serializers.IntegerField(source="budget.village_id", read_only=True)
    household_number = serializers.CharField(source="household.number", read_only=True)
    cancelled = serializers.BooleanField(read_only=True, help_text="A cancellation reverses it.")
    created_by = PersonField()

    class Meta:
        model = RewardAllocation
        fields = [
            "id",
            "budget",
            "year",
            "village",
            "run",
            "household",
            "household_number",
            "stars",
            "plaque",
            "reward",
            "value",
            "reverses",
            "cancelled",
            "reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class AllocateSerializer(serializers.Serializer):
    run = VisiblePrimaryKeyRelatedField(
        visible=in_township(StarRun), queryset=_empty(StarRun), help_text="A published star rating."
    )
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))


class AllocationFilter(filters.FilterSet):
    year = filters.NumberFilter(field_name="budget__year", min_value=2000, max_value=9999, decimal_places=0)
    village = filters.ModelChoiceFilter(
        field_name="budget__village", queryset=_visible(villages_visible_to, Village)
    )
    household = filters.ModelChoiceFilter(queryset=_visible(households_visible_to, Household))
    run = filters.ModelChoiceFilter(queryset=_visible(in_township(StarRun), StarRun))
    stars = filters.TypedChoiceFilter(choices=[(s, str(s)) for s in (3, 4, 5)], coerce=int)

    class Meta:
        model = RewardAllocation
        fields = ["year", "village", "household", "run", "stars"]


def described_allocations(membership):
    rows = RewardAllocation.objects.select_related("budget", "household", "created_by").annotate(
        cancelled=Exists(RewardAllocation.objects.filter(reverses=OuterRef("pk")))
    )
    return visible_to(membership, rows, "budget__village", household_record=True).order_by(
        "-budget__year", "budget_id", "-stars", "household__number", "pk"
    )


@extend_schema_view(update=KEPT_SCHEMA, partial_update=KEPT_SCHEMA, destroy=KEPT_SCHEMA)
class AllocationViewSet(RewardsViewSet):
    """奖励发放: the rewards of a year's star households, drawn on their village's budget. `allocate/` gives a
    village's star households of a published rating their level's reward (all or nothing; refused with the
    shortfall in yuan when the budget has not enough left); `cancel/` reverses one with a reason."""

    queryset = _empty(RewardAllocation)
    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter
    routed_actions = {"list", "retrieve", "update", "partial_update", "destroy"}
    kept_actions = {"update", "partial_update", "destroy"}
    kept_detail = _("A reward allocation is never changed or deleted: cancel it with a reason.")
    ordering_fields = ["created_at", "stars"]

    def scoped_queryset(self):
        return described_allocations(self.membership)

    @extend_schema(request=AllocateSerializer, responses={201: AllocationSerializer(many=True)})
    @action(detail=False, methods=["post"], pagination_class=None, **LIST_ACTION)
    def allocate(self, request, *args, **kwargs):
        """Allocate the rewards of a published run to a village's star households; those already holding one are
        skipped, so allocating twice gives nothing twice."""
        serializer = AllocateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        new = services.allocate_rewards(membership=self.membership, **serializer.validated_data)
        rows = self.get_queryset().filter(pk__in=[a.pk for a in new])
        data = AllocationSerializer(rows, many=True, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses={201: AllocationSerializer})
    @action(detail=True, methods=["post"], **LIST_ACTION)
    def cancel(self, request, *args, **kwargs):
        """Cancel an allocation: a reversing allocation gives the money back to the budget."""
        allocation = self.get_object()
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = services.cancel_allocation(
            membership=self.membership, allocation=allocation, reason=serializer.validated_data["reason"]
        )
        fresh = self.get_queryset().get(pk=reversal.pk)
        data = AllocationSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)
