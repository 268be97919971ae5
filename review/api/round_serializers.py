"""What a round shows and takes in the API: the round with its counts, notice dates and trail, the bodies of its
writes (create, batch, move, assignments), the filter of the list and the queries that count in SQL."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django_filters import rest_framework as filters
from rest_framework import serializers

from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _visible
from households.models import Area, Household, Village
from households.selectors import areas_visible_to, villages_visible_to
from scoring.api.schemes import in_township
from scoring.models import EntryState, Scheme

from .. import selectors, services
from ..models import (
    MIN_NOTICE_DAYS,
    ROUND_KINDS_TO_OPEN,
    Declaration,
    DeclarationState,
    Inspection,
    Objection,
    ObjectionState,
    PanelAssignment,
    ReviewPanel,
    ReviewRound,
    RoundEntry,
    RoundKind,
    RoundMove,
    RoundState,
)
from .common import PersonField, visible_panels

MAX_NOTICE_DAYS = 30


class RoundMoveSerializer(serializers.ModelSerializer):
    # Plain strings: the same choice set as the round's `state`, not more enums of the schema.
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)
    actor = PersonField()
    move_label = serializers.SerializerMethodField()

    class Meta:
        model = RoundMove
        fields = ["id", "move", "move_label", "from_state", "to_state", "actor", "at", "comment"]
        read_only_fields = fields

    def get_move_label(self, move) -> str:
        return str(services.TRAIL_LABELS.get(move.move, move.move))


class AssignmentSerializer(serializers.ModelSerializer):
    panel_name = serializers.CharField(source="panel.name", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = PanelAssignment
        fields = ["id", "panel", "panel_name", "area", "area_name"]
        read_only_fields = fields


class RoundSerializer(serializers.ModelSerializer):
    """The round with its counts, notice dates and full trail (lists and detail alike: supervisors read it)."""

    village_name = serializers.CharField(source="village.name", read_only=True)
    kind = serializers.CharField(read_only=True, help_text="quarterly or annual.")
    created_by = PersonField()
    notice_running = serializers.SerializerMethodField(help_text="Objections are taken while it runs.")
    notice_first_day = serializers.DateField(
        read_only=True, allow_null=True, help_text="The day the notice was posted (the township's time zone)."
    )
    notice_last_day = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="Its last whole day: the notice ends at the midnight after it (the township's time zone).",
    )
    households = serializers.IntegerField(read_only=True, help_text="Households of the village taking part.")
    inspected = serializers.IntegerField(read_only=True, help_text="Households inspected in this round.")
    proposed = serializers.IntegerField(read_only=True, help_text="Proposals waiting for approval.")
    approved = serializers.IntegerField(read_only=True, help_text="Proposals approved by the township.")
    withdrawn = serializers.IntegerField(read_only=True, help_text="Proposals withdrawn or changed.")
    declarations_pending = serializers.IntegerField(read_only=True)
    objections_open = serializers.IntegerField(read_only=True)
    possible_moves = serializers.SerializerMethodField(
        help_text="The moves the round's state allows (the member's role and the preconditions still apply)."
    )
    assignments = AssignmentSerializer(many=True, read_only=True)
    trail = RoundMoveSerializer(source="moves", many=True, read_only=True)

    class Meta:
        model = ReviewRound
        fields = [
            "id",
            "village",
            "village_name",
            "scheme",
            "kind",
            "period",
            "state",
            "notice_days",
            "notice_number",
            "notice_opened_at",
            "notice_ends_at",
            "notice_first_day",
            "notice_last_day",
            "notice_closed_at",
            "notice_running",
            "created_by",
            "created_at",
            "approved_at",
            "households",
            "inspected",
            "proposed",
            "approved",
            "withdrawn",
            "declarations_pending",
            "objections_open",
            "possible_moves",
            "assignments",
            "trail",
        ]
        read_only_fields = fields

    def get_notice_running(self, round_) -> bool:
        return selectors.notice_is_running(round_)

    def get_possible_moves(self, round_) -> list[str]:
        return services.possible_moves(round_)


class RoundCreateSerializer(serializers.Serializer):
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    scheme = VisiblePrimaryKeyRelatedField(visible=in_township(Scheme), queryset=_empty(Scheme))
    kind = serializers.ChoiceField(choices=ROUND_KINDS_TO_OPEN)
    period = serializers.CharField(max_length=10, help_text="2026-Q1 for a quarter, 2026 for the year.")
    notice_days = serializers.IntegerField(
        min_value=MIN_NOTICE_DAYS,
        max_value=MAX_NOTICE_DAYS,
        default=MIN_NOTICE_DAYS,
        help_text="Whole calendar days after the day the notice is posted (at least three; a township may lengthen "
        "it). The notice ends at midnight after its last day, in the township's time zone.",
        error_messages={"min_value": services.NOTICE_TOO_SHORT},
    )


class BatchCreateSerializer(serializers.Serializer):
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    scheme = VisiblePrimaryKeyRelatedField(visible=in_township(Scheme), queryset=_empty(Scheme))
    notice_days = serializers.IntegerField(
        min_value=MIN_NOTICE_DAYS, max_value=MAX_NOTICE_DAYS, default=MIN_NOTICE_DAYS
    )


class MoveRoundSerializer(serializers.Serializer):
    move = serializers.ChoiceField(choices=[(name, label) for name, label in services.MOVE_LABELS.items()])
    comment = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Required to return a round."
    )


class RotationSerializer(serializers.Serializer):
    panel = serializers.IntegerField(source="panel.pk")
    panel_name = serializers.CharField(source="panel.name")
    area = serializers.IntegerField(source="area.pk")
    area_name = serializers.CharField(source="area.name")


class AssignSerializer(serializers.Serializer):
    panel = VisiblePrimaryKeyRelatedField(visible=visible_panels, queryset=_empty(ReviewPanel))
    area = VisiblePrimaryKeyRelatedField(visible=areas_visible_to, queryset=_empty(Area))


class ProgressSerializer(serializers.Serializer):
    area = serializers.IntegerField(source="area_id")
    area_name = serializers.CharField(source="area")
    inspected = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Households of the area taking part.")


# Filters and queries -------------------------------------------------------------------------------------------


class RoundFilter(filters.FilterSet):
    village = filters.ModelChoiceFilter(queryset=_visible(villages_visible_to, Village))
    scheme = filters.ModelChoiceFilter(queryset=_visible(in_township(Scheme), Scheme))
    kind = filters.ChoiceFilter(choices=RoundKind.choices)
    state = filters.ChoiceFilter(choices=RoundState.choices)
    period = filters.CharFilter(max_length=10)

    class Meta:
        model = ReviewRound
        fields = ["village", "scheme", "kind", "state", "period"]


def _count(rows, link: str = "round", outer: str = "pk", **where):
    """A correlated COUNT per round (no join that would multiply the rows of the other counts)."""
    counted = rows.filter(**{link: OuterRef(outer)}, **where).order_by().values(link)
    return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


def with_counts(rounds):
    return rounds.annotate(
        households=_count(Household.objects.taking_part(), link="village", outer="village"),
        inspected=_count(Inspection.objects.all()),
        proposed=_count(RoundEntry.objects.all(), entry__state=EntryState.PROPOSED),
        approved=_count(RoundEntry.objects.all(), entry__state=EntryState.APPROVED),
        withdrawn=_count(RoundEntry.objects.all(), entry__state=EntryState.WITHDRAWN),
        declarations_pending=_count(Declaration.objects.all(), state=DeclarationState.PENDING),
        objections_open=_count(Objection.objects.all(), state=ObjectionState.OPEN),
    )


def described(rounds):
    """Everything RoundSerializer shows, in a fixed number of queries whatever the number of rounds."""
    return (
        with_counts(rounds)
        .select_related("village", "created_by", "township")
        .prefetch_related(
            Prefetch("moves", queryset=RoundMove.objects.select_related("actor").order_by("at", "id")),
            Prefetch(
                "assignments",
                queryset=PanelAssignment.objects.select_related("panel", "area").order_by(
                    "area__sort_key", "id"
                ),
            ),
        )
    )
