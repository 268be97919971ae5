"""REST endpoints for the roster: villages, areas, households (members nested, read-only) and residents.

Every id that arrives in a body or a query parameter is looked up inside the township scope AND among the rows the
member may see (`households.selectors.*_visible_to`): an id of another township, or of a village that is not the
clerk's, reads "does not exist" (400) and nothing is written. Every write goes through `households.services`, which
checks the member's right itself (a refusal is a 403 through `core.api.exception_handler`).

Villages, areas and households cannot be deleted through the API (405): the points ledger will hang on them, so
they are kept; a household leaves an area by moving (`households/{id}/move/`). Residents are removed with a reason.
"""

import functools
from functools import cached_property

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TownshipScopedViewSet
from core.permissions import Action, is_read_only
from households.selectors import (
    areas_visible_to,
    households_visible_to,
    residents_visible_to,
    villages_visible_to,
)

from .. import services
from ..models import Area, Household, HouseholdMove, Participation, Resident, Village
from ..validators import mask_id_number, mask_mobile

# No DELETE on villages, areas and households: later the ledger points at them (see the module docstring).
NO_DELETE = ["get", "post", "put", "patch", "head", "options"]

# simple-history keeps a change reason in 100 characters; a longer one would fail in the database.
REASON_MAX_LENGTH = 100


def _empty(model) -> QuerySet:
    """An empty queryset made without the scoped manager, so it is safe at import time, outside any scope."""
    return QuerySet(model=model).none()


def _member_in(context: dict):
    """The membership the viewset entered the township with (None when building the schema)."""
    return getattr(context.get("view"), "membership", None)


def _member_of(request):
    return _member_in(getattr(request, "parser_context", None) or {})


def reveals_personal_numbers(membership) -> bool:
    """Full ID and mobile numbers for those who keep the roster (the office, the village's clerk); masked otherwise."""
    return membership is not None and not is_read_only(membership)


# Serializers ---------------------------------------------------------------------------------------------------


class VisiblePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id looked up inside the township scope and among the rows the member may see, nowhere else."""

    def __init__(self, *, visible, **kwargs):
        self.visible = visible
        super().__init__(**kwargs)

    def get_queryset(self):
        membership = _member_in(self.context)
        if membership is None:  # no member, no rows (schema generation builds serializers without a request)
            return self.queryset.none()
        return self.visible(membership)


class VillageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Village
        fields = ["id", "name", "code"]


class AreaSerializer(serializers.ModelSerializer):
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))

    class Meta:
        model = Area
        fields = ["id", "village", "name"]
        validators = []  # uniqueness is checked by the service, inside the township

    def validate(self, attrs):
        if self.instance is not None and "village" in attrs and attrs["village"] != self.instance.village:
            raise serializers.ValidationError(
                {"village": [_("An area cannot change village; create a new area.")]}
            )
        return attrs


# What a household's answer shows of its members (ResidentSerializer's fields), and nothing more is read for them.
MEMBER_COLUMNS = (
    "id",
    "household_id",
    "name",
    "is_head",
    "gender",
    "birth_year",
    "id_number",
    "mobile",
    "is_party_member",
)


class ResidentSerializer(serializers.ModelSerializer):
    """A member of a household. ID and mobile numbers are masked for read-only roles."""

    household = VisiblePrimaryKeyRelatedField(visible=households_visible_to, queryset=_empty(Household))

    class Meta:
        model = Resident
        fields = [
            "id",
            "household",
            "name",
            "is_head",
            "gender",
            "birth_year",
            "id_number",
            "mobile",
            "is_party_member",
        ]
        validators = []  # uniqueness is checked by the service, inside the township

    def validate(self, attrs):
        if (
            self.instance is not None
            and "household" in attrs
            and attrs["household"] != self.instance.household
        ):
            raise serializers.ValidationError(
                {"household": [_("A resident cannot change household; remove them here and add them there.")]}
            )
        return attrs

    @cached_property
    def reveals(self) -> bool:
        return reveals_personal_numbers(_member_in(self.context))  # once per list, not once per member

    def to_representation(self, instance):
        """Meta.fields read straight from the row: a list of 1,000 households nests 3,000 members, and DRF's
        field-by-field path was half the list's time (bench/list_1000.py). tests/households/test_api_speed.py holds
        it equal to DRF's own field-by-field answer."""
        reveals = self.reveals
        return {
            "id": instance.pk,
            "household": instance.household_id,
            "name": instance.name,
            "is_head": instance.is_head,
            "gender": instance.gender,
            "birth_year": instance.birth_year,
            "id_number": instance.id_number if reveals else mask_id_number(instance.id_number),
            "mobile": instance.mobile if reveals else mask_mobile(instance.mobile),
            "is_party_member": instance.is_party_member,
        }


