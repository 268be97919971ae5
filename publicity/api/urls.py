"""Publicity routes under /api/v1/t/<township_slug>/ (a SimpleRouter: no API root)."""

from scoring.api.urls import Router

from .policies import IncentivePolicyViewSet

app_name = "publicity_api"

router = Router()
router.register("incentive-policies", IncentivePolicyViewSet, basename="incentive-policy")

urlpatterns = [*router.urls]
