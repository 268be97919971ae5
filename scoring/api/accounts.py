"""REST endpoints for points accounts (issue 14): `accounts/` (find one: `?kind=`, `?search=` by household number,
villager's or unit's name), `accounts/{id}/passbook/?scheme=` (行为银行存折 of any kind of account) and
`rankings/?scheme=&list=` (each list's ranking: families, villagers, party members, units), among the accounts the
member may see."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import TownshipScopedViewSet
from core.permissions import restrict_to_visible
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty

from ..models import Account, AccountKind, RankingList, Scheme
from ..rankings import Ranking, lists_of
from ..selectors import passbook
from .schemes import in_township
from .scores import CategoryScoreSerializer, PassbookRowSerializer, SchemeQuerySerializer


class AccountSerializer(serializers.ModelSerializer):
    holder = serializers.CharField(source="holder_name", read_only=True)
    is_party_member = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "kind",
            "holder",
            "household",
            "resident",
            "unit",
            "village",
            "area",
            "is_party_member",
        ]
        read_only_fields = fields

    def get_is_party_member(self, account) -> bool:
        return account.resident is not None and account.resident.is_party_member


class AccountPassbookSerializer(serializers.Serializer):
    account = AccountSerializer()
    scheme = serializers.IntegerField()
    base_total = serializers.DecimalField(max_digits=10, decimal_places=2)
    categories = CategoryScoreSerializer(many=True)
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    rows = PassbookRowSerializer(many=True)


class AccountViewSet(TownshipScopedViewSet):
    """Points accounts the member may see: families', villagers' and units'."""

    queryset = _empty(Account)
    serializer_class = AccountSerializer
    routed_actions = {"list", "retrieve"}
    search_fields = ["household__number", "resident__name", "resident__household__number", "unit__name"]
    filterset_fields = ["kind", "village"]

    def scoped_queryset(self):
        return restrict_to_visible(self.membership, Account.objects.all()).select_related(
            "household", "resident", "unit"
        )

    @extend_schema(parameters=[SchemeQuerySerializer], responses={200: AccountPassbookSerializer})
    @action(detail=True, methods=["get"])
    def passbook(self, request, *args, **kwargs):
        """The account's passbook in one scheme: every entry with the running total, the scores and the total."""
        account = self.get_object()  # 404 before 400: an unseen account is never confirmed
        query = SchemeQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        scheme = query.validated_data["scheme"]
        if account.kind not in scheme.account_kinds:
            raise ValidationError({"scheme": ["This scheme keeps no accounts of this kind."]})
        book = passbook(account, scheme)
        data = {
            "account": account,
            "scheme": scheme.pk,
            "base_total": book["base_total"],
            "categories": [
                {"category": category.pk, "name": category.name, "score": score}
                for category, score in book["categories"]
            ],
            "total": book["total"],
            "rows": book["rows"],
        }
        return Response(AccountPassbookSerializer(data, context=self.get_serializer_context()).data)


class RankedSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account_id")
    rank = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    kind = serializers.ChoiceField(choices=AccountKind.choices)
    number = serializers.CharField(help_text="The household's number (a villager's: their household's).")
    name = serializers.CharField()
    village = serializers.CharField()
    area = serializers.CharField()


class RankingQuerySerializer(serializers.Serializer):
    scheme = VisiblePrimaryKeyRelatedField(visible=in_township(Scheme), queryset=_empty(Scheme))
    list = serializers.ChoiceField(choices=RankingList.choices)
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="A carried-forward scheme ranked by the year.",
    )

    def validate(self, attrs):
        if attrs["list"] not in lists_of(attrs["scheme"]):
            raise ValidationError({"list": ["This scheme keeps no accounts of this list's kind."]})
        return attrs


class RankingViewSet(TownshipScopedViewSet):
    """One list's ranking in a scheme, highest total first (equal totals share a rank), paginated."""

    queryset = _empty(Account)
    serializer_class = RankedSerializer
    filter_backends = []
    routed_actions = {"list"}

    def scoped_queryset(self):
        return restrict_to_visible(self.membership, Account.objects.all())

    @extend_schema(parameters=[RankingQuerySerializer])
    def list(self, request, *args, **kwargs):
        query = RankingQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        ranking = Ranking(data["scheme"], data["list"], membership=self.membership, year=data.get("year"))
        page = self.paginate_queryset(ranking)
        return self.get_paginated_response(RankedSerializer(page, many=True).data)
