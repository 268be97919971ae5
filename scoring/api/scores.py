"""REST endpoints for scores and passbooks: the households' category scores and totals (computed by the database
per page, scoring.selectors.ScoreList) and one household's passbook, for the households the member may see."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from core.api import TownshipScopedViewSet
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty
from households.models import Household, Village
from households.selectors import households_visible_to, villages_visible_to

from ..models import Scheme
from ..selectors import ScoreList, category_key, passbook
from .ledger import EntrySerializer
from .schemes import in_township


class CategoryScoreSerializer(serializers.Serializer):
    category = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.DecimalField(max_digits=10, decimal_places=2)


class ScoreSerializer(serializers.Serializer):
    """A household's category scores (clamped) and total for a scheme; `categories` follow the scheme's order."""

    household = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    village = serializers.IntegerField(source="village_id")
    area = serializers.IntegerField(source="area_id")
    categories = serializers.SerializerMethodField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)

    @extend_schema_field(CategoryScoreSerializer(many=True))
    def get_categories(self, household):
        scores = [
            {"category": c.pk, "name": c.name, "score": getattr(household, category_key(c))}
            for c in self.context["categories"]
        ]
        return CategoryScoreSerializer(scores, many=True).data


class PassbookRowSerializer(serializers.Serializer):
    entry = EntrySerializer()
    running_total = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="The total after this entry; only approved entries move it.",
    )


class PassbookSerializer(serializers.Serializer):
    """行为银行存折: every entry of the scheme's year in `rows` with the running total, the category scores, the total."""

    household = serializers.IntegerField()
    number = serializers.CharField()
    scheme = serializers.IntegerField()
    year = serializers.IntegerField()
    base_total = serializers.DecimalField(max_digits=10, decimal_places=2)
    categories = CategoryScoreSerializer(many=True)
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    rows = PassbookRowSerializer(many=True)


class SchemeQuerySerializer(serializers.Serializer):
    scheme = VisiblePrimaryKeyRelatedField(visible=in_township(Scheme), queryset=_empty(Scheme))


class ScoreQuerySerializer(SchemeQuerySerializer):
    village = VisiblePrimaryKeyRelatedField(
        visible=villages_visible_to, queryset=_empty(Village), required=False
    )
    period = serializers.CharField(
        max_length=10, required=False, help_text="Only this period's entries, e.g. 2026-Q1."
    )


class ScoreViewSet(TownshipScopedViewSet):
    """Scores of the households taking part that the member may see: each category's score (base + approved
    entries, clamped to its floor and ceiling) and the total, highest first. Computed by the database per page."""

    queryset = _empty(Household)
    serializer_class = ScoreSerializer
    filter_backends = []
    routed_actions = {"list"}

    def scoped_queryset(self):
        return households_visible_to(self.membership).taking_part()

    @extend_schema(parameters=[ScoreQuerySerializer])
    def list(self, request, *args, **kwargs):
        query = ScoreQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        scheme, village = query.validated_data["scheme"], query.validated_data.get("village")
        households = self.get_queryset()
        if village is not None:
            households = households.filter(village=village)
        # Highest total first: each page is one statement of the score rule (scoring.selectors.ScoreList).
        page = self.paginate_queryset(
            ScoreList(scheme, households, period=query.validated_data.get("period"))
        )
        context = {**self.get_serializer_context(), "categories": list(scheme.categories.all())}
        return self.get_paginated_response(ScoreSerializer(page, many=True, context=context).data)


class PassbookViewSet(TownshipScopedViewSet):
    """行为银行存折 of one household the member may see, for one scheme (`?scheme=`)."""

    queryset = _empty(Household)
    serializer_class = PassbookSerializer
    lookup_url_kwarg = "household_id"
    filter_backends = []

    def scoped_queryset(self):
        return households_visible_to(self.membership)

    @extend_schema(parameters=[SchemeQuerySerializer])
    def retrieve(self, request, *args, **kwargs):
        household = self.get_object()  # 404 before 400: an unseen household is never confirmed
        query = SchemeQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        scheme = query.validated_data["scheme"]
        book = passbook(household, scheme)
        data = {
            "household": household.pk,
            "number": household.number,
            "scheme": scheme.pk,
            "year": scheme.year,
            "base_total": book["base_total"],
            "categories": [
                {"category": category.pk, "name": category.name, "score": score}
                for category, score in book["categories"]
            ],
            "total": book["total"],
            "rows": book["rows"],
        }
        return Response(PassbookSerializer(data, context=self.get_serializer_context()).data)
