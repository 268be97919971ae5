"""The counter's household search (number, name, mobile or the card's QR text) with each household's spendable
balance, its search over accounts of every kind (a family's as the household search finds it, a villager's by name or
mobile, a unit's by name or contact mobile) with each account's balance, one household's balance, and the supermarket's participation per village (seed 3: 30 % for a
demonstration village). Read-only; households are those the member sees (a county viewer sees none).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api import Pagination
from households.api.roster import _empty
from households.models import Household, Village
from households.selectors import households_visible_to, villages_visible_to
from scoring.models import Account, AccountKind

from ..selectors import (
    accounts_visible_to,
    card_code,
    family_accounts,
    find_accounts,
    find_households,
    shop_participation,
    spendable_balance,
    spendable_balances,
)
from .common import RewardsViewSet, YearQuerySerializer


class CounterPagination(Pagination):
    page_size = 10  # what the counter's screen shows; `page_size` asks for more


# The counter -------------------------------------------------------------------------------------------------------


class BalanceSerializer(serializers.Serializer):
    """A household's spendable points: earned (what the scheme lets it spend), spent, available. Spending never
    lowers the score used for ranking."""

    household = serializers.IntegerField()
    number = serializers.CharField()
    year = serializers.IntegerField()
    earned = serializers.DecimalField(max_digits=12, decimal_places=2)
    spent = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.DecimalField(max_digits=12, decimal_places=2)


class CounterHouseholdSerializer(BalanceSerializer):
    village = serializers.IntegerField()
    village_name = serializers.CharField()
    members = serializers.ListField(
        child=serializers.CharField(), help_text="The residents' names, head first."
    )
    card_code = serializers.CharField(help_text="The text of the QR code on the household's card.")


class CounterQuerySerializer(YearQuerySerializer):
    search = serializers.CharField(
        max_length=100,
        help_text="A household number (or its start), a resident's name or mobile, or the card's QR text "
        "(JIFEN-HH:<township>:<number>).",
    )


def balance_row(household, year: int) -> dict:
    balance = spendable_balance(household, year=year)
    return {
        "household": household.pk,
        "number": household.number,
        "year": year,
        "earned": balance.earned,
        "spent": balance.spent,
        "available": balance.available,
    }


class CounterHouseholdViewSet(RewardsViewSet):
    """The counter's search: the households the member sees, ten a page, each with its spendable balance."""

    queryset = _empty(Household)
    serializer_class = CounterHouseholdSerializer
    filter_backends = []
    pagination_class = CounterPagination
    routed_actions = {"list"}

    def scoped_queryset(self):
        return households_visible_to(self.membership)

    @extend_schema(parameters=[CounterQuerySerializer])
    def list(self, request, *args, **kwargs):
        query = CounterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data["year"]
        found = self.paginate_queryset(
            find_households(self.get_queryset(), query.validated_data["search"])
            .select_related("village", "township")
            .prefetch_related("members")
        )
        accounts = family_accounts(list(found))
        balances = spendable_balances(list(accounts.values()), year=year)
        rows = []
        for household in found:
            current = [r for r in household.members.all() if r.ended_on is None]  # former members stay out
            members = sorted(current, key=lambda r: (not r.is_head, r.pk))
            balance = balances[accounts[household.pk].pk]
            rows.append(
                {
                    "household": household.pk,
                    "number": household.number,
                    "year": year,
                    "earned": balance.earned,
                    "spent": balance.spent,
                    "available": balance.available,
                    "village": household.village_id,
                    "village_name": household.village.name,
                    "members": [resident.name for resident in members],
                    "card_code": card_code(household),
                }
            )
        return self.get_paginated_response(CounterHouseholdSerializer(rows, many=True).data)


class CounterAccountSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    account_kind = serializers.ChoiceField(choices=AccountKind.choices)
    holder = serializers.CharField(help_text="The household's number, the villager's or the unit's name.")
    household = serializers.IntegerField(allow_null=True, help_text="Set for a family's account only.")
    village = serializers.IntegerField()
    village_name = serializers.CharField()
    year = serializers.IntegerField()
    earned = serializers.DecimalField(max_digits=12, decimal_places=2)
    spent = serializers.DecimalField(max_digits=12, decimal_places=2)
    available = serializers.DecimalField(max_digits=12, decimal_places=2)


