"""The county's and the city's side under /api/v1/r/<region_slug>/demonstration/.

A member of a region (officer or viewer) reads the calls it sees and the applications of its townships (a county:
its own townships; a city: all of its counties'). Officers open and move their region's calls, pre-select (county)
and score, select and award (the call's region). An outsider is told "not found" (404), a viewer 403 on writes.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from core.api import APIDefaults
from core.permissions import is_region_read_only
from core.views import parse_id
from households.api.roster import _empty
from scoring.api.urls import Router

from .. import selectors, services
from ..models import Application, Call, CallMove
from ..selectors import calls_seen_by_region, enter_region
from .serializers import (
    ApplicationSerializer,
    CallCreateSerializer,
    CallMoveRequestSerializer,
    CallSerializer,
    RegionMoveSerializer,
)


class RegionViewSet(APIDefaults, viewsets.GenericViewSet):
    """Enters the region from the URL after authentication: outsiders 404, viewers 403 on writes."""

    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.region, self.region_membership = enter_region(request.user, kwargs.get("region_slug", ""))
        if request.method not in SAFE_METHODS and is_region_read_only(self.region_membership):
            if "pk" in kwargs:
                self.get_object()  # 404 first for what the member cannot see
            raise exceptions.PermissionDenied(_("Your role does not allow this."))


def _pk(kwargs) -> int:
    pk = parse_id(kwargs.get("pk"))
    if pk is None:
        raise Http404
    return pk


class RegionCallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegionViewSet):
    """Calls of the region (and a county sees its city's, a city its counties')."""

    queryset = Call.objects.none()
    serializer_class = CallSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Call.objects.none()
        return (
            calls_seen_by_region(self.region)
            .select_related("region", "created_by")
            .prefetch_related(Prefetch("moves", queryset=CallMove.objects.select_related("actor")))
            .order_by("-applications_open_on", "-id")
        )

    def _detail(self, call, code=status.HTTP_200_OK):
        return Response(CallSerializer(self.get_queryset().get(pk=call.pk)).data, status=code)

    @extend_schema(request=CallCreateSerializer, responses={201: CallSerializer})
    def create(self, request, *args, **kwargs):
        """Open a call of this region, in draft (an officer)."""
        serializer = CallCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        call = services.create_call(
            membership=self.region_membership, region=self.region, **serializer.validated_data
        )
        return self._detail(call, status.HTTP_201_CREATED)

    @extend_schema(request=CallMoveRequestSerializer, responses={200: CallSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, *args, **kwargs):
        """open, close_applications, start_selection, publish_result, close (an officer of the call's region)."""
        call = self.get_object()
        serializer = CallMoveRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.move_call(membership=self.region_membership, call=call, **serializer.validated_data)
        return self._detail(call)


class RegionApplicationViewSet(RegionViewSet):
    """The applications of the region's townships to the calls it sees, with their figures and trail."""

    queryset = _empty(Application)
    serializer_class = ApplicationSerializer

    def get_object(self):
        rows = selectors.applications_for_region(self.region, pk=_pk(self.kwargs))
        if not rows:
            raise Http404
        return rows[0]

    def _detail(self, application):
        data = ApplicationSerializer(self.get_object(), context=self.get_serializer_context()).data
        return Response(data)

    @extend_schema(
        parameters=[OpenApiParameter("call", OpenApiTypes.INT, description="Only this call's applications.")],
        responses={200: ApplicationSerializer(many=True)},
    )
    def list(self, request, *args, **kwargs):
        call = None
        raw = request.query_params.get("call", "")
        if raw:
            if not raw.isdigit() or len(raw) > 9:
                raise exceptions.ValidationError({"call": [_("A call id is a number.")]})
            call = calls_seen_by_region(self.region).filter(pk=int(raw)).first()
            if call is None:
                return self.get_paginated_response(self.paginate_queryset([]))
        rows = selectors.applications_for_region(self.region, call=call)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ApplicationSerializer(page, many=True).data)

    @extend_schema(responses={200: ApplicationSerializer})
    def retrieve(self, request, *args, **kwargs):
        return self._detail(None)

    @extend_schema(request=RegionMoveSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, *args, **kwargs):
        """preselect / not_preselect (the township's county, at most N per county), score, select / not_select
        (with a score), award (with an amount, within the budget) — the call's region."""
        application = self.get_object()
        serializer = RegionMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.decide_application(
            membership=self.region_membership, application=application, **serializer.validated_data
        )
        return self._detail(application)


router = Router()
router.register("demonstration/calls", RegionCallViewSet, basename="region-call")
router.register("demonstration/applications", RegionApplicationViewSet, basename="region-application")

app_name = "demonstration_region_api"
urlpatterns = router.urls
