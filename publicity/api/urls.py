"""Publicity routes under /api/v1/t/<township_slug>/ (a SimpleRouter: no API root).

The reward slips hang under the review router's `claims/<id>/` and `rounds/<id>/`: that router has no route of
that shape, so the URL resolver falls through to these.
"""

from django.urls import path

from scoring.api.urls import Router

from .policies import IncentivePolicyViewSet
from .slips import SlipViewSet

app_name = "publicity_api"

router = Router()
router.register("incentive-policies", IncentivePolicyViewSet, basename="incentive-policy")

urlpatterns = [
    *router.urls,
    path(
        "claims/<int:pk>/slip.pdf",
        SlipViewSet.as_view({"get": "claim"}, basename="slip"),
        name="claim-slip",
    ),
    path(
        "rounds/<int:pk>/slips.pdf",
        SlipViewSet.as_view({"get": "batch"}, basename="slip"),
        name="batch-slips",
    ),
]
