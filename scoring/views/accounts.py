"""Points accounts on pages (issue 14, items 1, 2 and 5): find an account (a family by its number, a villager or a
unit by name), its passbook (行为银行存折) whatever its kind, and the rankings of each list of a scheme.

Everything is looked up among the accounts the member sees (their villages and areas): another village's or
township's account is "not found".
"""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone

from core.permissions import Action, can, restrict_to_visible
from core.views import township_view
from households.selectors import villages_visible_to

from .. import selectors, services
from ..models import Account, AccountKind, RankingList, Scheme, SchemeState
from ..rankings import Ranking, lists_of, ranking_year
from .common import get_visible, parse_id, render_page

PER_PAGE = 50
MAX_QUERY = 50


def _accounts(membership):
    return restrict_to_visible(membership, Account.objects.all()).select_related(
        "village", "area", "household", "resident", "resident__household", "unit"
    )


def _schemes_keeping(kind: str | None = None) -> list[Scheme]:
    schemes = Scheme.objects.exclude(state=SchemeState.DRAFT).order_by("-year", "name", "pk")
    return [s for s in schemes if kind is None or kind in s.account_kinds]


def _chosen_scheme(request, schemes: list[Scheme]) -> Scheme | None:
    if (scheme_pk := parse_id(request.GET.get("scheme"))) is not None:
        scheme = next((s for s in schemes if s.pk == scheme_pk), None)
        if scheme is None:
            raise Http404
        return scheme
    year = timezone.localdate().year
    active = [
        s for s in schemes if s.state == SchemeState.ACTIVE and (s.year == year or s.points_carry_forward)
    ]
    return active[0] if active else (schemes[0] if schemes else None)


@township_view(Action.VIEW)
def account_list(request, township, membership):
    """Find an account: a household's number, a villager's or a unit's name (the grid worker's way to a claim)."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    kind = request.GET.get("kind", "")
    accounts = _accounts(membership)
    if kind in AccountKind.values:
        accounts = accounts.filter(kind=kind)
    if query:
        accounts = accounts.filter(
            Q(household__number__icontains=query)
            | Q(resident__name__icontains=query)
            | Q(resident__household__number__icontains=query)
            | Q(unit__name__icontains=query)
        )
    accounts = accounts.order_by("village__sort_key", "kind", "id")
    page = Paginator(accounts, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "kind": kind,
        "kinds": AccountKind.choices,
        "can_claim": can(membership, Action.RECORD_CLAIM),
    }
    return render_page(request, "scoring/account_list.html", context)


@township_view(Action.VIEW)
def account_passbook(request, township, membership, pk):
    """An account's passbook; a family's is its household's page (with the household's role and quarters)."""
    account = get_visible(_accounts(membership), pk)
    if account.household_id is not None:
        target = reverse(
            "scoring:passbook", kwargs={"township_slug": township.slug, "household_pk": account.household_id}
        )
        return redirect(f"{target}?{request.GET.urlencode()}" if request.GET else target)
    schemes = _schemes_keeping(account.kind)
    scheme = _chosen_scheme(request, schemes)
    context = {
        "account": account,
        "schemes": schemes,
        "scheme": scheme,
        "can_claim": can(membership, Action.RECORD_CLAIM, account),
        "can_issue_code": scheme is not None and can(membership, Action.EDIT_ROSTER, account),
        "passbook_code": services.live_code(account),
        "printed_on": timezone.localdate(),
    }
    if scheme is not None:
        book = selectors.passbook(account, scheme)
        context.update(book=book, rows=book["rows"])
    return render_page(request, "scoring/account_passbook.html", context)


@township_view(Action.VIEW)
def rankings(request, township, membership):
    """Each list's ranking in a scheme (families, villagers, party members, units), among the accounts the member
    sees; a cumulative scheme ranks by the year or by everything so far, as the scheme says."""
    schemes = _schemes_keeping()
    scheme = _chosen_scheme(request, schemes)
    context: dict = {"schemes": schemes, "scheme": scheme}
    if scheme is not None:
        lists = lists_of(scheme)
        chosen = request.GET.get("list") or lists[0]
        if chosen not in {choice.value for choice in lists}:
            raise Http404
        year = parse_id(request.GET.get("year"))
        ranking = Ranking(scheme, chosen, membership=membership, year=year)
        context.update(
            lists=[(choice.value, choice.label) for choice in lists],
            current=RankingList(chosen),
            year=ranking.year,
            page=Paginator(ranking, PER_PAGE).get_page(request.GET.get("page")),
            cumulative=ranking.year is None and scheme.points_carry_forward,
            this_year=ranking_year(scheme),
            villages=list(villages_visible_to(membership).order_by("sort_key", "pk")),
        )
    return render_page(request, "scoring/rankings.html", context)


urlpatterns = [
    path("accounts/", account_list, name="account-list"),
    path("accounts/<int:pk>/", account_passbook, name="account-passbook"),
    path("rankings/", rankings, name="rankings"),
]
