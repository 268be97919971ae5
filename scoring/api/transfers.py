"""Transfers of points between two accounts of one township (issue 3 item 9): two entries in one transaction,
counting once the village of each side has approved its side."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TownshipScopedViewSet
from core.permissions import Action, can
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty
from households.models import Household
from households.selectors import households_visible_to

from .. import services
from ..models import Category, Scheme, Transfer
from .schemes import in_township


class TransferSerializer(serializers.ModelSerializer):
    from_household = serializers.IntegerField(source="debit.household_id", read_only=True)
    to_household = serializers.IntegerField(source="credit.household_id", read_only=True)
    points = serializers.DecimalField(source="credit.points", max_digits=8, decimal_places=2, read_only=True)
    reason = serializers.CharField(source="credit.reason", read_only=True)

    class Meta:
        model = Transfer
        fields = ["id", "scheme", "from_household", "to_household", "points", "reason", "state", "created_at"]


class TransferCreateSerializer(serializers.Serializer):
    scheme = VisiblePrimaryKeyRelatedField(visible=in_township(Scheme), queryset=_empty(Scheme))
    category = VisiblePrimaryKeyRelatedField(visible=in_township(Category), queryset=_empty(Category))
    from_household = VisiblePrimaryKeyRelatedField(visible=households_visible_to, queryset=_empty(Household))
    # The receiving account may live in any village of the township.
    to_household = VisiblePrimaryKeyRelatedField(visible=in_township(Household), queryset=_empty(Household))
    points = serializers.DecimalField(max_digits=8, decimal_places=2)
    reason = serializers.CharField(max_length=300)


class TransferViewSet(TownshipScopedViewSet):
    """Create a transfer (clerks of the giving village, the township office) and approve one side of it."""

    queryset = _empty(Transfer)
    serializer_class = TransferSerializer
    write_action = Action.RECORD_ENTRY
    routed_actions = {"list", "retrieve", "create"}

    def scoped_queryset(self):
        visible = households_visible_to(self.membership)
        return (
            (
                Transfer.objects.filter(debit__household__in=visible)
                | Transfer.objects.filter(credit__household__in=visible)
            )
            .select_related("debit", "credit")
            .order_by("-created_at")
            .distinct()
        )

    @extend_schema(request=TransferCreateSerializer, responses={201: TransferSerializer})
    def create(self, request, *args, **kwargs):
        data = TransferCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        transfer = services.transfer_points(
            membership=self.membership,
            scheme=values["scheme"],
            from_household=values["from_household"],
            to_household=values["to_household"],
            category=values["category"],
            points=values["points"],
            reason=values["reason"],
        )
        return Response(TransferSerializer(transfer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TransferSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        """Approve the side(s) of the transfer whose village the member keeps (the township office: both)."""
        transfer = self.get_object()
        sides = [
            side
            for side, entry in (("from", transfer.debit), ("to", transfer.credit))
            if can(self.membership, Action.RECORD_ENTRY, entry.household)
            and not getattr(transfer, f"{side}_village_approved_by_id")
        ]
        if not sides:
            raise exceptions.PermissionDenied(
                _("You keep neither village of this transfer, or it is already approved.")
            )
        for side in sides:
            transfer = services.approve_transfer_side(
                membership=self.membership, transfer=transfer, side=side
            )
        return Response(TransferSerializer(transfer).data)
