"""What every rewards endpoint shares: the viewset base (roles per action; 405 for what is never changed or deleted,
after the 404 for what the member cannot see) and small fields. What a member sees is rewards.selectors'.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers

from core.api import ErrorDetailSerializer, TownshipScopedViewSet
from core.permissions import Action, can
from scoring.api.ledger import MAX_ID, person

__all__ = [
    "MAX_ID",
    "KEPT_SCHEMA",
    "CancelSerializer",
    "PersonField",
    "RewardsViewSet",
    "YearQuerySerializer",
]

KEPT_SCHEMA = extend_schema(
    request=None,
    responses={405: ErrorDetailSerializer},
    description="Always 405: this record is never changed or deleted (a cancellation or a correcting line is).",
)


class RewardsViewSet(TownshipScopedViewSet):
    """The scoped base with the role each write needs: `write_actions` maps a viewset action to the actions of
    core.permissions any one of which lets a member try it (the object itself is checked in the handler).

    `kept_actions` are routed only to answer 405 — after `get_object()`, so an object the member cannot see is
    still "not found" — and need no role (a supervisor is told 405 too, not 403).
    """

    write_actions: dict[str, tuple[Action, ...]] = {}
    default_write_action: Action = Action.MANAGE_REWARDS
    kept_actions: set[str] = {"destroy"}
    kept_detail = _("This record is never deleted: the trail is kept.")

    @property
    def write_action(self) -> Action:  # read by TownshipScopedViewSet.initial for every unsafe method
        if self.action is None or self.action in self.kept_actions:
            return Action.VIEW
        allowed = self.write_actions.get(self.action, (self.default_write_action,))
        return next((action for action in allowed if can(self.membership, action)), allowed[0])

    def _kept(self):
        self.get_object()  # 404 for what the member cannot see
        raise exceptions.MethodNotAllowed(self.request.method, detail=self.kept_detail)

    def destroy(self, request, *args, **kwargs):
        self._kept()

    def update(self, request, *args, **kwargs):
        if "update" in self.kept_actions:
            self._kept()
        return super().update(request, *args, **kwargs)

    def partial_update(self, request, *args, **kwargs):
        if "partial_update" in self.kept_actions:
            self._kept()
        return super().partial_update(request, *args, **kwargs)

    def paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        serializer = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class YearQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        min_value=2000, max_value=9999, required=False, help_text="Default: this year (Asia/Shanghai)."
    )

    def validate(self, attrs):
        attrs.setdefault("year", timezone.localdate().year)
        return attrs


@extend_schema_field({"type": "string", "nullable": True})
class PersonField(serializers.Field):
    """A user shown by name (the full name, else the login; empty for the command line)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, user) -> str:
        return person(user)
