"""REST endpoints for the points ledger's entries, and the helpers the other apps' APIs share (`person`, the
`Idempotency-Key` header, evidence files). Scores and passbooks are in `scores`, threshold alerts in `alerts`.

Members see the entries of the households they may see (a clerk: their villages).
Every id in a body or a query parameter is looked up inside the township scope and among what the member may see:
another township's item, or a household of a village that is not the clerk's, reads "does not exist" (400) and
nothing is written. Every change goes through `scoring.services`.

The ledger is append-only: PATCH, PUT and DELETE on an entry answer 405 for every member. A proposal is withdrawn,
an approved entry corrected by a new reversing entry. An `Idempotency-Key` header makes a retried POST record once.
"""

import functools
import re

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from core.api import MAX_ID, ErrorDetailSerializer, FilterBackend, TownshipScopedViewSet
from core.people import display_name
from core.permissions import Action, restrict_to_visible
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _member_in, _visible
from households.models import Household, Village
from households.selectors import households_visible_to, villages_visible_to

from .. import services
from ..models import ClaimDetail, Entry, EntrySource, EntryState, Evidence, Item, Scheme
from .schemes import in_township

# Sources a client may record directly; corrections, objection outcomes and transfers have their own services.
RECORDABLE_SOURCES = [EntrySource.INSPECTION, EntrySource.DECLARATION, EntrySource.CLERK]
APPEND_ONLY = {"update", "partial_update", "destroy"}
MAX_BULK = 500
MAX_EVIDENCE_FILES = 10
# Letters, digits, "-" and "_" (a UUID fits). No ":": bulk recording derives "<key>:<household id>" per household.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Send the same key again to retry safely: the first result comes back (200) and nothing new is "
    "written. Letters, digits, - and _, at most 64.",
)


def person(user) -> str:
    return display_name(user)


def idempotency_key_of(request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if key and not IDEMPOTENCY_KEY.fullmatch(key):
        raise exceptions.ValidationError(
            {"Idempotency-Key": [_("Use at most 64 letters, digits, - or _ for the Idempotency-Key.")]}
        )
    return key


def key_reused() -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {"Idempotency-Key": [_("This Idempotency-Key was already used for another entry; send a new key.")]}
    )


# What an entry's answer reads beside it, in the same query (its claim block).
ENTRY_RELATED = ("recorded_by", "approved_by", "claim", "claim__checked_by")


# Serializers ---------------------------------------------------------------------------------------------------


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class EntryClaimSerializer(serializers.ModelSerializer):
    """What a claim (积分申报, issue 14) recorded beside its entry: how and by whom it was declared, when, where and
    why it happened, and the first check."""

    channel = serializers.CharField(read_only=True, help_text="in_person, phone, sms, qq, wechat or other.")
    declarer_name = serializers.CharField(read_only=True, help_text="Empty: the holder declared themselves.")
    checked_by = serializers.SerializerMethodField(help_text="Who checked it first (empty: not yet).")

    class Meta:
        model = ClaimDetail
        fields = [
            "channel",
            "declarer_name",
            "declarer_relation",
            "happened_at",
            "place",
            "cause",
            "checked_by",
            "checked_at",
        ]
        read_only_fields = fields

    def get_checked_by(self, claim) -> str:
        return person(claim.checked_by)


