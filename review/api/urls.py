"""Review routes under /api/v1/t/<township_slug>/ (a SimpleRouter: no API root, so nothing answers an outsider)."""

from scoring.api.urls import Router

from .appeals import AppealViewSet, SelfDeclarationViewSet
from .claims import ClaimViewSet
from .decisions import DeclarationViewSet, ObjectionViewSet
from .panels import PanelViewSet
from .rounds import RoundViewSet

app_name = "review_api"

router = Router()
router.register("panels", PanelViewSet, basename="panel")
router.register("rounds", RoundViewSet, basename="round")
router.register("declarations", DeclarationViewSet, basename="declaration")
router.register("objections", ObjectionViewSet, basename="objection")
router.register("claims", ClaimViewSet, basename="claim")
router.register("self-declarations", SelfDeclarationViewSet, basename="self-declaration")
router.register("appeals", AppealViewSet, basename="appeal")

urlpatterns = router.urls
