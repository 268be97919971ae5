"""The platform's pages (/platform/…): every township with its size, and a new township with its first
administrator. For superusers only; a signed-in member who is not one gets a clear refusal page (403)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache

from core.errors import DomainError
from core.tenancy import dangerously_all_townships

from ..forms import add_domain_error
from ..models import Household, Membership, Township, Village
from .forms import TownshipCreateForm, TownshipSearchForm
from .services import create_township

TOWNSHIPS_PER_PAGE = 50


def platform_view(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_superuser):
            return render(request, "households/platform/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _count(model, fk: str = "township"):
    rows = (
        model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def township_rows(query: str):
    """Every township (searched by name or short name), each with its villages, households and members counted."""
    townships = Township.objects.annotate(
        village_count=_count(Village), household_count=_count(Household), member_count=_count(Membership)
    ).order_by("name", "pk")
    if query := query.replace("\x00", "").strip():
        townships = townships.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    return townships


@platform_view
def township_list(request):
    form = TownshipSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    with dangerously_all_townships():  # the platform's operator counts across townships
        page = Paginator(township_rows(query), TOWNSHIPS_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
    return render(
        request, "households/platform/township_list.html", {"form": form, "page": page, "query": query}
    )


@never_cache  # the page after creation shows a first password: never kept by a browser or a proxy
@platform_view
def township_create(request):
    form = TownshipCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["places"]
        try:
            with dangerously_all_townships():
                created = create_township(
                    operator=request.user,
                    name=data["name"],
                    slug=data["slug"],
                    timezone=data["timezone"],
                    kind=data["kind"],
                    admin_username=data["admin_username"],
                    admin_name=data["admin_name"],
                    admin_password=data["admin_password"] or None,
                    places=upload.read() if upload else None,
                )
        except DomainError as exc:
            if exc.field == "file":  # the places file's own problems (ImportFileError)
                exc.field = "places"
            add_domain_error(form, exc)
        else:
            # Rendered, not redirected: the generated password exists only in this response.
            return render(request, "households/platform/township_created.html", {"created": created})
    return render(request, "households/platform/township_form.html", {"form": form})


app_name = "platform"
urlpatterns = [
    path("townships/", township_list, name="township-list"),
    path("townships/new/", township_create, name="township-create"),
]
