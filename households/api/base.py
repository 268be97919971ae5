"""The one API base class that does the scoping (PostHog/NetBox style).

It takes the township from the URL, checks the membership after authentication, opens the township scope for the
whole request and restricts the queryset before any handler runs. Subclasses implement `scoped_queryset()` and
add filters; they never replace `get_queryset()`. Outsiders get 404, read-only members 403 on writes.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, filters, serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from ..errors import DomainError
from ..models import Township
from ..permissions import Action, can, can_see, enter_township
from ..tenancy import render_in_scope, township_scope


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# A 400 names the fields that need fixing: {"field": ["message", ...]} (nested for nested input) or {"detail": ...}.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "What to fix, by field name (non_field_errors for the whole object).",
    "additionalProperties": {},
}


class TownshipAutoSchema(AutoSchema):
    """Declares the error answers every township route can give, so clients (and schemathesis) expect them."""

    def get_tags(self):
        basename = getattr(self.view, "basename", None)  # set by the router: villages, areas, households, …
        return [basename] if basename else super().get_tags()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {"400": VALIDATION_ERROR_SCHEMA, "403": ErrorDetailSerializer, "404": ErrorDetailSerializer}
        # A write whose body DRF cannot parse as any of the declared media types.
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = ErrorDetailSerializer
        for code, body in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(body, code, direction=direction)
        return responses


class NulSafeSearchFilter(filters.SearchFilter):
    """PostgreSQL refuses NUL characters in text: answer 400 instead of letting the query fail with a 500."""

    def get_search_terms(self, request):
        if "\x00" in request.query_params.get(self.search_param, ""):
            raise exceptions.ValidationError(
                {self.search_param: [_("Remove the NUL character from the search.")]}
            )
        return super().get_search_terms(request)


class TownshipScopedViewSet(viewsets.ModelViewSet):
    write_action: Action = Action.EDIT_ROSTER
    schema = TownshipAutoSchema()
    filter_backends = [DjangoFilterBackend, NulSafeSearchFilter, filters.OrderingFilter]

    def dispatch(self, request, *args, **kwargs):
        township = Township.objects.filter(slug=kwargs.get("township_slug", "")).first()
        if township is None:
            return super().dispatch(request, *args, **kwargs)  # initial() answers 404
        with township_scope(township):
            return render_in_scope(super().dispatch(request, *args, **kwargs))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication first: token users are known only now
        self.township, self.membership = enter_township(request.user, kwargs.get("township_slug", ""))
        if request.method not in SAFE_METHODS and not can(self.membership, self.write_action):
            if (self.lookup_url_kwarg or self.lookup_field) in kwargs:
                self.get_object()  # 404 first: a read-only member must not learn that an unseen object exists
            raise exceptions.PermissionDenied(_("Your role does not allow this."))

    def scoped_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular introspection: no township
            return self.queryset.none() if self.queryset is not None else None
        return self.scoped_queryset()

    def recheck(self, obj):
        """After a write, the object must still be inside what the member may see (else the write rolls back)."""
        if not can_see(self.membership, obj):
            raise Http404
        return obj


def not_found(request, exception):
    """The project's handler404: a URL under /api/ that matches no route answers JSON like every other API 404."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Not found."))}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    """The project's handler400 (a SuspiciousOperation, e.g. more form fields than Django accepts): JSON under /api/."""
    if request.path.startswith("/api/"):
        # DRF's own message for an unparsable request, translated by DRF's catalog.
        return JsonResponse({"detail": str(_("Malformed request."))}, status=status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


def exception_handler(exc, context):
    if isinstance(exc, DomainError | DjangoValidationError):
        set_rollback()  # ATOMIC_REQUESTS: nothing written earlier in this request survives a 400
    if isinstance(exc, DomainError):
        key = exc.field or "non_field_errors"
        body = {key: [str(exc.message)]}
        if exc.code != "invalid":  # a refusal a client can act on says which (notice_required, own_area, …)
            body["code"] = exc.code
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
