"""The one API base class that does the scoping (PostHog/NetBox style).

It takes the township from the URL, checks the membership after authentication, opens the township scope for the
whole request and restricts the queryset before any handler runs. Subclasses implement `scoped_queryset()` and
add filters; they never replace `get_queryset()`. Outsiders get 404, read-only members 403 on writes.
"""

from contextlib import ExitStack
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, filters, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError

from .logs import log_denied
from .permissions import Action, can, can_see, enter_township
from .tenancy import render_in_scope, township_scope
from .views import MAX_ID  # noqa: F401 — ids in request bodies: the same limit as in URLs


class ErrorDetailSerializer(serializers.Serializer):
    """Every API error body (README, "API changelog"): what went wrong, in the request's language."""

    code = serializers.CharField(
        help_text="Stable and machine-readable: invalid, required, not_authenticated, permission_denied, not_found, "
        "method_not_allowed, throttled, parse_error, unsupported_media_type, or a refusal of the service "
        "(notice_required, own_area, …)."
    )
    detail = serializers.CharField(help_text="The message, in the request's language (zh-Hans by default).")
    field = serializers.CharField(
        allow_null=True, help_text="The input the message is about (dotted for nested input), or null."
    )


class ValidationErrorSerializer(ErrorDetailSerializer):
    """A 400: `code`, `detail` and `field` describe the first problem, `errors` all of them by field."""

    errors = serializers.DictField(  # type: ignore[assignment]  # the stubs type Serializer.errors, a field here
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Every message by field (dotted for nested input: `findings.0.item`); `non_field_errors` for "
        "the whole object.",
    )


class TownshipAutoSchema(AutoSchema):
    """Declares the error answers every township route can give, so clients (and schemathesis) expect them."""

    def get_tags(self) -> list[str]:
        basename = getattr(self.view, "basename", None)  # set by the router: villages, areas, households, …
        return [basename] if basename else super().get_tags()

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        errors = {
            "400": ValidationErrorSerializer,
            "401": ErrorDetailSerializer,
            "403": ErrorDetailSerializer,
            "404": ErrorDetailSerializer,
        }
        # A write whose body DRF cannot parse as any of the declared media types.
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = ErrorDetailSerializer
        for code, body in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(body, code, direction=direction)
        return responses


class NulSafeSearchFilter(filters.SearchFilter):
    """PostgreSQL refuses NUL characters in text: answer 400 instead of letting the query fail with a 500."""

    def get_search_terms(self, request: Any) -> list[str]:
        if "\x00" in request.query_params.get(self.search_param, ""):
            raise exceptions.ValidationError(
                {self.search_param: [_("Remove the NUL character from the search.")]}
            )
        return super().get_search_terms(request)


class FilterBackend(DjangoFilterBackend):
    """django-filter, building and validating only the filters the request names: the others would filter nothing,
    and their form fields were most of a list's filtering time (issue 19). The answer, its errors and their order
    are django-filter's own; the schema and the browsable API still show every filter."""

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        named = request.query_params
        filterset.filters = {name: filter_ for name, filter_ in filterset.filters.items() if name in named}
        if not filterset.filters:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise filter_utils.translate_validation(filterset.errors)
        return filterset.qs


# The furthest row a page may start at before PostgreSQL's OFFSET (a bigint) overflows: beyond it Django decides.
LAST_OFFSET = 2**62


class ShortPageCountingPaginator(Paginator):
    """Django's paginator that reads the page first: a page shorter than the page size ends the list, so the rows
    before it and on it are the count, and the COUNT query is left out (a household's ledger, a list's last page:
    issue 19). A full page counts as before; an empty page, a page number Django would refuse and orphans take
    Django's own path, with its answers and errors."""

    def page(self, number: Any) -> Page:
        if self.orphans or not (isinstance(number, int) or (isinstance(number, str) and number.isdecimal())):
            return super().page(number)
        number = int(number)
        bottom = (number - 1) * self.per_page
        if number < 1 or bottom > LAST_OFFSET:
            return super().page(number)
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if not rows:
            return super().page(number)
        if len(rows) < self.per_page:
            self.count = bottom + len(rows)  # Paginator.count is a cached property: this is its value
        return Page(rows, number, self)


class Pagination(PageNumberPagination):
    """Every list: `page` (from 1) and `page_size` (default the PAGE_SIZE setting, 50; at most 1000: a village's whole
    roster in one request, measured by bench/list_1000.py)."""

    django_paginator_class = ShortPageCountingPaginator
    page_size_query_param = "page_size"
    max_page_size = 1000


class APIDefaults:
    """What every Jifen viewset shares (township and region sides).

    Token first: DRF answers an anonymous call 401 with the first class's `WWW-Authenticate` (`Token`); session
    authentication (the browsable API, pages' scripts) still follows, CSRF-checked as before.
    """

    authentication_classes: Any = [TokenAuthentication, SessionAuthentication]
    pagination_class: Any = Pagination
    schema: Any = TownshipAutoSchema()


