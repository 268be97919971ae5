"""Every change of the rewards' state: star ratings, budgets and rewards, the points supermarket.

Each service takes the acting member (`membership=`) and checks its own right (tests/contract.py). The star
rule's reads (`Bands`, `bands_of`, `proposed_stars`, `stale_reason`, …) live in rewards.selectors; they are
re-exported here for the callers that knew them as services."""

from ..selectors import (
    Bands,
    TieBreak,
    band_overflow,
    bands_of,
    proposed_stars,
    stale_reason,
    star_rule,
    tie_break_of,
)
from .budget import (
    add_funding,
    allocate_rewards,
    cancel_allocation,
    open_budget,
    recount_residents,
    set_reward_level,
)
from .prizes import award_special_prize, compute_term_prizes, hand_out_prize, publish_prize_list
from .shop import (
    add_product,
    cancel_redemption,
    move_stock,
    open_shop,
    redeem,
    redeem_or_replay,
    update_product,
    update_shop,
)
from .stars import (
    override_village_round,
    publish_run,
    rate_stars,
    set_reward_settings,
    set_star_rule,
)
from .year_end import close_year

__all__ = [
    "close_year",
    "award_special_prize",
    "compute_term_prizes",
    "hand_out_prize",
    "publish_prize_list",
    "Bands",
    "TieBreak",
    "add_funding",
    "add_product",
    "allocate_rewards",
    "band_overflow",
    "bands_of",
    "cancel_allocation",
    "cancel_redemption",
    "move_stock",
    "open_budget",
    "open_shop",
    "override_village_round",
    "proposed_stars",
    "publish_run",
    "rate_stars",
    "recount_residents",
    "redeem",
    "redeem_or_replay",
    "set_reward_level",
    "set_reward_settings",
    "set_star_rule",
    "stale_reason",
    "star_rule",
    "tie_break_of",
    "update_product",
    "update_shop",
]
