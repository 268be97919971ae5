"""Star ratings (星级文明户) and the rewards of each star level.

Members read the runs of their township and the results of the villages they see; the township office starts a
rating (a job: `schemes/{id}/rate-stars/`, optionally rating villages before their annual round is approved, with
a reason), publishes the current run and sets what each star level brings.
A run is never changed or deleted (405): the ledger changes, a new version is rated. A run whose inputs changed
says so (`stale`, `stale_reason`, `rate_again`); publishing it is a 400 with `code` "stale".
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core import jobs
from core.api import ValidationErrorSerializer
from core.errors import DomainError
from core.permissions import Action
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty, _visible
from households.models import Village
from households.selectors import villages_visible_to
from scoring.api.schemes import in_township
from scoring.models import Category, Scheme, SchemeState

from .. import services
from ..models import RewardLevel, StarResult, StarRule, StarRun, StarRunState, StarRunVillage
from ..selectors import stale_reason, star_rule, visible_to
from .common import KEPT_SCHEMA, PersonField, RewardsViewSet

LIST_ACTION = {"filter_backends": []}


# Star runs -------------------------------------------------------------------------------------------------------


class RefusalSerializer(ValidationErrorSerializer):
    code = serializers.CharField(
        help_text="not_current, stale, already_published, overflow_not_confirmed, reason_required, … (or a "
        "field's problem: invalid, required, …)"
    )


class StarRunVillageSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    overridden_by = PersonField()

    class Meta:
        model = StarRunVillage
        fields = [
            "village",
            "village_name",
            "status",
            "status_display",
            "households",
            "overflow",
            "override_reason",
            "overridden_by",
        ]
        read_only_fields = fields


class StarRunSerializer(serializers.ModelSerializer):
    scheme_name = serializers.CharField(source="scheme.name", read_only=True)
    year = serializers.IntegerField(source="scheme.year", read_only=True)
    state = serializers.CharField(read_only=True, help_text="proposed or published.")
    stale = serializers.BooleanField(
        read_only=True, help_text="An input changed since the rating: rate again before publishing."
    )
    stale_cause = serializers.CharField(
        read_only=True,
        help_text="What changed first (approval, correction, withdrawal, transfer, veto, participation, move, "
        "household, round, settings, override); empty while the run is not stale.",
    )
    stale_reason = serializers.SerializerMethodField(
        help_text="What changed first, and how many changes since."
    )
    rate_again = serializers.SerializerMethodField(help_text="POST here to rate the scheme again (a job).")
    villages = StarRunVillageSerializer(many=True, read_only=True)
    created_by = PersonField(help_text="Empty: rated from the command line.")
    published_by = PersonField()
    overflow_confirmed_by = PersonField()

    class Meta:
        model = StarRun
        fields = [
            "id",
            "scheme",
            "scheme_name",
            "year",
            "version",
            "current",
            "state",
            "stale",
            "stale_since",
            "stale_cause",
            "stale_reason",
            "stale_changes",
            "rate_again",
            "five_percent",
            "four_percent",
            "three_percent",
            "floor",
            "tie_break_fewer_penalties",
            "tie_break_category",
            "tie_break_category_first",
            "household_count",
            "villages",
            "needs_confirmation",
            "overflow_confirmed_by",
            "overflow_confirmed_at",
            "created_by",
            "created_at",
            "published_by",
            "published_at",
        ]
        read_only_fields = fields

    def get_stale_reason(self, run: StarRun) -> str:
        return stale_reason(run)

    def get_rate_again(self, run: StarRun) -> str:
        return reverse(
            "rewards_api:scheme-rate-stars",
            kwargs={"township_slug": run.township.slug, "scheme_id": run.scheme_id},
        )


class StarResultSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = StarResult
        fields = [
            "household",
            "household_number",
            "village",
            "village_name",
            "total",
            "penalties",
            "tie_score",
            "rank",
            "n",
            "stars",
            "disqualified",
        ]
        read_only_fields = fields


class StarRunFilter(filters.FilterSet):
    scheme = filters.ModelChoiceFilter(queryset=_visible(in_township(Scheme), Scheme))
    year = filters.NumberFilter(field_name="scheme__year", min_value=2000, max_value=9999, decimal_places=0)
    state = filters.ChoiceFilter(choices=StarRunState.choices)
    current = filters.BooleanFilter()

    class Meta:
        model = StarRun
        fields = ["scheme", "year", "state", "current"]


class StarResultQuerySerializer(serializers.Serializer):
    village = VisiblePrimaryKeyRelatedField(
        visible=villages_visible_to, queryset=_empty(Village), required=False
    )
    stars = serializers.ChoiceField(choices=[0, 3, 4, 5], required=False)


class PublishSerializer(serializers.Serializer):
    confirm_overflow = serializers.BooleanField(
        default=False,
        help_text="The township accepts that tied households make a band hold more than one household over its "
        "share (needed when the run's needs_confirmation is true; recorded).",
    )


@extend_schema_view(destroy=KEPT_SCHEMA)
class StarRunViewSet(RewardsViewSet):
    """星级评定: the versions of each scheme's star rating. Rate with `schemes/{id}/rate-stars/` (a job)."""

    queryset = _empty(StarRun)
    serializer_class = StarRunSerializer
    filterset_class = StarRunFilter
    routed_actions = {"list", "retrieve", "destroy"}
    write_actions = {"publish": (Action.MANAGE_REWARDS,)}
    ordering_fields = ["created_at", "version"]
    kept_detail = _("A star rating is never deleted: rate again and a new version is kept beside it.")

    def scoped_queryset(self):
        return (
            StarRun.objects.select_related(
                "scheme", "township", "created_by", "published_by", "overflow_confirmed_by"
            )
            .prefetch_related("villages__village", "villages__overridden_by")
            .order_by("-scheme__year", "scheme_id", "-version")
        )

    @extend_schema(parameters=[StarResultQuerySerializer], responses={200: StarResultSerializer(many=True)})
    @action(detail=True, methods=["get"], **LIST_ACTION)
    def results(self, request, *args, **kwargs):
        """The run's households in the villages the member sees: rank in the village, N, total and stars."""
        run = self.get_object()
        query = StarResultQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        rows = visible_to(
            self.membership,
            StarResult.objects.filter(run=run).select_related("household", "village"),
            "village",
            household_record=True,
        ).order_by("village__sort_key", "village_id", "rank", "household__number")
        if "village" in query.validated_data:
            rows = rows.filter(village=query.validated_data["village"])
        if "stars" in query.validated_data:
            rows = rows.filter(stars=query.validated_data["stars"])
        return self.paginated(rows, StarResultSerializer)

    @extend_schema(request=PublishSerializer, responses={200: StarRunSerializer, 400: RefusalSerializer})
    @action(detail=True, methods=["post"], **LIST_ACTION)
    def publish(self, request, *args, **kwargs):
        """Make the current run's stars official (township office). A 400 with a `code`: a run out of date
        (`not_current`) or stale (`stale`: rate again), already published, or whose tied households make a band
        overflow by more than one household without `confirm_overflow: true` (`overflow_not_confirmed`)."""
        run = self.get_object()
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = services.publish_run(  # a refusal is a 400 with its `code` (core.api)
            membership=self.membership, run=run, confirm_overflow=body.validated_data["confirm_overflow"]
        )
        fresh = self.get_queryset().get(pk=run.pk)
        return Response(StarRunSerializer(fresh, context=self.get_serializer_context()).data)


