"""REST endpoints for a class's weekly list of limits reached (上自习名单): the computed list of one week
(`study-lists/week/`), the filed lists (`study-lists/`), and filing one (POST `study-lists/`, the class committee's
RUN_ROUND). The rule is scoring.limits; a parent reads only their own student's rows."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TownshipScopedViewSet
from core.permissions import Action, can_see, restrict_to_visible
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty
from households.models import Village
from households.selectors import villages_visible_to

from .. import limits, services
from ..models import Scheme, StudyListFiling
from ..periods import Cadence, monday_of_week, period_of
from .ledger import person
from .schemes import in_township


class StudyListFilingSerializer(serializers.ModelSerializer):
    filed_by = serializers.SerializerMethodField()

    class Meta:
        model = StudyListFiling
        fields = ["id", "village", "scheme", "week", "starts_on", "students", "filed_by", "filed_at"]
        read_only_fields = fields

    def get_filed_by(self, filing) -> str:
        return person(filing.filed_by)


def _week(value: str) -> datetime.date:
    monday = monday_of_week(value)
    if monday is None:
        raise serializers.ValidationError(_("Give an ISO week such as 2026-W49."))
    return monday


class StudyListFileSerializer(serializers.Serializer):
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    scheme = VisiblePrimaryKeyRelatedField(visible=in_township(Scheme), queryset=_empty(Scheme))
    week = serializers.CharField(max_length=8, help_text="The ISO week, e.g. 2026-W49.")

    def validate_week(self, value: str) -> datetime.date:
        return _week(value)


class StudyListQuerySerializer(serializers.Serializer):
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    week = serializers.CharField(
        max_length=8,
        required=False,
        help_text="The ISO week, e.g. 2026-W49 (default: the school's current week).",
    )
    scheme = VisiblePrimaryKeyRelatedField(
        visible=in_township(Scheme),
        queryset=_empty(Scheme),
        required=False,
        help_text="Default: the active scheme with weekly limits that covers the week.",
    )

    def validate_week(self, value: str) -> datetime.date:
        return _week(value)


class StudyListRowSerializer(serializers.Serializer):
    household = serializers.IntegerField(help_text="The student (their household row).")
    number = serializers.CharField(help_text="学号.")
    name = serializers.CharField()
    item = serializers.IntegerField()
    item_name = serializers.CharField()
    consequence = serializers.CharField()
    limit = serializers.IntegerField()
    hits = serializers.IntegerField(help_text="Hits counted: this week's and those carried over.")
    hits_this_week = serializers.IntegerField()
    carried_over = serializers.IntegerField(help_text="Hits carried over from earlier weeks (累积顺延).")


class StudyListSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    scheme = serializers.IntegerField(allow_null=True)
    week = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    filed = StudyListFilingSerializer(allow_null=True)
    rows = StudyListRowSerializer(many=True)


class StudyListViewSet(TownshipScopedViewSet):
    """上自习名单: the lists of limits reached that the classes the member may see have filed (`village` filter),
    one week's list as computed now (`week`), and filing a week's list (the class committee or its teacher, from
    the week's Saturday on; it closes that week and the ones before to back-dated hits of a limited item)."""

    queryset = _empty(StudyListFiling)
    serializer_class = StudyListFilingSerializer
    filter_backends = []
    write_action = Action.RUN_ROUND
    routed_actions = {"list", "create"}

    def scoped_queryset(self):
        filings = restrict_to_visible(self.membership, StudyListFiling.objects.select_related("filed_by"))
        return filings.order_by("-starts_on", "village_id", "pk")

    @extend_schema(request=StudyListFileSerializer, responses={201: StudyListFilingSerializer})
    def create(self, request, *args, **kwargs):
        """File the list of a class (village) for an ISO week."""
        body = StudyListFileSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        filing = services.file_study_list(
            membership=self.membership,
            village=body.validated_data["village"],
            scheme=body.validated_data["scheme"],
            monday=body.validated_data["week"],
        )
        self.recheck(filing)
        data = StudyListFilingSerializer(filing, context=self.get_serializer_context()).data
        return Response(data, status.HTTP_201_CREATED)

    @extend_schema(parameters=[StudyListQuerySerializer], responses={200: StudyListSerializer})
    @action(detail=False, methods=["get"])
    def week(self, request, *args, **kwargs):
        """One class's list for one week as the rule computes it now: every student who reached a limit, with the
        consequence and the hits counted (this week's and those carried over)."""
        query = StudyListQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        village = query.validated_data["village"]
        today = timezone.localdate()
        monday = query.validated_data.get("week") or today - datetime.timedelta(days=today.weekday())
        scheme = query.validated_data.get("scheme")
        if scheme is None:
            schemes = limits.schemes_for_week(monday)
            scheme = schemes[0] if schemes else None
        week = period_of(Cadence.WEEKLY, monday)
        rows = [] if scheme is None else limits.weekly_list(village, scheme, monday)
        rows = [row for row in rows if can_see(self.membership, row.household)]
        names = limits.student_names(row.household for row in rows)
        filed = None
        if scheme is not None:
            filed = self.get_queryset().filter(village=village, scheme=scheme, week=week).first()
        data = {
            "village": village.pk,
            "scheme": scheme.pk if scheme is not None else None,
            "week": week,
            "starts_on": monday,
            "ends_on": monday + datetime.timedelta(days=6),
            "filed": filed,
            "rows": [
                {
                    "household": row.household.pk,
                    "number": row.household.number,
                    "name": names.get(row.household.pk, ""),
                    "item": row.item.pk,
                    "item_name": row.item.name,
                    "consequence": row.consequence,
                    "limit": row.item.threshold_count,
                    "hits": row.period.counted,
                    "hits_this_week": row.period.hits,
                    "carried_over": row.period.carried_over,
                }
                for row in rows
            ],
        }
        return Response(StudyListSerializer(data, context=self.get_serializer_context()).data)
