"""The one API base class that does the scoping (PostHog/NetBox style).

It takes the township from the URL, checks the membership after authentication, opens the township scope for the
whole request and restricts the queryset before any handler runs. Subclasses implement `scoped_queryset()` and
add filters; they never replace `get_queryset()`. Outsiders get 404, read-only members 403 on writes.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import DomainError
from ..models import Township
from ..permissions import Action, can, can_see, enter_township
from ..tenancy import township_scope


class TownshipScopedViewSet(viewsets.ModelViewSet):
    write_action: Action = Action.EDIT_ROSTER

    def dispatch(self, request, *args, **kwargs):
        township = Township.objects.filter(slug=kwargs.get("township_slug", "")).first()
        if township is None:
            return super().dispatch(request, *args, **kwargs)  # initial() answers 404
        with township_scope(township):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication first: token users are known only now
        self.township, self.membership = enter_township(request.user, kwargs.get("township_slug", ""))
        if request.method not in SAFE_METHODS and not can(self.membership, self.write_action):
            raise exceptions.PermissionDenied("Your role does not allow this.")

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


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        key = exc.field or "non_field_errors"
        return Response({key: [str(exc.message)]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
