"""Routes under /api/v1/t/<township_slug>/ (a SimpleRouter: no API root, so nothing answers an outsider's slug)."""

from rest_framework.routers import SimpleRouter

from .roster import AreaViewSet, HouseholdViewSet, ResidentViewSet, VillageViewSet

app_name = "api"

router = SimpleRouter()
router.register("villages", VillageViewSet, basename="village")
router.register("areas", AreaViewSet, basename="area")
router.register("households", HouseholdViewSet, basename="household")
router.register("residents", ResidentViewSet, basename="resident")

urlpatterns = router.urls
