"""Incentive policies under /api/v1/t/<township_slug>/incentive-policies/: every member reads the township's
policies; the township office creates and changes them (through publicity.services) and reads who qualifies in a
year (`{id}/qualifying/?year=`, paginated, ID and mobile numbers masked). A policy is never deleted (405): it is
stopped (`active: false`)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import Action, check
from households.api.roster import _empty
from households.selectors import villages_visible_to
from rewards.api.common import KEPT_SCHEMA, PersonField, RewardsViewSet

from .. import services
from ..models import IncentivePolicy
from ..policies import qualifying_households

WRITABLE = ["name", "partner", "benefit", "description", "min_stars", "min_total", "party_members_only"]


class PolicySerializer(serializers.ModelSerializer):
    """An incentive policy: its partner and benefit, and who qualifies (stars, least total, party members)."""

    created_by = PersonField()

    class Meta:
        model = IncentivePolicy
        fields = ["id", *WRITABLE, "active", "key", "created_by", "created_at"]
        read_only_fields = ["key", "created_at"]
        validators: list = []  # the service says when a name is taken (with its field)


class QualifyingQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=9999, help_text="The year of the star rating.")
    village = serializers.IntegerField(min_value=1, required=False, help_text="Only this village.")


class QualifyingRowSerializer(serializers.Serializer):
    village = serializers.CharField()
    number = serializers.CharField()
    head = serializers.CharField()
    id_number = serializers.CharField(help_text="Masked: region code and the last four characters.")
    mobile = serializers.CharField(help_text="Masked: 138****0000.")
    stars = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    rank = serializers.CharField(help_text="Rank in the village / households ranked.")


@extend_schema_view(destroy=KEPT_SCHEMA)
class IncentivePolicyViewSet(RewardsViewSet):
    """激励政策: the township's incentive policies, active first. `?search=` finds name, partner or benefit."""

    queryset = _empty(IncentivePolicy)
    serializer_class = PolicySerializer
    search_fields = ["name", "partner", "benefit"]
    ordering_fields = ["name", "created_at"]
    kept_detail = _("A policy is never deleted: stop it (active: false); its list can still be printed.")

    def scoped_queryset(self):
        return IncentivePolicy.objects.filter(township=self.township).select_related("created_by")

    def _answer(self, policy, code=status.HTTP_200_OK):
        return Response(PolicySerializer(policy, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = PolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k in WRITABLE}
        policy = services.create_policy(membership=self.membership, **fields)
        return self._answer(policy, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        policy = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = PolicySerializer(policy, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k in [*WRITABLE, "active"]}
        if fields.get("active") is False and len(fields) == 1:
            policy = services.deactivate_policy(membership=self.membership, policy=policy)
        else:
            policy = services.update_policy(membership=self.membership, policy=policy, **fields)
        return self._answer(policy)

    @extend_schema(
        parameters=[QualifyingQuerySerializer], responses={200: QualifyingRowSerializer(many=True)}
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def qualifying(self, request, *args, **kwargs):
        """Who qualifies for the policy in the year, in the villages the member sees (the township office)."""
        policy = self.get_object()
        check(self.membership, Action.MANAGE_REWARDS)
        query = QualifyingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        village_ids = list(villages_visible_to(self.membership).values_list("pk", flat=True))
        if "village" in query.validated_data:
            village_ids = [v for v in village_ids if v == query.validated_data["village"]]
        rows = qualifying_households(policy, query.validated_data["year"], village_ids)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(QualifyingRowSerializer(page, many=True).data)
