"""Routes under /api/v1/t/<township_slug>/ (a SimpleRouter: no API root, so nothing answers an outsider's slug)."""

from rest_framework.routers import SimpleRouter

from .roster import AreaViewSet, HouseholdViewSet, ResidentViewSet, VillageViewSet
from .units import UnitViewSet

app_name = "api"

router = SimpleRouter()
router.register("villages", VillageViewSet, basename="village")
router.register("areas", AreaViewSet, basename="area")
router.register("households", HouseholdViewSet, basename="household")
router.register("residents", ResidentViewSet, basename="resident")
router.register("units", UnitViewSet, basename="unit")

urlpatterns = router.urls
