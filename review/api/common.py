"""What every review endpoint shares: the viewset base (roles per action, 405 instead of deleting the trail), the
ids a body may name (looked up inside the township scope and among what the member may see) and the proposal rows.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers

from core.api import ErrorDetailSerializer, TownshipScopedViewSet
from core.permissions import Action, can, restrict_to_visible
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty
from households.models import Membership
from scoring.api.ledger import EvidenceSerializer, person
from scoring.models import Entry, Item

from ..models import ReviewPanel, ReviewRound

User = get_user_model()

# Methods with no route (PUT, PATCH) and DELETE reach the handler for every member, who is told 405; outsiders and
# members who cannot see the object still get 404 first.
KEPT_ACTIONS = {None, "destroy"}

KEPT_SCHEMA = extend_schema(
    request=None,
    responses={405: ErrorDetailSerializer},
    description="Always 405: nothing of a review is deleted, the trail is kept.",
)


class ReviewViewSet(TownshipScopedViewSet):
    """The scoped base with the roles each write needs: `write_actions` maps a viewset action to the actions of
    core.permissions any one of which lets a member try it (the service then checks the object itself)."""

    write_actions: dict[str | None, tuple[Action, ...]] = {}
    kept_detail = _("Nothing of a review is deleted: the trail is kept.")

    @property
    def write_action(self) -> Action:  # read by TownshipScopedViewSet.initial for every unsafe method
        if self.action in KEPT_ACTIONS:
            return Action.VIEW
        allowed = self.write_actions.get(self.action, (Action.RUN_ROUND,))
        return next((action for action in allowed if can(self.membership, action)), allowed[0])

    def destroy(self, request, *args, **kwargs):
        self.get_object()  # 404 for what the member cannot see
        raise exceptions.MethodNotAllowed(request.method, detail=self.kept_detail)

    def round_context(self, round_: ReviewRound) -> dict:
        return {**self.get_serializer_context(), "round": round_}

    def paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        serializer = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


# Ids in bodies ---------------------------------------------------------------------------------------------------


def visible_panels(membership):
    """The review panels of the villages the member sees."""
    return restrict_to_visible(membership, ReviewPanel.objects.all())


def township_items(membership):
    return Item.objects.all()  # the scope keeps it to the member's township; the service checks the scheme


def township_users(membership):
    """Users with a membership in the member's township (users themselves belong to no township)."""
    return User.objects.filter(pk__in=Membership.objects.values("user_id"))


class UserField(VisiblePrimaryKeyRelatedField):
    def __init__(self, *, visible=township_users, **kwargs):
        super().__init__(visible=visible, queryset=User.objects.none(), **kwargs)


class ItemField(VisiblePrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        super().__init__(visible=township_items, queryset=_empty(Item), **kwargs)


class RoundProposalField(serializers.PrimaryKeyRelatedField):
    """An entry that is a proposal of the round the request is about (the view puts it in the context)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=_empty(Entry), **kwargs)

    def get_queryset(self):
        round_ = self.context.get("round")
        if round_ is None:
            return _empty(Entry)
        return Entry.objects.filter(round_link__round=round_)


MAX_CHANGES = 100  # proposals changed in one meeting or by one objection


class ChangeSerializer(serializers.Serializer):
    """A proposal changed with a reason: withdrawn, or replaced by a proposal for `new_item`."""

    entry = RoundProposalField(help_text="A proposal (entry id) of this round.")
    reason = serializers.CharField(max_length=1000)
    new_item = ItemField(required=False, allow_null=True, default=None, help_text="Empty: withdraw it.")


def override_reason_field():
    return serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Township office only: the reason for deciding despite cross-review (a member's own household or "
        "the panel of its own area). Written into the round's trail.",
    )


def changes_for_service(changes) -> list[dict]:
    return [{"entry": c["entry"], "reason": c["reason"], "new_item": c["new_item"]} for c in changes]


# Rows ------------------------------------------------------------------------------------------------------------


class ProposalSerializer(serializers.ModelSerializer):
    """A proposal of a round: a scoring entry (it counts once the township approves the round)."""

    household_number = serializers.CharField(source="household.number", read_only=True)
    # Plain strings: the ledger's `state` and `item_kind` are already enums of the schema (scoring's Entry).
    state = serializers.CharField(read_only=True, help_text="proposed, approved or withdrawn.")
    inspection = serializers.SerializerMethodField()
    declaration = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Entry
        fields = [
            "id",
            "household",
            "household_number",
            "category_name",
            "item",
            "item_name",
            "points",
            "state",
            "source",
            "occurred_on",
            "reason",
            "inspection",
            "declaration",
            "recorded_by",
            "recorded_at",
            "approved_at",
            "decided_reason",
            "evidence",
        ]
        read_only_fields = fields

    def get_inspection(self, entry) -> int | None:
        return entry.round_link.inspection_id

    def get_declaration(self, entry) -> int | None:
        return entry.round_link.declaration_id

    def get_recorded_by(self, entry) -> str:
        return person(entry.recorded_by)


PROPOSAL_RELATIONS = ("household", "round_link", "recorded_by")


@extend_schema_field(ProposalSerializer(many=True))
class ProposalsField(serializers.Field):
    """Read-only: the entries of RoundEntry links (prefetched by the view)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, links):
        return ProposalSerializer([link.entry for link in links.all()], many=True, context=self.context).data


@extend_schema_field({"type": "string", "nullable": True})
class PersonField(serializers.Field):
    """A user shown by name (the full name, else the login)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, user) -> str:
        return person(user)
