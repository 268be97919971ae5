"""Claims outside rounds (积分申报, issue 14): `POST claims/` records one through `scoring.services.record_claim`
(a grid worker, the clerk, the township office); the list (`?search=` by household number, cause, declarer or
item) and the detail with the trail of its steps; `claims/{id}/check/` (the first check) and `claims/{id}/false/`
(found false: withdrawn or reversed, and a penalty of twice its points through the next notice batch). The claim's
points count like every direct entry: on the village's notice batch (`rounds/batch/`), approved by the township.
Nothing is deleted (405)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import Action, restrict_to_visible
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty
from households.models import Household
from households.selectors import households_visible_to
from scoring import services as scoring
from scoring.api.ledger import (
    MAX_EVIDENCE_FILES,
    EntrySerializer,
    EvidenceFileField,
    ReasonSerializer,
    person,
)
from scoring.models import Account, ClaimChannel, Entry

from ..selectors import claim_trail, claims_visible_to
from ..services import TRAIL_LABELS
from .common import KEPT_SCHEMA, ItemField, ReviewViewSet


class ClaimSerializer(serializers.ModelSerializer):
    """A claim: its entry (points, state) and what the grid worker collected."""

    household_number = serializers.SerializerMethodField(
        help_text="Empty for a villager's or a unit's account."
    )
    account_kind = serializers.CharField(source="account.kind", read_only=True)
    holder = serializers.CharField(
        read_only=True, help_text="The household's number, the villager's or unit's name."
    )
    state = serializers.CharField(read_only=True, help_text="proposed, approved or withdrawn.")
    channel = serializers.CharField(source="claim.channel", read_only=True)
    declarer_name = serializers.CharField(source="claim.declarer_name", read_only=True)
    declarer_relation = serializers.CharField(source="claim.declarer_relation", read_only=True)
    happened_at = serializers.TimeField(source="claim.happened_at", read_only=True, allow_null=True)
    place = serializers.CharField(source="claim.place", read_only=True)
    cause = serializers.CharField(source="claim.cause", read_only=True)
    checked_by = serializers.SerializerMethodField()
    checked_at = serializers.DateTimeField(source="claim.checked_at", read_only=True, allow_null=True)
    recorded_by = serializers.SerializerMethodField()
    batch = serializers.SerializerMethodField(
        help_text="The notice batch (round id) it was posted on, if any."
    )

    class Meta:
        model = Entry
        fields = [
            "id",
            "account",
            "account_kind",
            "holder",
            "household",
            "household_number",
            "item",
            "item_name",
            "points",
            "occurred_on",
            "state",
            "channel",
            "declarer_name",
            "declarer_relation",
            "happened_at",
            "place",
            "cause",
            "checked_by",
            "checked_at",
            "recorded_by",
            "recorded_at",
            "batch",
        ]
        read_only_fields = fields

    def get_household_number(self, entry) -> str:
        return entry.household.number if entry.household_id else ""

    def get_checked_by(self, entry) -> str:
        return person(entry.claim.checked_by)

    def get_recorded_by(self, entry) -> str:
        return person(entry.recorded_by)

    def get_batch(self, entry) -> int | None:
        link = getattr(entry, "round_link", None)
        return link.round_id if link is not None else None


class StepSerializer(serializers.Serializer):
    step = serializers.CharField()
    label = serializers.CharField()
    by = serializers.CharField()
    at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()


class ClaimDetailSerializer(ClaimSerializer):
    trail = serializers.SerializerMethodField()
    entry = serializers.SerializerMethodField()

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "trail", "entry"]
        read_only_fields = fields

    def get_trail(self, entry) -> list[dict]:
        steps = claim_trail(entry)
        return [
            {
                "step": s.step,
                "label": s.label or str(TRAIL_LABELS.get(s.step, s.step)),
                "by": s.by,
                "at": s.at,
                "note": s.note,
            }
            for s in steps
        ]

    def get_entry(self, entry) -> dict:
        return EntrySerializer(entry, context=self.context).data


def _accounts_visible_to(membership):
    return restrict_to_visible(membership, Account.objects.all())


class ClaimCreateSerializer(serializers.Serializer):
    household = VisiblePrimaryKeyRelatedField(
        visible=households_visible_to,
        queryset=_empty(Household),
        required=False,
        help_text="A family's claim: its household (or give `account`).",
    )
    account = VisiblePrimaryKeyRelatedField(
        visible=_accounts_visible_to,
        queryset=_empty(Account),
        required=False,
        help_text="The account of any kind (a family's, a villager's, a unit's).",
    )
    item = ItemField()
    occurred_on = serializers.DateField(help_text="The day it happened, in the scheme's year.")
    channel = serializers.ChoiceField(choices=ClaimChannel.choices)
    cause = serializers.CharField(max_length=2000)
    declarer_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="Empty: the holder declared."
    )
    declarer_relation = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    happened_at = serializers.TimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    photos = serializers.ListField(
        child=EvidenceFileField(), required=False, default=list, max_length=MAX_EVIDENCE_FILES
    )
    checked = serializers.BooleanField(
        required=False, default=True, help_text="False: recorded for someone else to check first."
    )

    def validate(self, attrs):
        if ("household" in attrs) == ("account" in attrs):
            raise serializers.ValidationError(
                {"account": [_("Give either the account or the household, not both and not neither.")]}
            )
        return attrs


@extend_schema_view(destroy=KEPT_SCHEMA)
class ClaimViewSet(ReviewViewSet):
    """积分申报: claims outside rounds, with who did each of the six steps."""

    queryset = _empty(Entry)
    serializer_class = ClaimSerializer
    search_fields = [
        "household__number",
        "account__resident__name",
        "account__unit__name",
        "item_name",
        "claim__cause",
        "claim__declarer_name",
    ]
    routed_actions = {"list", "create", "retrieve", "destroy"}
    write_actions = {
        "create": (Action.RECORD_CLAIM,),
        "check": (Action.CHECK_CLAIM,),
        "false": (Action.CHECK_CLAIM, Action.RUN_ROUND, Action.APPROVE_ENTRY),
    }
    kept_detail = _("Claims are never deleted: find it false or withdraw it.")

    def scoped_queryset(self):
        return claims_visible_to(self.membership)

    def get_serializer_class(self):
        return ClaimDetailSerializer if self.action == "retrieve" else ClaimSerializer

    def _answer(self, entry, code=status.HTTP_200_OK):
        entry = self.recheck(self.get_queryset().get(pk=entry.pk))
        return Response(ClaimDetailSerializer(entry, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        request={"multipart/form-data": ClaimCreateSerializer, "application/json": ClaimCreateSerializer},
        responses={201: ClaimDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Record a claim (the recorder has collected and checked it unless `checked` is false)."""
        serializer = ClaimCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        entry = scoring.record_claim(membership=self.membership, **serializer.validated_data)
        return self._answer(entry, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ClaimDetailSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request, *args, **kwargs):
        """The first check: from now on the village's notice batch takes the claim."""
        entry = self.get_object()
        scoring.check_claim(membership=self.membership, entry=entry)
        return self._answer(entry)

    @extend_schema(request=ReasonSerializer, responses={201: EntrySerializer})
    @action(detail=True, methods=["post"], url_path="false", serializer_class=ReasonSerializer)
    def false(self, request, *args, **kwargs):
        """Found false: the claim is withdrawn (or reversed once approved) and a penalty of twice its points is
        proposed; it counts through the village's next notice batch. Answers the penalty entry."""
        entry = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        penalty = scoring.penalise_false_declaration(
            membership=self.membership, entry=entry, reason=serializer.validated_data["reason"]
        )
        return Response(EntrySerializer(penalty, context=self.get_serializer_context()).data, status=201)