class TownshipScopedViewSet(APIDefaults, viewsets.ModelViewSet):
    write_action: Action = Action.EDIT_ROSTER
    filter_backends = [FilterBackend, NulSafeSearchFilter, filters.OrderingFilter]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # initial() opens the township scope once the member is known (one query for both); it lasts until the
        # response is rendered. An unknown township or outsider never opens it (404).
        with ExitStack() as self.township_scope:
            return render_in_scope(super().dispatch(request, *args, **kwargs))

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication first: token users are known only now
        self.township, self.membership = enter_township(request.user, kwargs.get("township_slug", ""))
        self.township_scope.enter_context(township_scope(self.township))
        if request.method not in SAFE_METHODS and not can(self.membership, self.write_action):
            if (self.lookup_url_kwarg or self.lookup_field) in kwargs:
                self.get_object()  # 404 first: a read-only member must not learn that an unseen object exists
            raise exceptions.PermissionDenied(_("Your role does not allow this."))

    def scoped_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular introspection: no township
            queryset: Any = getattr(self, "queryset", None)
            return queryset.none() if queryset is not None else None
        return self.scoped_queryset()

    def recheck(self, obj: Any) -> Any:
        """After a write, the object must still be inside what the member may see (else the write rolls back)."""
        if not can_see(self.membership, obj):
            raise Http404
        return obj


def error_body(code: str, detail: object, field: str | None = None) -> dict:
    return {"code": str(code), "detail": str(detail), "field": field}


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The project's handler404: a URL under /api/ that matches no route answers JSON like every other API 404."""
    if request.path.startswith("/api/"):
        body = error_body(exceptions.NotFound.default_code, exceptions.NotFound.default_detail)
        return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The project's handler400 (a SuspiciousOperation, e.g. more form fields than Django accepts): JSON under /api/."""
    if request.path.startswith("/api/"):
        # DRF's own message for an unparsable request, translated by DRF's catalog.
        body = error_body(exceptions.ParseError.default_code, exceptions.ParseError.default_detail)
        body["errors"] = {NON_FIELD: [body["detail"]]}  # every 400 carries `errors`
        return JsonResponse(body, status=status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


NON_FIELD = "non_field_errors"


def flat_errors(detail: Any, prefix: str = "") -> dict[str, list]:
    """DRF's error detail (dicts and lists, nested like the input) as {dotted field: [ErrorDetail, …]}."""
    if isinstance(detail, dict):
        flat: dict[str, list] = {}
        for key, value in detail.items():
            flat.update(flat_errors(value, f"{prefix}{key}."))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flat_errors(item, f"{prefix}{index}."))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix.removesuffix(".") or NON_FIELD: messages} if messages else {}


def validation_body(detail: Any) -> dict:
    """One 400 body: the first problem as {code, detail, field}, and every message in `errors`."""
    errors = flat_errors(detail)
    if not errors:  # a ValidationError without a message (not raised by Jifen; kept safe)
        errors = {NON_FIELD: [exceptions.ValidationError.default_detail]}
    key, messages = next(iter(errors.items()))
    first = messages[0]
    field = None if key == NON_FIELD else key.removesuffix(f".{NON_FIELD}")
    body = error_body(getattr(first, "code", None) or exceptions.ValidationError.default_code, first, field)
    body["errors"] = {name: [str(message) for message in messages] for name, messages in errors.items()}
    return body


_DENIED_EVENTS = {
    exceptions.NotFound: "not_found",
    exceptions.PermissionDenied: "permission",
    exceptions.NotAuthenticated: "not_authenticated",
}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every API error as {code, detail, field} (400s add `errors`), in the request's language; README, "API
    changelog". A 404 never names the model ("No Household matches the given query." would)."""
    if isinstance(exc, DomainError):
        field = exc.field or NON_FIELD
        exc = exceptions.ValidationError({field: [exceptions.ErrorDetail(str(exc.message), code=exc.code)]})
    elif isinstance(exc, DjangoValidationError):
        by_field = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        exc = exceptions.ValidationError(
            {NON_FIELD if field == "__all__" else field: messages for field, messages in by_field.items()}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.NotFound | exceptions.PermissionDenied | exceptions.NotAuthenticated):
        log_denied(context.get("request"), _DENIED_EVENTS[type(exc)], str(exc.detail))
    elif isinstance(exc, exceptions.Throttled):
        log_denied(context.get("request"), "rate_limited", str(exc.detail))
    response = drf_exception_handler(
        exc, context
    )  # rolls back (ATOMIC_REQUESTS), sets WWW-Authenticate, Retry-After
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(exc.detail)
    else:
        assert isinstance(exc, exceptions.APIException)  # DRF answered: its own exception type
        detail: Any = exc.detail
        if isinstance(detail, list | dict):  # an APIException raised with a structure: keep its first message
            detail = next(iter(flat_errors(detail).values()), [exc.default_detail])[0]
        response.data = error_body(getattr(detail, "code", None) or exc.default_code, detail)
        if (
            response.status_code == status.HTTP_400_BAD_REQUEST
        ):  # an unparsable body: every 400 carries `errors`
            response.data["errors"] = {NON_FIELD: [response.data["detail"]]}
    return response