class JobStartedSerializer(serializers.Serializer):
    job = serializers.IntegerField(help_text="The job's id.")
    url = serializers.CharField(help_text="The job's page: progress, then the summary (.xlsx) to download.")


class OverrideSerializer(serializers.Serializer):
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    reason = serializers.CharField(
        max_length=300, help_text="Why the village is rated before its annual round."
    )


class RateSerializer(serializers.Serializer):
    overrides = OverrideSerializer(
        many=True,
        required=False,
        help_text="Villages to rate before their annual round is approved, each with the township's reason.",
    )


class SchemeStarsViewSet(RewardsViewSet):
    """Start the star rating of a scheme's year as a job (township office)."""

    queryset = _empty(Scheme)
    serializer_class = JobStartedSerializer
    lookup_url_kwarg = "scheme_id"
    filter_backends = []
    write_actions = {"rate": (Action.MANAGE_REWARDS,)}

    def scoped_queryset(self):
        return Scheme.objects.all()  # the scope keeps it to the township

    @extend_schema(request=RateSerializer, responses={202: JobStartedSerializer, 400: RefusalSerializer})
    def rate(self, request, *args, **kwargs):
        """Rate the scheme's year in the background: the same ledger gives the same run, a changed one a new
        version. Answers 202 with the job; its page shows the progress and the summary. `overrides` first
        records the township's decision to rate those villages before their annual round is approved."""
        scheme = self.get_object()
        if scheme.state == SchemeState.DRAFT:
            raise DomainError(_("This scheme is still a draft: activate it before rating stars."))
        body = RateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        for override in body.validated_data.get("overrides", []):
            services.override_village_round(
                membership=self.membership,
                scheme=scheme,
                village=override["village"],
                reason=override["reason"],
            )
        job = jobs.start_job(membership=self.membership, kind="star_rating", params={"scheme_id": scheme.pk})
        url = reverse("households:job-detail", kwargs={"township_slug": self.township.slug, "pk": job.pk})
        return Response({"job": job.pk, "url": url}, status=status.HTTP_202_ACCEPTED)


