"""What villagers send from their own page (issue 14, item 6), for the staff: `self-declarations/` (list, detail,
`{id}/take/` as a checked claim — channel "self_service", the photo as its evidence — and `{id}/refuse/` with a
reason) and `appeals/` (list, detail, `{id}/decide/`: upheld, a reversing entry goes on the village's next notice;
rejected, the entry stands). `?state=pending` lists what waits. Villagers send them from their page only; nothing
is created or deleted here (405)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import Action
from households.api.roster import _empty
from scoring import services as scoring
from scoring.api.ledger import person
from scoring.appeal_selectors import appeals_visible_to, self_declarations_visible_to
from scoring.models import Appeal, AppealState, SelfDeclaration, SelfDeclarationState

from ..selectors import claims_visible_to
from .claims import ClaimDetailSerializer
from .common import KEPT_SCHEMA, ItemField, ReviewViewSet

STATE_FILTER = OpenApiParameter("state", str, description="Only rows in this state (e.g. pending).")


class SelfDeclarationSerializer(serializers.ModelSerializer):
    household_number = serializers.SerializerMethodField(
        help_text="Empty for a villager's or a unit's account."
    )
    holder = serializers.CharField(source="account.holder_name", read_only=True)
    has_photo = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    def get_household_number(self, row) -> str:
        return row.household.number if row.household_id else ""

    entry = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The claim it became, once taken."
    )

    class Meta:
        model = SelfDeclaration
        fields = [
            "id",
            "account",
            "holder",
            "household",
            "household_number",
            "item",
            "what_happened",
            "occurred_on",
            "has_photo",
            "submitted_at",
            "state",
            "decided_by",
            "decided_at",
            "refusal_reason",
            "entry",
        ]
        read_only_fields = fields

    def get_has_photo(self, declaration) -> bool:
        return bool(declaration.photo)

    def get_decided_by(self, declaration) -> str:
        return person(declaration.decided_by)


class SelfDeclarationTakeSerializer(serializers.Serializer):
    item = ItemField(help_text="The bonus item the claim is for.")
    occurred_on = serializers.DateField(required=False, help_text="Default: the day the villager gave.")
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    cause = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Default: what the villager wrote.",
    )


class SelfDeclarationRefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class AppealSerializer(serializers.ModelSerializer):
    household_number = serializers.SerializerMethodField(
        help_text="Empty for a villager's or a unit's account."
    )
    holder = serializers.CharField(source="account.holder_name", read_only=True)
    entry_item = serializers.CharField(source="entry.item_name", read_only=True)
    entry_points = serializers.DecimalField(
        source="entry.points", max_digits=8, decimal_places=2, read_only=True
    )
    decided_by = serializers.SerializerMethodField()

    def get_household_number(self, row) -> str:
        return row.household.number if row.household_id else ""

    reversal = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The reversing entry, once upheld (it counts after the next notice).",
    )
    reversal_state = serializers.CharField(
        source="reversal.state", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Appeal
        fields = [
            "id",
            "account",
            "holder",
            "household",
            "household_number",
            "entry",
            "entry_item",
            "entry_points",
            "reason",
            "submitted_at",
            "state",
            "decided_by",
            "decided_at",
            "decision_reason",
            "reversal",
            "reversal_state",
        ]
        read_only_fields = fields

    def get_decided_by(self, appeal) -> str:
        return person(appeal.decided_by)


class AppealDecisionSerializer(serializers.Serializer):
    uphold = serializers.BooleanField(help_text="True: reverse the entry through the next notice.")
    reason = serializers.CharField(max_length=300)


class _StateFiltered(ReviewViewSet):
    states: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        state = self.request.query_params.get("state")
        if state is not None and self.action == "list":
            queryset = queryset.filter(state=state) if state in self.states else queryset.none()
        return queryset


@extend_schema_view(list=extend_schema(parameters=[STATE_FILTER]), destroy=KEPT_SCHEMA)
class SelfDeclarationViewSet(_StateFiltered):
    """Villagers' self-declarations: the grid worker's check takes one as a claim or refuses it."""

    queryset = _empty(SelfDeclaration)
    serializer_class = SelfDeclarationSerializer
    routed_actions = {"list", "retrieve", "destroy"}
    states = SelfDeclarationState.values
    write_actions = {"take": (Action.CHECK_CLAIM,), "refuse": (Action.CHECK_CLAIM,)}
    kept_detail = _("Self-declarations are never deleted: refuse it with a reason.")

    def scoped_queryset(self):
        return self_declarations_visible_to(self.membership)

    @extend_schema(request=SelfDeclarationTakeSerializer, responses={201: ClaimDetailSerializer})
    @action(detail=True, methods=["post"], serializer_class=SelfDeclarationTakeSerializer)
    def take(self, request, *args, **kwargs):
        """Checked: it becomes a claim (channel self_service) with its photo; the next notice batch takes it."""
        declaration = self.get_object()
        serializer = SelfDeclarationTakeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        entry = scoring.take_self_declaration(
            membership=self.membership, declaration=declaration, **serializer.validated_data
        )
        claim = claims_visible_to(self.membership).get(pk=entry.pk)
        return Response(ClaimDetailSerializer(claim, context=self.get_serializer_context()).data, status=201)

    @extend_schema(request=SelfDeclarationRefuseSerializer, responses={200: SelfDeclarationSerializer})
    @action(detail=True, methods=["post"], serializer_class=SelfDeclarationRefuseSerializer)
    def refuse(self, request, *args, **kwargs):
        """Refused, with the reason the villager reads on their page."""
        declaration = self.get_object()
        serializer = SelfDeclarationRefuseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scoring.refuse_self_declaration(
            membership=self.membership, declaration=declaration, reason=serializer.validated_data["reason"]
        )
        declaration = self.recheck(self.get_queryset().get(pk=declaration.pk))
        return Response(SelfDeclarationSerializer(declaration, context=self.get_serializer_context()).data)


@extend_schema_view(list=extend_schema(parameters=[STATE_FILTER]), destroy=KEPT_SCHEMA)
class AppealViewSet(_StateFiltered):
    """Villagers' appeals (申诉) against their own entries: the clerk or the township office decides."""

    queryset = _empty(Appeal)
    serializer_class = AppealSerializer
    routed_actions = {"list", "retrieve", "destroy"}
    states = AppealState.values
    write_actions = {"decide": (Action.DECIDE_APPEAL,)}
    kept_detail = _("Appeals are never deleted: decide it with a reason.")

    def scoped_queryset(self):
        return appeals_visible_to(self.membership)

    @extend_schema(request=AppealDecisionSerializer, responses={200: AppealSerializer})
    @action(detail=True, methods=["post"], serializer_class=AppealDecisionSerializer)
    def decide(self, request, *args, **kwargs):
        """Upheld: a reversing entry goes on the village's next notice and counts after it. Rejected: it stands."""
        appeal = self.get_object()
        serializer = AppealDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scoring.decide_appeal(membership=self.membership, appeal=appeal, **serializer.validated_data)
        appeal = self.recheck(self.get_queryset().get(pk=appeal.pk))
        return Response(AppealSerializer(appeal, context=self.get_serializer_context()).data)
