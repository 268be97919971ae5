"""REST endpoints for units (单位) under /api/v1/t/<township_slug>/units/.

Like the roster's endpoints (`roster.py`): ids in bodies and query parameters are looked up among what the member
may see, every write goes through `households.units.services` (which checks the member's right), and a unit is
never deleted (405): it may carry points, so it is archived (`units/{id}/archive/`) and can be restored.
"""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TownshipScopedViewSet
from households.selectors import villages_visible_to

from ..models import Unit, UnitKind, Village
from ..units import services
from ..units.selectors import units_visible_to
from ..validators import mask_mobile
from .roster import (
    REASON_MAX_LENGTH,
    VisiblePrimaryKeyRelatedField,
    _empty,
    _member_in,
    _visible,
    reveals_personal_numbers,
)


class UnitSerializer(serializers.ModelSerializer):
    """A unit. The contact's mobile number is masked for read-only roles."""

    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    is_archived = serializers.BooleanField(read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "village",
            "name",
            "kind",
            "contact_name",
            "contact_mobile",
            "address",
            "note",
            "is_archived",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["archived_at", "created_at", "updated_at"]
        validators = []  # uniqueness is checked by the service, with a message that says what to do

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not reveals_personal_numbers(_member_in(self.context)):
            data["contact_mobile"] = mask_mobile(instance.contact_mobile)
        return data


class UnitArchiveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, help_text="Why the unit is archived. Required."
    )


class UnitRestoreSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default="")


class UnitFilter(filters.FilterSet):
    village = filters.ModelChoiceFilter(queryset=_visible(villages_visible_to, Village))
    kind = filters.ChoiceFilter(choices=UnitKind.choices)
    archived = filters.BooleanFilter(
        field_name="archived_at", lookup_expr="isnull", exclude=True, label=_("Archived")
    )

    class Meta:
        model = Unit
        fields = ["village", "kind", "archived"]


class UnitViewSet(TownshipScopedViewSet):
    """Units of the villages the member may see, archived ones included (`?archived=false` for the active ones).
    No PUT and no DELETE (405): change fields with PATCH, take a unit off the roster with `archive`."""

    queryset = _empty(Unit)
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    search_fields = ["name", "contact_name", "address"]
    ordering_fields = ["name", "created_at", "updated_at"]

    def scoped_queryset(self):
        return units_visible_to(self.membership).order_by("village__sort_key", "name", "pk")

    def perform_create(self, serializer):
        unit = services.create_unit(membership=self.membership, **serializer.validated_data)
        serializer.instance = self.recheck(unit)

    def perform_update(self, serializer):
        unit = services.update_unit(
            membership=self.membership, unit=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.recheck(unit)

    @extend_schema(request=UnitArchiveSerializer, responses={200: UnitSerializer})
    @action(detail=True, methods=["post"], serializer_class=UnitArchiveSerializer)
    def archive(self, request, *args, **kwargs):
        """Archive the unit (with a reason, kept in its history). 400 `illegal_state` if it is archived already."""
        unit = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = services.archive_unit(membership=self.membership, unit=unit, **serializer.validated_data)
        return Response(UnitSerializer(self.recheck(unit), context=self.get_serializer_context()).data)

    @extend_schema(request=UnitRestoreSerializer, responses={200: UnitSerializer})
    @action(detail=True, methods=["post"], serializer_class=UnitRestoreSerializer)
    def restore(self, request, *args, **kwargs):
        """Put an archived unit back on the roster. 400 `illegal_state` if it is not archived."""
        unit = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = services.restore_unit(membership=self.membership, unit=unit, **serializer.validated_data)
        return Response(UnitSerializer(self.recheck(unit), context=self.get_serializer_context()).data)
