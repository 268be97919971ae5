"""Rewards: star ratings (星级文明户), rewards per star level and their budget, and the points supermarket (积分超市).

The models live by purpose in `stars`, `budgets` and `shop`; every one is importable from `rewards.models`."""

from .budgets import (
    DEFAULT_PER_RESIDENT,
    PER_RESIDENT_KINDS,
    Budget,
    FundingKind,
    FundingLine,
    RewardAllocation,
    RewardLevel,
)
from .prizes import PrizeList, PrizeListState, PrizeTier, TermPrize
from .shop import (
    MAX_STOCK,
    Product,
    ProductSource,
    Redemption,
    RedemptionLine,
    Shop,
    StockMove,
    StockReason,
    product_photo_path,
)
from .stars import (
    RATED_STATUSES,
    SpendableBasis,
    StaleCause,
    StarResult,
    StarRule,
    StarRun,
    StarRunState,
    StarRunVillage,
    StarVillageOverride,
    VillageRating,
)
from .year_end import SpendableClearing, SpentBalance

__all__ = [
    "MAX_STOCK",
    "SpendableClearing",
    "SpentBalance",
    "StarRunState",
    "StaleCause",
    "StarRun",
    "SpendableBasis",
    "StarRule",
    "StarVillageOverride",
    "VillageRating",
    "RATED_STATUSES",
    "StarRunVillage",
    "StarResult",
    "RewardLevel",
    "Budget",
    "FundingKind",
    "PER_RESIDENT_KINDS",
    "DEFAULT_PER_RESIDENT",
    "FundingLine",
    "RewardAllocation",
    "Shop",
    "ProductSource",
    "product_photo_path",
    "Product",
    "StockReason",
    "StockMove",
    "Redemption",
    "RedemptionLine",
    "PrizeList",
    "PrizeListState",
    "PrizeTier",
    "TermPrize",
]
