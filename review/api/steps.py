"""The steps of a round: what an inspection, a declaration, a meeting and an objection take and show, and the
queries that list them. The viewset in `rounds` answers under `rounds/{id}/`.

Inspections take findings with photos as multipart form data: the field `findings` holds a JSON list of
`{"item": id, "comment": "…"}` and the files of finding n (counting from 0) go as `evidence_<n>`. JSON bodies work
too (without files). With an `Idempotency-Key` header each finding gets its own key (`<key>:f<n>`), so a retried
inspection records each finding once.
"""

import json
import re

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.utils import html

from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _member_in
from households.models import Household
from households.selectors import households_visible_to
from scoring.api.ledger import MAX_EVIDENCE_FILES, MAX_ID, EvidenceFileField, key_reused
from scoring.models import Entry, EntryState

from ..models import Inspection, Meeting, MeetingKind, ReviewPanel, ReviewRound, RoundEntry
from .common import (
    MAX_CHANGES,
    PROPOSAL_RELATIONS,
    ChangeSerializer,
    ItemField,
    PersonField,
    ProposalsField,
    override_reason_field,
    township_users,
    visible_panels,
)
from .decisions import ProposalChangeSerializer

MAX_FINDINGS = 50
FINDING_FILES = re.compile(r"evidence_(\d{1,3})")
MAX_ATTENDEES = 200

INSPECTION_MULTIPART = {
    "type": "object",
    "properties": {
        "household": {"type": "integer"},
        "inspected_on": {"type": "string", "format": "date"},
        "comment": {"type": "string"},
        "findings": {
            "type": "string",
            "description": 'A JSON list of findings: [{"item": 12, "comment": "…"}, …].',
        },
        "override_reason": {
            "type": "string",
            "description": "Township office only: the reason for recording it despite cross-review.",
        },
    },
    "required": ["household", "inspected_on"],
    "additionalProperties": {
        "type": "string",
        "format": "binary",
        "description": "evidence_<n>: photos or documents of finding n (counting from 0); repeat for several.",
    },
}


# Serializers ----------------------------------------------------------------------------------------------------


class InspectionSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True)
    inspector = PersonField()
    findings = ProposalsField(help_text="The proposals this inspection made.")

    class Meta:
        model = Inspection
        fields = [
            "id",
            "round",
            "household",
            "household_number",
            "inspector",
            "inspected_on",
            "comment",
            "created_at",
            "findings",
        ]
        read_only_fields = fields


class FindingSerializer(serializers.Serializer):
    item = ItemField()
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class FindingsField(serializers.ListField):
    """A list of findings; in multipart form data, the same list as one JSON text."""

    def __init__(self, **kwargs):
        super().__init__(child=FindingSerializer(), max_length=MAX_FINDINGS, **kwargs)

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else []
            except ValueError as exc:
                raise serializers.ValidationError(
                    _('Send the findings as a JSON list, like [{"item": 12, "comment": "…"}].')
                ) from exc
        return super().to_internal_value(data)


class InspectionCreateSerializer(serializers.Serializer):
    household = VisiblePrimaryKeyRelatedField(visible=households_visible_to, queryset=_empty(Household))
    inspected_on = serializers.DateField()
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    findings = FindingsField(required=False, default=list)
    override_reason = override_reason_field()


class DeclarationCreateSerializer(serializers.Serializer):
    household = VisiblePrimaryKeyRelatedField(visible=households_visible_to, queryset=_empty(Household))
    item = ItemField()
    occurred_on = serializers.DateField(help_text="The date it happened.")
    place = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, help_text="What happened.")
    on_behalf = serializers.BooleanField(
        default=False, help_text="Declared by a clerk or grid worker on the household's behalf (代为申报)."
    )
    evidence = serializers.ListField(
        child=EvidenceFileField(),
        required=False,
        default=list,
        max_length=MAX_EVIDENCE_FILES,
        help_text="Photos (JPEG, PNG, WebP) or PDF documents, sent as multipart form data.",
    )


class MeetingSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="panel or representatives.")
    recorded_by = PersonField()
    changes = ProposalChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "round",
            "kind",
            "panel",
            "held_on",
            "attendees",
            "attendee_names",
            "township_staff",
            "notes",
            "recorded_by",
            "recorded_at",
            "changes",
        ]
        read_only_fields = fields


class MeetingCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    held_on = serializers.DateField()
    panel = VisiblePrimaryKeyRelatedField(
        visible=visible_panels, queryset=_empty(ReviewPanel), required=False, help_text="Panel meetings."
    )
    attendees = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=MAX_ATTENDEES,
        help_text="Panel meetings: the members present (user ids).",
    )
    attendee_names = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Representatives' meetings."
    )
    township_staff = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="Representatives' meetings."
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    changes = ChangeSerializer(many=True, required=False, default=list, max_length=MAX_CHANGES)
    override_reason = override_reason_field()

    def validate_attendees(self, ids):
        """One query for all of them: users of this township (the service checks they are of the panel)."""
        found = {user.pk: user for user in township_users(_member_in(self.context)).filter(pk__in=ids)}
        if missing := [str(pk) for pk in ids if pk not in found]:
            raise serializers.ValidationError(
                _("These users do not exist in this township: %(ids)s.") % {"ids": ", ".join(missing)}
            )
        return [found[pk] for pk in dict.fromkeys(ids)]

    def validate(self, attrs):
        if attrs["kind"] == MeetingKind.PANEL:
            if attrs.get("panel") is None:
                raise serializers.ValidationError({"panel": [_("Say which panel met.")]})
        elif attrs.get("panel") is not None or attrs.get("attendees"):
            raise serializers.ValidationError(
                {"panel": [_("A representatives' meeting lists its attendees by name, not a panel.")]}
            )
        return attrs


class ObjectionCreateSerializer(serializers.Serializer):
    household = VisiblePrimaryKeyRelatedField(
        visible=households_visible_to, queryset=_empty(Household), help_text="Whose result is objected to."
    )
    objector_name = serializers.CharField(max_length=50)
    objector_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=2000)


class ProposalQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=EntryState.choices, required=False)


# Queries -------------------------------------------------------------------------------------------------------


def proposals_of(round_: ReviewRound):
    return (
        Entry.objects.filter(round_link__round=round_)
        .select_related(*PROPOSAL_RELATIONS)
        .prefetch_related("evidence")
        .order_by("household__number", "id")
    )


def inspections_of(round_: ReviewRound):
    links = RoundEntry.objects.select_related(
        *(f"entry__{name}" for name in PROPOSAL_RELATIONS if name != "round_link")
    )
    return (
        Inspection.objects.filter(round=round_)
        .select_related("household", "inspector")
        .prefetch_related(Prefetch("findings", queryset=links.order_by("id")), "findings__entry__evidence")
        .order_by("household__number", "id")
    )


def finding_files(request, count: int) -> dict[int, list]:
    """The files of each finding (`evidence_<n>`); a file for no finding is refused rather than dropped."""
    files = {}
    for name in request.FILES:
        match = FINDING_FILES.fullmatch(name)
        if match is None or int(match[1]) >= count:
            raise exceptions.ValidationError(
                {
                    name: [
                        _(
                            "There is no finding for this file: send finding n's files as evidence_<n>, "
                            "counting the findings from 0."
                        )
                    ]
                }
            )
        uploads = request.FILES.getlist(name)
        if len(uploads) > MAX_EVIDENCE_FILES:
            raise exceptions.ValidationError(
                {name: [_("At most %(n)d files per finding.") % {"n": MAX_EVIDENCE_FILES}]}
            )
        files[int(match[1])] = uploads
    return files


def replayed(round_: ReviewRound, household: Household, findings: list[dict]) -> bool:
    """A retry of an inspection already recorded with the same key; a key used for other findings is a 400."""
    keys = [finding["idempotency_key"] for finding in findings]
    earlier = {entry.idempotency_key: entry for entry in Entry.objects.filter(idempotency_key__in=keys)}
    for finding in findings:
        entry = earlier.get(finding["idempotency_key"])
        if entry is not None and (entry.household_id, entry.item_id) != (household.pk, finding["item"].pk):
            raise key_reused()
    recorded = Inspection.objects.filter(round=round_, household=household).exists()
    return recorded and len(earlier) == len(keys)