class CounterAccountQuerySerializer(YearQuerySerializer):
    search = serializers.CharField(
        max_length=100,
        help_text="A household number (or its start), a member's name or mobile, the card's QR text "
        "(JIFEN-HH:<township>:<number>); a villager's name or mobile; a unit's name or contact mobile.",
    )
    village = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Only this village's accounts (its counter).",
    )


class CounterAccountViewSet(RewardsViewSet):
    """The counter's search over accounts of every kind the member sees, ten a page, each with its spendable
    balance (a constant number of queries, whatever the page holds)."""

    queryset = _empty(Account)
    serializer_class = CounterAccountSerializer
    filter_backends = []
    pagination_class = CounterPagination
    routed_actions = {"list"}

    def scoped_queryset(self):
        return accounts_visible_to(self.membership)

    @extend_schema(parameters=[CounterAccountQuerySerializer])
    def list(self, request, *args, **kwargs):
        query = CounterAccountQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data["year"]
        accounts, households = self.get_queryset(), households_visible_to(self.membership)
        if "village" in query.validated_data:
            accounts = accounts.filter(village_id=query.validated_data["village"])
            households = households.filter(village_id=query.validated_data["village"])
        found = self.paginate_queryset(
            find_accounts(accounts, households, query.validated_data["search"]).select_related(
                "village", "household", "resident", "unit"
            )
        )
        balances = spendable_balances(found, year=year)
        rows = [
            {
                "account": account.pk,
                "account_kind": account.kind,
                "holder": account.holder_name,
                "household": account.household_id,
                "village": account.village_id,
                "village_name": account.village.name,
                "year": year,
                "earned": balances[account.pk].earned,
                "spent": balances[account.pk].spent,
                "available": balances[account.pk].available,
            }
            for account in found
        ]
        return self.get_paginated_response(CounterAccountSerializer(rows, many=True).data)


class BalanceViewSet(RewardsViewSet):
    """A household's spendable balance for a year (`?year=`, default this year)."""

    queryset = _empty(Household)
    serializer_class = BalanceSerializer
    lookup_url_kwarg = "household_id"
    filter_backends = []

    def scoped_queryset(self):
        return households_visible_to(self.membership)

    @extend_schema(parameters=[YearQuerySerializer])
    def retrieve(self, request, *args, **kwargs):
        household = self.get_object()  # 404 before 400: an unseen household is never confirmed
        query = YearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(BalanceSerializer(balance_row(household, query.validated_data["year"])).data)


# Participation -----------------------------------------------------------------------------------------------------


class ParticipationSerializer(serializers.Serializer):
    village = serializers.IntegerField()
    village_name = serializers.CharField()
    year = serializers.IntegerField()
    households_redeemed = serializers.IntegerField()
    households_taking_part = serializers.IntegerField()
    residents_redeemed = serializers.IntegerField()
    residents_taking_part = serializers.IntegerField()
    household_share = serializers.DecimalField(max_digits=4, decimal_places=1, help_text="Percent.")
    resident_share = serializers.DecimalField(
        max_digits=4, decimal_places=1, help_text="Percent (a demonstration village needs 30)."
    )


class ShopParticipationViewSet(RewardsViewSet):
    """Per village the member sees: the share of households and of residents taking part that redeemed in the
    year (redemptions that stand)."""

    queryset = _empty(Village)
    serializer_class = ParticipationSerializer
    filter_backends = []
    routed_actions = {"list"}

    def scoped_queryset(self):
        return villages_visible_to(self.membership).order_by("sort_key", "pk")

    @extend_schema(parameters=[YearQuerySerializer])
    def list(self, request, *args, **kwargs):
        query = YearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data["year"]
        villages = self.paginate_queryset(self.get_queryset())
        figures = shop_participation(year=year, village_ids=[v.pk for v in villages])
        rows = []
        for village in villages:
            p = figures[village.pk]
            rows.append(
                {
                    "village": village.pk,
                    "village_name": village.name,
                    "year": year,
                    "households_redeemed": p.households_redeemed,
                    "households_taking_part": p.households_taking_part,
                    "residents_redeemed": p.residents_redeemed,
                    "residents_taking_part": p.residents_taking_part,
                    "household_share": p.household_share,
                    "resident_share": p.resident_share,
                }
            )
        return self.get_paginated_response(ParticipationSerializer(rows, many=True).data)