class RewardSettingsSerializer(serializers.ModelSerializer):
    """A scheme's star bands, the floor (empty: the base total), the tie-breakers of the ranking (in order: fewer
    penalty points, then a higher score in a category; `tie_break_category_first` swaps them) and what the points
    supermarket can spend. Kept by rewards (StarRule): a scheme without its own yet shows the settings it starts
    from (its source's when copied, else the defaults)."""

    id = serializers.IntegerField(source="scheme_id", read_only=True, help_text="The scheme.")
    tie_break_category = VisiblePrimaryKeyRelatedField(
        visible=in_township(Category),
        queryset=_empty(Category),
        allow_null=True,
        required=False,
    )

    class Meta:
        model = StarRule
        fields = [
            "id",
            "star_five_percent",
            "star_four_percent",
            "star_three_percent",
            "star_floor",
            "tie_break_fewer_penalties",
            "tie_break_category",
            "tie_break_category_first",
            "spendable_basis",
            "spendable_resets_yearly",
        ]
        extra_kwargs = {
            "star_five_percent": {"min_value": 1, "max_value": 100},
            "star_four_percent": {"min_value": 1, "max_value": 100},
            "star_three_percent": {"min_value": 1, "max_value": 100},
        }
        validators = []  # the bands' order is the model's constraint, checked by the service


TIE_BREAK_FIELDS = ("tie_break_fewer_penalties", "tie_break_category", "tie_break_category_first")


class SchemeRewardSettingsViewSet(RewardsViewSet):
    """Read (members) or change (township office) a scheme's reward settings; a new rating uses them."""

    queryset = _empty(Scheme)
    serializer_class = RewardSettingsSerializer
    lookup_url_kwarg = "scheme_id"
    filter_backends = []
    write_actions = {"update": (Action.MANAGE_REWARDS,), "partial_update": (Action.MANAGE_REWARDS,)}

    def scoped_queryset(self):
        return Scheme.objects.all()  # the scope keeps it to the township

    def get_object(self):
        return star_rule(super().get_object())  # unsaved when the scheme has none yet

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        tie_break = {name: data.pop(name) for name in TIE_BREAK_FIELDS if name in data}
        rule, scheme = serializer.instance, serializer.instance.scheme
        if tie_break:
            services.set_star_rule(
                membership=self.membership,
                scheme=scheme,
                fewer_penalties=tie_break.get("tie_break_fewer_penalties", rule.tie_break_fewer_penalties),
                category=tie_break.get("tie_break_category", rule.tie_break_category),
                category_first=tie_break.get("tie_break_category_first", rule.tie_break_category_first),
            )
        serializer.instance = services.set_reward_settings(membership=self.membership, scheme=scheme, **data)


# Reward levels ---------------------------------------------------------------------------------------------------


class RewardLevelSerializer(serializers.ModelSerializer):
    scheme = VisiblePrimaryKeyRelatedField(visible=in_township(Scheme), queryset=_empty(Scheme))
    plaque = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Empty: 五星级文明户 and so on."
    )

    class Meta:
        model = RewardLevel
        fields = ["id", "scheme", "stars", "plaque", "reward", "value"]
        validators = []  # one level per scheme and stars: set_reward_level changes the existing one

    def validate(self, attrs):
        if self.instance is not None:
            for field in ("scheme", "stars"):
                if field in attrs and attrs[field] != getattr(self.instance, field):
                    raise serializers.ValidationError(
                        {field: [_("A reward level cannot change its scheme or stars; set the other level.")]}
                    )
        return attrs


class RewardLevelFilter(filters.FilterSet):
    scheme = filters.ModelChoiceFilter(queryset=_visible(in_township(Scheme), Scheme))
    stars = filters.TypedChoiceFilter(choices=[(s, str(s)) for s in (3, 4, 5)], coerce=int)

    class Meta:
        model = RewardLevel
        fields = ["scheme", "stars"]


@extend_schema_view(destroy=KEPT_SCHEMA)
class RewardLevelViewSet(RewardsViewSet):
    """What each star level of a scheme brings: a plaque and a material reward worth `value` yuan. Setting a level
    that exists changes it (200); allocations already made keep what they were given."""

    queryset = _empty(RewardLevel)
    serializer_class = RewardLevelSerializer
    filterset_class = RewardLevelFilter
    ordering_fields = ["stars"]
    kept_detail = _("A reward level is not deleted: set its reward and value instead.")

    def scoped_queryset(self):
        return RewardLevel.objects.order_by("scheme_id", "-stars")

    def _set(self, scheme, stars, data) -> RewardLevel:
        return services.set_reward_level(
            membership=self.membership,
            scheme=scheme,
            stars=stars,
            plaque=data.get("plaque", ""),
            reward=data.get("reward", ""),
            value=data.get("value", RewardLevel._meta.get_field("value").default),
        )

    @extend_schema(responses={201: RewardLevelSerializer, 200: RewardLevelSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = RewardLevel.objects.filter(scheme=data["scheme"], stars=data["stars"]).exists()
        level = self._set(data["scheme"], data["stars"], data)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(self.get_serializer(level).data, status=code)

    def perform_update(self, serializer):
        level = serializer.instance
        data = {
            "plaque": level.plaque,
            "reward": level.reward,
            "value": level.value,
            **serializer.validated_data,
        }
        serializer.instance = self._set(level.scheme, level.stars, data)
