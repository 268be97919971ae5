"""Scoring routes under /api/v1/t/<township_slug>/ (a SimpleRouter: no API root, so nothing answers an outsider).

The passbook hangs under the roster's `households/<id>/`: the roster router has no route of that shape, so the
URL resolver falls through to this one.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .accounts import AccountViewSet, RankingViewSet
from .alerts import AlertViewSet
from .ledger import EntryViewSet
from .limits import StudyListViewSet
from .roles import RoleAssignmentViewSet, RoleChangeViewSet
from .schemes import CategoryViewSet, ItemViewSet, RoleRuleViewSet, SchemeViewSet
from .scores import PassbookViewSet, ScoreViewSet
from .transfers import TransferViewSet

app_name = "scoring_api"

STANDARD_ACTIONS = {"list", "create", "retrieve", "update", "partial_update", "destroy"}


class Router(SimpleRouter):
    """Routes only the standard actions a viewset names in `routed_actions` (all of them when it names none).

    TownshipScopedViewSet is a ModelViewSet: a list-only endpoint must not grow create, update or detail routes.
    """

    def get_method_map(self, viewset, method_map):
        mapping = super().get_method_map(viewset, method_map)
        routed = getattr(viewset, "routed_actions", STANDARD_ACTIONS)
        return {
            method: name for method, name in mapping.items() if name in routed or name not in STANDARD_ACTIONS
        }


router = Router()
router.register("schemes", SchemeViewSet, basename="scheme")
router.register("categories", CategoryViewSet, basename="category")
router.register("items", ItemViewSet, basename="item")
router.register("role-rules", RoleRuleViewSet, basename="role-rule")
router.register("role-assignments", RoleAssignmentViewSet, basename="role-assignment")
router.register("role-changes", RoleChangeViewSet, basename="role-change")
router.register("entries", EntryViewSet, basename="entry")
router.register("scores", ScoreViewSet, basename="score")
router.register("alerts", AlertViewSet, basename="alert")
router.register("study-lists", StudyListViewSet, basename="study-list")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("accounts", AccountViewSet, basename="account")
router.register("rankings", RankingViewSet, basename="ranking")

urlpatterns = [
    *router.urls,
    path(
        "households/<int:household_id>/passbook/",
        PassbookViewSet.as_view({"get": "retrieve"}, basename="passbook"),
        name="household-passbook",
    ),
]
