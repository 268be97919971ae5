"""Rewards routes under /api/v1/t/<township_slug>/ (a SimpleRouter: no API root, so nothing answers an outsider).

Three routes hang under other apps' resources: `schemes/<id>/rate-stars/` and `schemes/<id>/reward-settings/`
(scoring's schemes) and
`households/<id>/balance/` (the roster's households); their routers have no route of that shape, so the URL
resolver falls through to these.
"""

from django.urls import path

from scoring.api.urls import Router

from .budgets import AllocationViewSet, BudgetViewSet, FundingLineViewSet
from .counter import BalanceViewSet, CounterAccountViewSet, CounterHouseholdViewSet, ShopParticipationViewSet
from .redemptions import RedemptionViewSet
from .shop import ProductViewSet, ShopViewSet, StockMoveViewSet
from .stars import RewardLevelViewSet, SchemeRewardSettingsViewSet, SchemeStarsViewSet, StarRunViewSet

app_name = "rewards_api"

router = Router()
router.register("star-runs", StarRunViewSet, basename="star-run")
router.register("reward-levels", RewardLevelViewSet, basename="reward-level")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("funding-lines", FundingLineViewSet, basename="funding-line")
router.register("allocations", AllocationViewSet, basename="allocation")
router.register("shops", ShopViewSet, basename="shop")
router.register("products", ProductViewSet, basename="product")
router.register("stock-moves", StockMoveViewSet, basename="stock-move")
router.register("redemptions", RedemptionViewSet, basename="redemption")
router.register("counter/households", CounterHouseholdViewSet, basename="counter-household")
router.register("counter/accounts", CounterAccountViewSet, basename="counter-account")
router.register("shop-participation", ShopParticipationViewSet, basename="shop-participation")

urlpatterns = [
    *router.urls,
    path(
        "schemes/<int:scheme_id>/rate-stars/",
        SchemeStarsViewSet.as_view({"post": "rate"}, basename="scheme-stars"),
        name="scheme-rate-stars",
    ),
    path(
        "schemes/<int:scheme_id>/reward-settings/",
        SchemeRewardSettingsViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update"}, basename="scheme-reward-settings"
        ),
        name="scheme-reward-settings",
    ),
    path(
        "households/<int:household_id>/balance/",
        BalanceViewSet.as_view({"get": "retrieve"}, basename="balance"),
        name="household-balance",
    ),
]
