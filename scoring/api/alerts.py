"""REST endpoints for threshold alerts (the Nth hit of an item in a period) of the households the member may see."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from core.api import FilterBackend, TownshipScopedViewSet
from core.permissions import Action, restrict_to_visible
from households.api.roster import _empty, _visible
from households.models import Household
from households.selectors import households_visible_to

from .. import services
from ..models import ThresholdAlert
from .ledger import person


class AlertSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True)
    consequence = serializers.CharField(source="item.threshold_consequence", read_only=True)
    acknowledged_by = serializers.SerializerMethodField()

    class Meta:
        model = ThresholdAlert
        fields = [
            "id",
            "household",
            "item",
            "item_name",
            "consequence",
            "period",
            "hits",
            "entry",
            "created_at",
            "acknowledged_by",
            "acknowledged_at",
        ]
        read_only_fields = fields

    def get_acknowledged_by(self, alert) -> str:
        return person(alert.acknowledged_by)


class AlertFilter(filters.FilterSet):
    household = filters.ModelChoiceFilter(queryset=_visible(households_visible_to, Household))
    acknowledged = filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ThresholdAlert
        fields = ["household", "acknowledged"]


class AlertViewSet(TownshipScopedViewSet):
    """Threshold alerts (the Nth hit of an item in a period, e.g. a week's limit) for the households the member
    may see. A clerk acknowledges them once dealt with."""

    queryset = _empty(ThresholdAlert)
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    filter_backends = [FilterBackend, OrderingFilter]
    ordering_fields = ["created_at", "period"]
    write_action = Action.RECORD_ENTRY
    routed_actions = {"list", "retrieve"}

    def scoped_queryset(self):
        return restrict_to_visible(
            self.membership,
            ThresholdAlert.objects.select_related("item", "acknowledged_by"),
            village_field="household__village",
        )

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, *args, **kwargs):
        """Mark the alert as dealt with (acknowledging twice keeps the first acknowledgement)."""
        alert = services.acknowledge_alert(membership=self.membership, alert=self.get_object())
        self.recheck(alert.household)
        return Response(AlertSerializer(alert, context=self.get_serializer_context()).data)
