"""The rewards pages under /t/<township_slug>/rewards/: star ratings, budgets and rewards, the supermarket."""

from . import budgets, prizes, shop, stars

urlpatterns = [*stars.urlpatterns, *budgets.urlpatterns, *shop.urlpatterns, *prizes.urlpatterns]
