"""REST endpoints for roles (seed 2: a student made a class officer, with their post): `role-assignments/` (who
holds which role now; POST sets one, `role-assignments/{id}/end/` ends it) and `role-changes/` (the history: who
set or ended which role, when, why, from which day). Filter by `household`, `village` or `scheme`. Setting and
ending is the class's head teacher's or the school's office's (ASSIGN_ROLE, checked by the services)."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TownshipScopedViewSet
from core.permissions import Action
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _visible
from households.models import Household, Village
from households.selectors import households_visible_to, villages_visible_to

from .. import role_selectors, services
from ..models import RoleAssignment, RoleChange, RoleRule, Scheme
from ..services.roles import REASON_MAX, TITLE_MAX
from .schemes import in_township


class RoleAssignmentSerializer(serializers.ModelSerializer):
    household = VisiblePrimaryKeyRelatedField(visible=households_visible_to, queryset=_empty(Household))
    role = VisiblePrimaryKeyRelatedField(visible=in_township(RoleRule), queryset=_empty(RoleRule))
    title = serializers.CharField(max_length=TITLE_MAX, required=False, allow_blank=True, default="")
    reason = serializers.CharField(
        max_length=REASON_MAX, required=False, allow_blank=True, default="", write_only=True
    )

    class Meta:
        model = RoleAssignment
        fields = ["id", "household", "scheme", "role", "title", "since", "reason"]
        read_only_fields = ["scheme", "since"]
        validators = []  # one role per household and scheme: the service replaces the current one


class EndRoleSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True, default="")


class RoleChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", read_only=True)

    class Meta:
        model = RoleChange
        fields = [
            "id",
            "household",
            "scheme",
            "kind",
            "role",
            "title",
            "reason",
            "effective_on",
            "changed_by",
            "changed_at",
        ]
        read_only_fields = fields


class RoleFilter(filters.FilterSet):
    household = filters.ModelChoiceFilter(queryset=_visible(households_visible_to, Household))
    village = filters.ModelChoiceFilter(
        field_name="household__village", queryset=_visible(villages_visible_to, Village)
    )
    scheme = filters.ModelChoiceFilter(queryset=_visible(in_township(Scheme), Scheme))


class RoleAssignmentFilter(RoleFilter):
    class Meta:
        model = RoleAssignment
        fields = ["household", "village", "scheme"]


class RoleChangeFilter(RoleFilter):
    class Meta:
        model = RoleChange
        fields = ["household", "village", "scheme"]


class RoleAssignmentViewSet(TownshipScopedViewSet):
    """Who holds which role now (a class's officers and their posts). POST sets a household's role in the role's
    scheme (replacing the one it held there); it counts for the entries recorded from today. No PUT or DELETE:
    end a role with `end/`, so the history keeps why."""

    queryset = _empty(RoleAssignment)
    serializer_class = RoleAssignmentSerializer
    filterset_class = RoleAssignmentFilter
    write_action = Action.ASSIGN_ROLE
    routed_actions = {"list", "retrieve", "create"}
    ordering_fields = ["since", "household__number"]

    def scoped_queryset(self):
        return role_selectors.role_assignments_visible_to(self.membership).order_by("household__number", "pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        assignment = services.assign_role(
            membership=self.membership,
            household=data["household"],
            role=data["role"],
            title=data["title"],
            reason=data["reason"],
        )
        serializer.instance = self.recheck(assignment)

    @extend_schema(request=EndRoleSerializer, responses={200: RoleChangeSerializer})
    @action(detail=True, methods=["post"], serializer_class=EndRoleSerializer, filter_backends=[])
    def end(self, request, *args, **kwargs):
        """End the role: from today the household counts by the scheme's defaults. Answers the history line."""
        assignment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.end_role(
            membership=self.membership, assignment=assignment, reason=serializer.validated_data["reason"]
        )
        data = RoleChangeSerializer(self.recheck(change), context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_200_OK)


class RoleChangeViewSet(TownshipScopedViewSet):
    """The history of roles: every role set or ended, newest first. Read only."""

    queryset = _empty(RoleChange)
    serializer_class = RoleChangeSerializer
    filterset_class = RoleChangeFilter
    routed_actions = {"list", "retrieve"}
    http_method_names = ["get", "head", "options"]

    def scoped_queryset(self):
        return role_selectors.role_changes_visible_to(self.membership)
