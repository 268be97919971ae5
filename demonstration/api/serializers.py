"""What the demonstration endpoints read and take: calls, applications with their figures and trail, moves."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from review.api.common import PersonField
from review.models import MIN_NOTICE_DAYS

from ..models import Application, ApplicationMove, Call, CallMove, CallState
from ..moves import (
    APPLICATION_MOVE_LABELS,
    APPLICATION_TRAIL_LABELS,
    CALL_MOVE_LABELS,
    CALL_TRAIL_LABELS,
    REGION_MOVES,
    TOWNSHIP_MOVES,
)

MAX_AMOUNT = Decimal("9999999999.99")


class CallMoveSerializer(serializers.ModelSerializer):
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)
    actor = PersonField()
    move_label = serializers.SerializerMethodField()

    class Meta:
        model = CallMove
        fields = ["id", "move", "move_label", "from_state", "to_state", "actor", "at", "comment"]
        read_only_fields = fields

    def get_move_label(self, move) -> str:
        return str(CALL_TRAIL_LABELS.get(move.move, move.move))


class CallSerializer(serializers.ModelSerializer):
    """A call with its region, conditions, dates and trail."""

    region_name = serializers.CharField(source="region.name", read_only=True)
    region_kind = serializers.CharField(source="region.kind", read_only=True, help_text="county or city.")
    state = serializers.CharField(read_only=True)
    created_by = PersonField()
    trail = CallMoveSerializer(source="moves", many=True, read_only=True)

    class Meta:
        model = Call
        fields = [
            "id",
            "region",
            "region_name",
            "region_kind",
            "title",
            "year",
            "budget",
            "villages_wanted",
            "preselect_limit",
            "min_shop_share",
            "round_grace_days",
            "notice_days",
            "conditions",
            "applications_open_on",
            "applications_close_on",
            "preselection_ends_on",
            "selection_ends_on",
            "state",
            "created_by",
            "created_at",
            "result_published_at",
            "trail",
        ]
        read_only_fields = fields


class CallCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="The year of the figures.")
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    villages_wanted = serializers.IntegerField(min_value=1, max_value=1000)
    preselect_limit = serializers.IntegerField(min_value=1, max_value=100, default=3)
    min_shop_share = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        default=Decimal("30"),
    )
    round_grace_days = serializers.IntegerField(min_value=0, max_value=365, default=15)
    notice_days = serializers.IntegerField(
        min_value=MIN_NOTICE_DAYS,
        max_value=60,
        default=MIN_NOTICE_DAYS,
        help_text="Whole calendar days each notice of the call runs (the township's and the result's).",
    )
    conditions = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    applications_open_on = serializers.DateField()
    applications_close_on = serializers.DateField()
    preselection_ends_on = serializers.DateField()
    selection_ends_on = serializers.DateField()


class CallMoveRequestSerializer(serializers.Serializer):
    move = serializers.ChoiceField(choices=[(name, label) for name, label in CALL_MOVE_LABELS.items()])
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApplicationMoveSerializer(serializers.ModelSerializer):
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)
    actor = PersonField()
    move_label = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationMove
        fields = [
            "id",
            "move",
            "move_label",
            "from_state",
            "to_state",
            "actor",
            "at",
            "comment",
            "score",
            "amount",
        ]
        read_only_fields = fields

    def get_move_label(self, move) -> str:
        return str(APPLICATION_TRAIL_LABELS.get(move.move, move.move))


class ApplicationSerializer(serializers.ModelSerializer):
    """An application with the figures it was made with (a snapshot) and its trail."""

    call_title = serializers.CharField(source="call.title", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    township_name = serializers.CharField(source="township.name", read_only=True)
    state = serializers.CharField(read_only=True)
    participation_share = serializers.DecimalField(
        max_digits=4, decimal_places=1, read_only=True, help_text="Households taking part, % of the eligible."
    )
    applied_by = PersonField()
    trail = ApplicationMoveSerializer(source="moves", many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "call_title",
            "village",
            "village_name",
            "township_name",
            "state",
            "statement",
            "form_name",
            "form_content_type",
            "form_size",
            "figures_at",
            "households_eligible",
            "households_taking_part",
            "participation_share",
            "shop_household_share",
            "shop_resident_share",
            "rounds_counted",
            "rounds_on_time",
            "objections_total",
            "objections_resolved",
            "score",
            "award",
            "applied_by",
            "applied_at",
            "trail",
        ]
        read_only_fields = fields


class ApplicationMoveRequestSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to refuse or withdraw.",
    )
    score = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
        default=None,
        help_text="For score, select and not_select: 0 to 100.",
    )
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_AMOUNT,
        required=False,
        allow_null=True,
        default=None,
        help_text="For award: yuan.",
    )


def move_request(moves: list[str]):
    class Request(ApplicationMoveRequestSerializer):
        move = serializers.ChoiceField(choices=[(name, APPLICATION_MOVE_LABELS[name]) for name in moves])

    return Request


class TownshipMoveSerializer(move_request(TOWNSHIP_MOVES)):
    pass


class RegionMoveSerializer(move_request(REGION_MOVES)):
    pass


def visible_call_states():
    """Calls in draft are the organiser's: the townships see them once opened."""
    return [state for state in CallState.values if state != CallState.DRAFT]


NOT_OPEN = _("The call does not take applications.")