class EntrySerializer(serializers.ModelSerializer):
    """One signed change to a household's points, with the rule as it was when it was recorded."""

    # A plain string: the same choice set as the item's `kind`, not a second enum of the schema.
    item_kind = serializers.CharField(read_only=True, help_text="bonus or penalty, as recorded.")
    recorded_by = serializers.SerializerMethodField()
    approved_by = serializers.SerializerMethodField(help_text="Who approved it (or withdrew the proposal).")
    evidence = EvidenceSerializer(many=True, read_only=True)
    claim = EntryClaimSerializer(
        read_only=True, allow_null=True, help_text="The claim's details when the entry is a claim, else null."
    )

    class Meta:
        model = Entry
        fields = [
            "id",
            "household",
            "village",
            "scheme",
            "category",
            "item",
            "category_name",
            "item_name",
            "item_kind",
            "item_points",
            "multiplier",
            "points",
            "year",
            "period",
            "occurred_on",
            "source",
            "reason",
            "state",
            "corrects",
            "recorded_by",
            "recorded_at",
            "approved_by",
            "approved_at",
            "decided_reason",
            "evidence",
            "claim",
        ]
        read_only_fields = fields

    def get_recorded_by(self, entry) -> str:
        return person(entry.recorded_by)

    def get_approved_by(self, entry) -> str:
        return person(entry.approved_by)

    def to_representation(self, entry):
        """Meta.fields read straight from the row, decimals and dates through DRF's own fields (built once): the
        ledger, the passbook and every write answer entries, and building this serializer's fields and walking
        them was most of their serializing time (issue 19). tests/scoring/test_api_speed.py holds it equal to
        DRF's own field-by-field answer."""
        formats = _entry_formats()
        claim = getattr(entry, "claim", None)  # no claim: DRF's allow_null answers null
        return {
            "id": entry.pk,
            "household": entry.household_id,
            "village": entry.village_id,
            "scheme": entry.scheme_id,
            "category": entry.category_id,
            "item": entry.item_id,
            "category_name": entry.category_name,
            "item_name": entry.item_name,
            "item_kind": str(entry.item_kind),
            "item_points": formats["item_points"].to_representation(entry.item_points),
            "multiplier": formats["multiplier"].to_representation(entry.multiplier),
            "points": formats["points"].to_representation(entry.points),
            "year": entry.year,
            "period": entry.period,
            "occurred_on": formats["occurred_on"].to_representation(entry.occurred_on),
            "source": str(entry.source),
            "reason": entry.reason,
            "state": str(entry.state),
            "corrects": entry.corrects_id,
            "recorded_by": person(entry.recorded_by),
            "recorded_at": _when(formats["recorded_at"], entry.recorded_at),
            "approved_by": person(entry.approved_by),
            "approved_at": _when(formats["approved_at"], entry.approved_at),
            "decided_reason": entry.decided_reason,
            "evidence": [_evidence(formats, evidence) for evidence in entry.evidence.all()],
            "claim": None if claim is None else _claim(formats, claim),
        }


def _when(field, value):
    return None if value is None else field.to_representation(value)


def _evidence(formats, evidence) -> dict:
    return {
        "id": evidence.pk,
        "original_name": evidence.original_name,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "uploaded_at": _when(formats["uploaded_at"], evidence.uploaded_at),
    }


def _claim(formats, claim) -> dict:
    return {
        "channel": claim.channel,
        "declarer_name": claim.declarer_name,
        "declarer_relation": claim.declarer_relation,
        "happened_at": _when(formats["happened_at"], claim.happened_at),
        "place": claim.place,
        "cause": claim.cause,
        "checked_by": person(claim.checked_by),
        "checked_at": _when(formats["checked_at"], claim.checked_at),
    }


@functools.cache
def _entry_formats() -> dict:
    """The DRF fields that format an entry's decimals, dates and times (they read nothing of their serializer)."""
    entry = EntrySerializer().fields
    evidence = entry["evidence"].child.fields
    claim = entry["claim"].fields
    return {
        **{name: entry[name] for name in ("item_points", "multiplier", "points", "occurred_on")},
        **{name: entry[name] for name in ("recorded_at", "approved_at")},
        "uploaded_at": evidence["uploaded_at"],
        "happened_at": claim["happened_at"],
        "checked_at": claim["checked_at"],
    }


@extend_schema_field({"type": "string", "format": "binary"})
class EvidenceFileField(serializers.FileField):
    """An uploaded file (multipart), documented as binary rather than as the URL a FileField reads back."""


