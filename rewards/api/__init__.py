"""REST endpoints of the rewards: star ratings and reward levels, budgets and allocations, the points supermarket."""
