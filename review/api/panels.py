"""Review panels (评议小组): members read the panels of the villages they see; the township office and the village's
clerk create them (at least five panel members of the village). A panel is never deleted (405): rounds name it."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers

from core.permissions import Action
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _visible
from households.models import Area, Membership, Role, Village
from households.selectors import areas_visible_to, villages_visible_to

from .. import services
from ..models import PanelMember, ReviewPanel
from .common import KEPT_SCHEMA, PersonField, ReviewViewSet, UserField, visible_panels

MAX_MEMBERS = 50


class PanelMemberSerializer(serializers.ModelSerializer):
    user = UserField(help_text="A user with the panel member role in this village.")
    name = PersonField(source="user")

    class Meta:
        model = PanelMember
        fields = ["user", "name", "kind"]


class PanelSerializer(serializers.ModelSerializer):
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    home_area = VisiblePrimaryKeyRelatedField(visible=areas_visible_to, queryset=_empty(Area))
    members = PanelMemberSerializer(many=True, max_length=MAX_MEMBERS)

    class Meta:
        model = ReviewPanel
        fields = ["id", "village", "name", "home_area", "members", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # the name is unique in its village: checked below, inside the township

    def validate(self, attrs):
        village, members = attrs["village"], attrs["members"]
        users = [member["user"] for member in members]
        if len({user.pk for user in users}) != len(users):
            raise serializers.ValidationError({"members": [_("Each person may be listed only once.")]})
        of_village = set(
            Membership.objects.filter(role=Role.PANEL_MEMBER, villages=village, user__in=users).values_list(
                "user_id", flat=True
            )
        )
        if strangers := [person.get_username() for person in users if person.pk not in of_village]:
            raise serializers.ValidationError(
                {
                    "members": [
                        _("These people are not panel members of %(village)s: %(names)s.")
                        % {"village": village.name, "names": "、".join(strangers)}
                    ]
                }
            )
        if ReviewPanel.objects.filter(village=village, name=attrs["name"]).exists():
            raise serializers.ValidationError(
                {"name": [_("%(village)s already has a panel with this name.") % {"village": village.name}]}
            )
        return attrs


class PanelFilter(filters.FilterSet):
    village = filters.ModelChoiceFilter(queryset=_visible(villages_visible_to, Village))

    class Meta:
        model = ReviewPanel
        fields = ["village"]


@extend_schema_view(destroy=KEPT_SCHEMA)
class PanelViewSet(ReviewViewSet):
    """评议小组 with their members and kinds. Created by the township office or the village's clerk."""

    queryset = _empty(ReviewPanel)
    serializer_class = PanelSerializer
    filterset_class = PanelFilter
    routed_actions = {"list", "retrieve", "create", "destroy"}
    write_actions = {"create": (Action.RUN_ROUND,)}
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    kept_detail = _("A review panel is never deleted: rounds name it.")

    def scoped_queryset(self):
        return (
            visible_panels(self.membership)
            .select_related("village", "home_area")
            .prefetch_related(  # current members only: a replaced member's seat stays on the panel's page
                Prefetch("members", queryset=PanelMember.objects.current().select_related("user"))
            )
            .order_by("village_id", "name", "pk")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        panel = services.create_panel(
            membership=self.membership,
            village=data["village"],
            name=data["name"],
            home_area=data["home_area"],
            members=[(member["user"], member["kind"]) for member in data["members"]],
        )
        serializer.instance = self.recheck(self.get_queryset().get(pk=panel.pk))
