"""Every change of the rewards' state: star ratings, budgets and rewards, the points supermarket."""

from .budget import (
    add_funding,
    allocate_rewards,
    cancel_allocation,
    open_budget,
    recount_residents,
    set_reward_level,
)
from .shop import add_product, cancel_redemption, move_stock, open_shop, redeem, update_product, update_shop
from .stars import (
    Bands,
    RankedHousehold,
    bands_of,
    fingerprint,
    publish_run,
    rank_households,
    rate_stars,
    set_reward_settings,
)

__all__ = [
    "Bands",
    "RankedHousehold",
    "add_funding",
    "add_product",
    "allocate_rewards",
    "bands_of",
    "cancel_allocation",
    "cancel_redemption",
    "fingerprint",
    "move_stock",
    "open_budget",
    "open_shop",
    "publish_run",
    "rank_households",
    "rate_stars",
    "recount_residents",
    "redeem",
    "set_reward_level",
    "set_reward_settings",
    "update_product",
    "update_shop",
]
