"""Declarations (自主申报) and objections (异议) of the rounds a member sees, and the panel's decisions on them:
`declarations/{id}/decide/` (accept, adjust, reject, or proved false: it then costs double) and
`objections/{id}/resolve/` (upheld with changes, which go on a fresh notice, or dismissed). They are filed through
their round (`rounds/{id}/declarations/`, `rounds/{id}/objections/`). Nothing here is deleted (405).
"""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import Action
from households.api.roster import _empty, _member_in, _visible, reveals_personal_numbers
from households.validators import mask_mobile
from scoring.api.ledger import EvidenceSerializer

from .. import services
from ..models import (
    Declaration,
    DeclarationState,
    Objection,
    ObjectionState,
    ProposalChange,
    ReviewRound,
)
from ..selectors import declarations_visible_to, objections_visible_to, rounds_visible_to
from .common import (
    KEPT_SCHEMA,
    MAX_CHANGES,
    ChangeSerializer,
    ItemField,
    PersonField,
    ReviewViewSet,
    changes_for_service,
    override_reason_field,
)

DECISIONS = [
    DeclarationState.ACCEPTED,
    DeclarationState.ADJUSTED,
    DeclarationState.REJECTED,
    DeclarationState.FALSE,
]


# Serializers ---------------------------------------------------------------------------------------------------


class DeclarationSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    declared_by = PersonField()
    decided_by = PersonField()
    proposal = serializers.IntegerField(
        source="round_entry.entry_id", read_only=True, help_text="The entry it proposed."
    )
    evidence = EvidenceSerializer(source="round_entry.entry.evidence", many=True, read_only=True)

    class Meta:
        model = Declaration
        fields = [
            "id",
            "round",
            "household",
            "household_number",
            "item",
            "item_name",
            "occurred_on",
            "place",
            "description",
            "on_behalf",
            "declared_by",
            "declared_at",
            "state",
            "decided_by",
            "decided_at",
            "decision_reason",
            "proposal",
            "evidence",
        ]
        read_only_fields = fields


DECLARATION_RELATIONS = ("household", "item", "declared_by", "decided_by", "round_entry__entry")
DECLARATION_PREFETCH = ("round_entry__entry__evidence",)


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(state.value, state.label) for state in DECISIONS])
    reason = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="", help_text="Required unless accepted."
    )
    adjusted_item = ItemField(
        required=False, allow_null=True, default=None, help_text="For an adjustment: the right item."
    )
    override_reason = override_reason_field()


class ProposalChangeSerializer(serializers.ModelSerializer):
    actor = PersonField()

    class Meta:
        model = ProposalChange
        fields = ["id", "old_entry", "new_entry", "reason", "actor", "at"]
        read_only_fields = fields


class ObjectionSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True)
    filed_by = PersonField(help_text="Empty when filed on the public notice page.")
    resolved_by = PersonField()
    changes = ProposalChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Objection
        fields = [
            "id",
            "round",
            "household",
            "household_number",
            "objector_name",
            "objector_phone",
            "reason",
            "filed_by",
            "filed_at",
            "notice_number",
            "state",
            "outcome",
            "resolved_by",
            "resolved_at",
            "changes",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not reveals_personal_numbers(_member_in(self.context)):
            data["objector_phone"] = mask_mobile(instance.objector_phone)
        return data


OBJECTION_RELATIONS = ("household", "filed_by", "resolved_by")
OBJECTION_PREFETCH = ("changes__actor",)


class ResolveSerializer(serializers.Serializer):
    upheld = serializers.BooleanField(
        help_text="true: the objection stands (say what changes); false: dismissed."
    )
    outcome = serializers.CharField(max_length=2000, help_text="The panel's written outcome.")
    changes = ChangeSerializer(many=True, required=False, default=list, max_length=MAX_CHANGES)
    override_reason = override_reason_field()


# Filters -------------------------------------------------------------------------------------------------------


class DeclarationFilter(filters.FilterSet):
    round = filters.ModelChoiceFilter(queryset=_visible(rounds_visible_to, ReviewRound))
    state = filters.ChoiceFilter(choices=DeclarationState.choices)

    class Meta:
        model = Declaration
        fields = ["round", "state"]


class ObjectionFilter(filters.FilterSet):
    round = filters.ModelChoiceFilter(queryset=_visible(rounds_visible_to, ReviewRound))
    state = filters.ChoiceFilter(choices=ObjectionState.choices)

    class Meta:
        model = Objection
        fields = ["round", "state"]


# Viewsets ------------------------------------------------------------------------------------------------------


@extend_schema_view(destroy=KEPT_SCHEMA)
class DeclarationViewSet(ReviewViewSet):
    """Declarations of the rounds the member sees (a panel member's worklist: `?state=pending`)."""

    queryset = _empty(Declaration)
    serializer_class = DeclarationSerializer
    filterset_class = DeclarationFilter
    routed_actions = {"list", "retrieve", "destroy"}
    write_actions = {"decide": (Action.PANEL_WORK, Action.APPROVE_ROUND)}  # the township: with an override
    ordering_fields = ["declared_at", "occurred_on"]
    kept_detail = _("A declaration is never deleted: the panel rejects it with a reason.")

    def scoped_queryset(self):
        return (
            declarations_visible_to(self.membership)
            .select_related(*DECLARATION_RELATIONS)
            .prefetch_related(*DECLARATION_PREFETCH)
        )

    @extend_schema(request=DecideSerializer, responses={200: DeclarationSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def decide(self, request, *args, **kwargs):
        """The panel's decision (during the panel review). A declaration proved false costs double its value."""
        declaration = self.get_object()
        serializer = DecideSerializer(data=request.data, context=self.round_context(declaration.round))
        serializer.is_valid(raise_exception=True)
        decided = services.decide_declaration(
            membership=self.membership, declaration=declaration, **serializer.validated_data
        )
        self.recheck(declaration.round)  # a declaration has no village of its own: its round has
        return Response(self.get_serializer(self.get_queryset().get(pk=decided.pk)).data)


@extend_schema_view(destroy=KEPT_SCHEMA)
class ObjectionViewSet(ReviewViewSet):
    """Objections to the results on notice, in the rounds the member sees (`?state=open`: waiting for the panel)."""

    queryset = _empty(Objection)
    serializer_class = ObjectionSerializer
    filterset_class = ObjectionFilter
    routed_actions = {"list", "retrieve", "destroy"}
    write_actions = {"resolve": (Action.RUN_ROUND, Action.PANEL_WORK)}
    ordering_fields = ["filed_at"]
    kept_detail = _("An objection is never deleted: the panel resolves it with a written outcome.")

    def scoped_queryset(self):
        return (
            objections_visible_to(self.membership)
            .select_related(*OBJECTION_RELATIONS)
            .prefetch_related(*OBJECTION_PREFETCH)
        )

    @extend_schema(request=ResolveSerializer, responses={200: ObjectionSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request, *args, **kwargs):
        """The panel's written outcome. Upheld with changes: the changed results go on a fresh notice."""
        objection = self.get_object()
        serializer = ResolveSerializer(data=request.data, context=self.round_context(objection.round))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        resolved = services.resolve_objection(
            membership=self.membership,
            objection=objection,
            upheld=data["upheld"],
            outcome=data["outcome"],
            changes=changes_for_service(data["changes"]),
            override_reason=data["override_reason"],
        )
        self.recheck(objection.round)
        return Response(self.get_serializer(self.get_queryset().get(pk=resolved.pk)).data)