class EntryCreateSerializer(serializers.Serializer):
    household = VisiblePrimaryKeyRelatedField(visible=households_visible_to, queryset=_empty(Household))
    # The ledger's writer reads the item's category and scheme: one query with the item, not three.
    item = VisiblePrimaryKeyRelatedField(visible=in_township(Item, "category__scheme"), queryset=_empty(Item))
    occurred_on = serializers.DateField(help_text="The date it happened, in the scheme's year.")
    source = serializers.ChoiceField(
        choices=EntrySource.choices,
        default=EntrySource.CLERK,
        help_text="inspection, declaration or clerk; the other sources have their own actions.",
    )
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    evidence = serializers.ListField(
        child=EvidenceFileField(),
        required=False,
        default=list,
        max_length=MAX_EVIDENCE_FILES,
        help_text="Photos (JPEG, PNG, WebP) or PDF documents, sent as multipart form data.",
    )

    def validate_source(self, source):
        if source not in RECORDABLE_SOURCES:
            raise serializers.ValidationError(
                _(
                    "Record an entry by inspection, declaration or the clerk; corrections have their own action."
                )
            )
        return source


class BulkEntrySerializer(serializers.Serializer):
    # The ledger's writer reads the item's category and scheme: one query with the item, not three.
    item = VisiblePrimaryKeyRelatedField(visible=in_township(Item, "category__scheme"), queryset=_empty(Item))
    households = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=MAX_BULK
    )
    occurred_on = serializers.DateField()
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

    def validate_households(self, ids):
        if not ids:
            raise serializers.ValidationError(_("List at least one household."))
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError(_("Each household may be listed only once."))
        found = {h.pk: h for h in households_visible_to(_member_in(self.context)).filter(pk__in=ids)}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError(
                _("These households do not exist: %(ids)s.") % {"ids": ", ".join(map(str, missing))}
            )
        return [found[pk] for pk in ids]


class ApproveSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False, max_length=1000
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ApprovedSerializer(serializers.Serializer):
    approved = serializers.IntegerField(
        help_text="How many proposals now count (those already decided stay)."
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


# Filters -------------------------------------------------------------------------------------------------------


class EntryFilter(filters.FilterSet):
    scheme = filters.ModelChoiceFilter(queryset=_visible(in_township(Scheme), Scheme))
    household = filters.ModelChoiceFilter(queryset=_visible(households_visible_to, Household))
    village = filters.ModelChoiceFilter(
        queryset=_visible(villages_visible_to, Village), help_text="The village at the time of the entry."
    )
    state = filters.ChoiceFilter(choices=EntryState.choices)
    source = filters.ChoiceFilter(choices=EntrySource.choices)
    period = filters.CharFilter(max_length=10)
    year = filters.NumberFilter(min_value=2000, max_value=9999, decimal_places=0)

    class Meta:
        model = Entry
        fields = ["scheme", "household", "village", "state", "source", "period", "year"]


# Viewsets ------------------------------------------------------------------------------------------------------

APPEND_ONLY_SCHEMA = extend_schema(
    request=None,
    responses={405: ErrorDetailSerializer},
    description="Always 405: the ledger is append-only. Withdraw a proposal or correct an approved entry instead.",
)


@extend_schema_view(update=APPEND_ONLY_SCHEMA, partial_update=APPEND_ONLY_SCHEMA, destroy=APPEND_ONLY_SCHEMA)
class EntryViewSet(TownshipScopedViewSet):
    """积分记录: the append-only points ledger. Entries are never changed or deleted (PATCH, PUT and DELETE answer
    405): a proposal is withdrawn, an approved entry is corrected by a new reversing entry. Clerks record for the
    households of their villages; the township office approves and corrects."""

    queryset = _empty(Entry)
    serializer_class = EntrySerializer
    filterset_class = EntryFilter
    filter_backends = [FilterBackend, OrderingFilter]
    write_action = Action.RECORD_ENTRY
    ordering_fields = ["occurred_on", "recorded_at", "points", "id"]

    def scoped_queryset(self):
        return restrict_to_visible(
            self.membership,
            Entry.objects.select_related(*ENTRY_RELATED).prefetch_related("evidence"),
            village_field="account__village",
            household_record=True,
        )

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)  # outsiders 404 here
        except exceptions.PermissionDenied:
            if self.action not in APPEND_ONLY:
                raise
        if self.action in APPEND_ONLY:
            self.get_object()  # 404 for an entry the member cannot see, 405 for every other one
            raise self._append_only()

    def _append_only(self):
        return exceptions.MethodNotAllowed(
            self.request.method,
            detail=_("Entries are never changed or deleted: withdraw a proposal or record a correction."),
        )

    def update(self, request, *args, **kwargs):
        raise self._append_only()

    def partial_update(self, request, *args, **kwargs):
        raise self._append_only()

    def destroy(self, request, *args, **kwargs):
        raise self._append_only()

    def _answer(self, entry, code):
        self.recheck(entry.household)
        return Response(EntrySerializer(entry, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        request={"multipart/form-data": EntryCreateSerializer, "application/json": EntryCreateSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: EntrySerializer, 200: EntrySerializer},
    )
    def create(self, request, *args, **kwargs):
        """Propose an entry for a household (it counts once approved). Evidence files go as multipart `evidence`."""
        key = idempotency_key_of(request)
        serializer = EntryCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if key and (first := Entry.objects.filter(idempotency_key=key).first()) is not None:
            if (first.household_id, first.item_id) != (data["household"].pk, data["item"].pk):
                raise key_reused()
            return self._answer(first, status.HTTP_200_OK)
        entry = services.record_entry(membership=self.membership, idempotency_key=key, **data)
        return self._answer(entry, status.HTTP_201_CREATED)

    @extend_schema(
        request=BulkEntrySerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: EntrySerializer(many=True), 200: EntrySerializer(many=True)},
    )
    @action(detail=False, methods=["post"], serializer_class=BulkEntrySerializer)
    def bulk(self, request, *args, **kwargs):
        """One item for many households (e.g. everyone at a village clean-up): all proposed, or none."""
        key = idempotency_key_of(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        code = status.HTTP_201_CREATED
        if key:
            keys = [f"{key}:{household.pk}" for household in data["households"]]
            earlier = list(Entry.objects.filter(idempotency_key__in=keys))
            if any(entry.item_id != data["item"].pk for entry in earlier):
                raise key_reused()
            if len(earlier) == len(keys):
                code = status.HTTP_200_OK
        entries = services.record_bulk(membership=self.membership, idempotency_key=key, **data)
        for entry in entries:
            self.recheck(entry.household)
        prefetch_related_objects(entries, "claim__checked_by")  # one query, not one per entry
        return Response(EntrySerializer(entries, many=True, context=self.get_serializer_context()).data, code)

    @extend_schema(request=ApproveSerializer, responses={200: ApprovedSerializer})
    @action(detail=False, methods=["post"], serializer_class=ApproveSerializer)
    def approve(self, request, *args, **kwargs):
        """Refused for proposals (400 `notice_required`): an entry counts only with its round or notice batch,
        approved after the notice ends (`POST rounds/batch/`, then the round's moves). Ids of entries already
        approved or withdrawn change nothing (`approved: 0`)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data["ids"]
        entries = list(self.get_queryset().filter(pk__in=ids))
        missing = sorted(set(ids) - {entry.pk for entry in entries})
        if missing:
            raise exceptions.ValidationError(
                {"ids": [_("These entries do not exist: %(ids)s.") % {"ids": ", ".join(map(str, missing))}]}
            )
        approved = services.approve_entries(
            membership=self.membership, entries=entries, reason=serializer.validated_data["reason"]
        )
        return Response({"approved": approved})

    @extend_schema(request=ReasonSerializer, responses={200: EntrySerializer})
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def withdraw(self, request, *args, **kwargs):
        """Withdraw a proposal (the township office, or whoever recorded it). It stays visible, counting nothing."""
        entry = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.withdraw_entry(membership=self.membership, entry=entry, **serializer.validated_data)
        return self._answer(entry, status.HTTP_200_OK)

    @extend_schema(
        request=ReasonSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: EntrySerializer, 200: EntrySerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def correct(self, request, *args, **kwargs):
        """Reverse an approved entry with a new approved entry of the opposite sign (township office)."""
        entry = self.get_object()
        key = idempotency_key_of(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if key and (first := Entry.objects.filter(idempotency_key=key).first()) is not None:
            if first.corrects_id != entry.pk:
                raise key_reused()
            return self._answer(first, status.HTTP_200_OK)
        correction = services.correct_entry(
            membership=self.membership, entry=entry, idempotency_key=key, **serializer.validated_data
        )
        return self._answer(correction, status.HTTP_201_CREATED)