class HeadSerializer(serializers.ModelSerializer):
    """The head of a new household, created with it."""

    class Meta:
        model = Resident
        fields = ["name", "gender", "birth_year", "id_number", "mobile", "is_party_member"]
        validators = []


class HouseholdSerializer(serializers.ModelSerializer):
    area = VisiblePrimaryKeyRelatedField(visible=areas_visible_to, queryset=_empty(Area))
    head_name = serializers.SerializerMethodField()
    members = ResidentSerializer(many=True, read_only=True, source="member_list")
    takes_part = serializers.BooleanField(read_only=True)
    head = HeadSerializer(
        write_only=True, required=False, help_text="Only when creating: the head of household."
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "number",
            "address",
            "village",
            "area",
            "participation",
            "participation_reason",
            "takes_part",
            "status",
            "ended_on",
            "merged_into",
            "head_name",
            "members",
            "head",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["village", "status", "ended_on", "merged_into", "created_at", "updated_at"]
        validators = []  # uniqueness is checked by the service, inside the township

    def to_representation(self, instance):
        """Meta.fields (readable ones) straight from the row, dates and times through their DRF fields: see
        ResidentSerializer.to_representation (held equal to DRF's own answer by tests/households/test_api_speed.py)."""
        if not hasattr(instance, "member_list"):  # a household just written, or not fetched by the viewset
            instance.member_list = list(instance.members.current())
        fields = _household_formats()
        members = self._members
        return {
            "id": instance.pk,
            "number": instance.number,
            "address": instance.address,
            "village": instance.village_id,
            "area": instance.area_id,
            "participation": instance.participation,
            "participation_reason": instance.participation_reason,
            "takes_part": instance.takes_part,
            "status": instance.status,
            "ended_on": None
            if instance.ended_on is None
            else fields["ended_on"].to_representation(instance.ended_on),
            "merged_into": instance.merged_into_id,
            "head_name": self.get_head_name(instance),
            "members": [members.to_representation(member) for member in instance.member_list],
            "created_at": fields["created_at"].to_representation(instance.created_at),
            "updated_at": fields["updated_at"].to_representation(instance.updated_at),
        }

    @cached_property
    def _members(self) -> ResidentSerializer:
        """The members' serializer, in this answer's context (who reads: masked or not); once per list."""
        return ResidentSerializer(context=self.context)

    def get_head_name(self, household) -> str:
        return next((member.name for member in household.member_list if member.is_head), "")

    def validate(self, attrs):
        if self.instance is None:
            return attrs
        if "area" in attrs and attrs["area"] != self.instance.area:
            raise serializers.ValidationError(
                {"area": [_("To change a household's area, use its move action.")]}
            )
        if "head" in attrs:
            raise serializers.ValidationError({"head": [_("Change members through the residents endpoint.")]})
        return attrs


@functools.cache
def _household_formats() -> dict:
    """DRF's fields that format a household's dates and times, built once (they read nothing of their serializer):
    building HouseholdSerializer's fields for each answer was a tenth of the list's time (issue 19)."""
    fields = HouseholdSerializer().fields
    return {name: fields[name] for name in ("ended_on", "created_at", "updated_at")}


class MoveSerializer(serializers.Serializer):
    to_area = VisiblePrimaryKeyRelatedField(visible=areas_visible_to, queryset=_empty(Area))
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class HouseholdMoveSerializer(serializers.ModelSerializer):
    class Meta:
        model = HouseholdMove
        fields = [
            "id",
            "household",
            "from_village",
            "from_area",
            "to_village",
            "to_area",
            "reason",
            "moved_at",
        ]
        read_only_fields = fields


class RemovalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


# Filters -------------------------------------------------------------------------------------------------------


def _visible(selector, model):
    """A filter's choices: the rows the member may see (an unseen id is an invalid choice, 400)."""

    def queryset(request):
        membership = _member_of(request)
        return selector(membership) if membership is not None else _empty(model)

    return queryset


class AreaFilter(filters.FilterSet):
    village = filters.ModelChoiceFilter(queryset=_visible(villages_visible_to, Village))

    class Meta:
        model = Area
        fields = ["village"]


class HouseholdFilter(filters.FilterSet):
    village = filters.ModelChoiceFilter(queryset=_visible(villages_visible_to, Village))
    area = filters.ModelChoiceFilter(queryset=_visible(areas_visible_to, Area))
    participation = filters.ChoiceFilter(choices=Participation.choices)

    class Meta:
        model = Household
        fields = ["village", "area", "participation"]


class ResidentFilter(filters.FilterSet):
    household = filters.ModelChoiceFilter(queryset=_visible(households_visible_to, Household))

    class Meta:
        model = Resident
        fields = ["household"]


# Viewsets ------------------------------------------------------------------------------------------------------


class VillageViewSet(TownshipScopedViewSet):
    """Villages. Members read the villages they may see; only the township office writes. No DELETE (405)."""

    queryset = _empty(Village)
    serializer_class = VillageSerializer
    write_action = Action.MANAGE_TOWNSHIP
    http_method_names = NO_DELETE
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code"]

    def scoped_queryset(self):
        return villages_visible_to(self.membership)

    def perform_create(self, serializer):
        village = services.create_village(membership=self.membership, **serializer.validated_data)
        serializer.instance = self.recheck(village)

    def perform_update(self, serializer):
        village = serializer.instance
        fields = {"name": village.name, "code": village.code, **serializer.validated_data}
        serializer.instance = self.recheck(
            services.update_village(membership=self.membership, village=village, **fields)
        )


class AreaViewSet(TownshipScopedViewSet):
    """Areas (片区/村民小组) of the villages the member may see. No DELETE (405)."""

    queryset = _empty(Area)
    serializer_class = AreaSerializer
    filterset_class = AreaFilter
    http_method_names = NO_DELETE
    search_fields = ["name"]
    ordering_fields = ["name"]

    def scoped_queryset(self):
        return areas_visible_to(self.membership)

    def perform_create(self, serializer):
        area = services.create_area(membership=self.membership, **serializer.validated_data)
        serializer.instance = self.recheck(area)

    def perform_update(self, serializer):
        area = serializer.instance
        name = serializer.validated_data.get("name", area.name)
        serializer.instance = self.recheck(
            services.update_area(membership=self.membership, area=area, name=name)
        )


class HouseholdViewSet(TownshipScopedViewSet):
    """Households with their members (read-only here; change members through `residents/`). No DELETE (405)."""

    queryset = _empty(Household)
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter
    http_method_names = NO_DELETE
    search_fields = ["number", "address", "members__name"]
    ordering_fields = ["number", "address", "created_at", "updated_at"]

    def scoped_queryset(self):
        return (
            households_visible_to(self.membership)
            # Into a plain list: Django makes no queryset per household for it (about a fifth of a page's time);
            # only the columns the answer shows (a page of 1,000 households builds 3,000 members).
            .prefetch_related(
                Prefetch(
                    "members",
                    queryset=Resident.objects.current().only(*MEMBER_COLUMNS),
                    to_attr="member_list",
                )
            )
        )

    def perform_create(self, serializer):
        household = services.create_household(membership=self.membership, **serializer.validated_data)
        serializer.instance = self.recheck(household)

    def perform_update(self, serializer):
        fields = {key: value for key, value in serializer.validated_data.items() if key != "area"}
        household = services.update_household(
            membership=self.membership, household=serializer.instance, **fields
        )
        serializer.instance = self.recheck(household)

    @extend_schema(request=MoveSerializer, responses={201: HouseholdMoveSerializer})
    @action(detail=True, methods=["post"], serializer_class=MoveSerializer)
    def move(self, request, *args, **kwargs):
        """Move the household to another area of this township (its history goes with it); the move is recorded."""
        household = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        move = services.move_household(
            membership=self.membership, household=household, **serializer.validated_data
        )
        self.recheck(move.household)
        return Response(HouseholdMoveSerializer(move).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    destroy=extend_schema(
        parameters=[
            OpenApiParameter(
                "reason",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="Why the resident is removed (or send it as `reason` in the body). Required.",
            )
        ]
    )
)
class ResidentViewSet(TownshipScopedViewSet):
    """Current members of the households the member may see. Removing one needs a reason (`?reason=` or in the
    body): the member leaves the household today and is kept as a former member (nothing is deleted)."""

    queryset = _empty(Resident)
    serializer_class = ResidentSerializer
    filterset_class = ResidentFilter
    search_fields = ["name"]
    ordering_fields = ["name", "birth_year"]

    def scoped_queryset(self):
        return residents_visible_to(self.membership).current().select_related("household")

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        household = fields.pop("household")
        resident = services.add_resident(membership=self.membership, household=household, **fields)
        serializer.instance = self.recheck(resident)

    def perform_update(self, serializer):
        fields = {key: value for key, value in serializer.validated_data.items() if key != "household"}
        resident = services.update_resident(
            membership=self.membership, resident=serializer.instance, **fields
        )
        serializer.instance = self.recheck(resident)

    def destroy(self, request, *args, **kwargs):
        resident = self.get_object()
        body = request.data if isinstance(request.data, dict) else {}
        reason = request.query_params.get("reason", body.get("reason", ""))
        removal = RemovalSerializer(data={"reason": reason})
        removal.is_valid(raise_exception=True)
        services.remove_resident(
            membership=self.membership, resident=resident, reason=removal.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
