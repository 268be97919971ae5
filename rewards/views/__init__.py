"""The rewards pages under /t/<township_slug>/rewards/: star ratings, budgets and rewards, the supermarket."""

from . import budgets, prizes, shop, stars, year_end

urlpatterns = [
    *stars.urlpatterns,
    *budgets.urlpatterns,
    *shop.urlpatterns,
    *prizes.urlpatterns,
    *year_end.urlpatterns,
]
