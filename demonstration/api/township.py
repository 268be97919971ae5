"""The township's side under /api/v1/t/<township_slug>/demonstration/: the calls open to its villages, and the
applications of its villages (a clerk sees only their villages'). A village applies with its form (multipart);
the township office publishes, forwards or refuses. Another township's application is "not found" (404)."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api import TownshipScopedViewSet
from households.api.roster import VisiblePrimaryKeyRelatedField, _empty
from households.models import Village
from households.selectors import villages_visible_to
from scoring.api.urls import Router

from .. import selectors, services
from ..models import Application, ApplicationMove, Call
from ..moves import VILLAGE_RIGHT
from ..selectors import township_calls
from .serializers import ApplicationSerializer, CallSerializer, TownshipMoveSerializer

APPLICATION_MULTIPART = {
    "type": "object",
    "properties": {
        "call": {"type": "integer"},
        "village": {"type": "integer"},
        "statement": {"type": "string"},
        "form": {"type": "string", "format": "binary", "description": "PDF, Word (.docx), JPEG or PNG."},
    },
    "required": ["call", "village", "form"],
}


class OpenCallField(serializers.PrimaryKeyRelatedField):
    """A call of the township's county or city (another region's call reads "does not exist")."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Call.objects.none(), **kwargs)

    def get_queryset(self):
        view = self.context.get("view")
        township = getattr(view, "township", None)
        return Call.objects.none() if township is None else township_calls(township)


class ApplyRequestSerializer(serializers.Serializer):
    call = OpenCallField()
    village = VisiblePrimaryKeyRelatedField(visible=villages_visible_to, queryset=_empty(Village))
    statement = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    form = serializers.FileField(help_text="The application form: PDF, Word (.docx), JPEG or PNG.")


class TownshipCallViewSet(TownshipScopedViewSet):
    """Calls of the township's county and city (once opened)."""

    queryset = Call.objects.none()
    serializer_class = CallSerializer
    routed_actions = {"list", "retrieve"}
    filter_backends = []

    def scoped_queryset(self):
        return township_calls(self.township)


def _trail():
    return Prefetch("moves", queryset=ApplicationMove.objects.select_related("actor").order_by("at", "id"))


class TownshipApplicationViewSet(TownshipScopedViewSet):
    """申报: the applications of the villages the member sees. Nothing is deleted (the trail is kept)."""

    queryset = _empty(Application)
    serializer_class = ApplicationSerializer
    routed_actions = {"list", "retrieve", "create"}
    write_action = VILLAGE_RIGHT  # the office and the clerks; the service checks each move's right
    filter_backends = []
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def scoped_queryset(self):
        rows = selectors.applications_visible_to(self.membership).prefetch_related(_trail())
        call = self.request.query_params.get("call", "")
        if call.isdigit() and len(call) < 10:
            rows = rows.filter(call_id=int(call))
        return rows.order_by("-applied_at", "-id")

    @extend_schema(
        parameters=[OpenApiParameter("call", OpenApiTypes.INT, description="Only this call's applications.")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _detail(self, application, code=status.HTTP_200_OK) -> Response:
        fresh = self.scoped_queryset().get(pk=application.pk)
        return Response(ApplicationSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        request={"multipart/form-data": APPLICATION_MULTIPART}, responses={201: ApplicationSerializer}
    )
    def create(self, request, *args, **kwargs):
        """A village applies with its form; its figures are taken now and kept with the application.
        Refused (400, saying why) below the call's supermarket threshold, outside the dates, or a second time."""
        serializer = ApplyRequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        application = services.apply(membership=self.membership, **serializer.validated_data)
        return self._detail(application, status.HTTP_201_CREATED)

    @extend_schema(request=TownshipMoveSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, *args, **kwargs):
        """publish (公示), forward to the county, reject (with a reason) — the township office; withdraw — the
        village. A move the state refuses is a 400 that says why; a role that may not is 403."""
        application = self.get_object()
        serializer = TownshipMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.move_application(
            membership=self.membership, application=application, move=data["move"], comment=data["comment"]
        )
        return self._detail(application)


router = Router()
router.register("demonstration/calls", TownshipCallViewSet, basename="demonstration-call")
router.register(
    "demonstration/applications", TownshipApplicationViewSet, basename="demonstration-application"
)

app_name = "demonstration_api"
urlpatterns = router.urls
