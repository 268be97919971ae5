"""The isolation matrix (issue 8.2): every route, every method, as members of township A, on township B's objects.

For every URL pattern (pages and API, walked from the resolver) and every role of A, the test requests
  1. B's slug with B's objects (`/t/town-b/households/<B's household>/`), and
  2. A's slug with B's objects (`/t/town-a/households/<B's household>/`) when the route takes an object,
with GET, POST, PUT, PATCH and DELETE. Every answer must be 404 — except 405 for a method the route refuses for any
township (checked against a township that does not exist) — and nothing in the database may change (a checksum
of every table of Jifen's apps, taken before and after each route).

How a route's kwargs are filled, generically (tests/full_township.py):
  - `township_slug` → the township of the variant; `region_slug` → that township's county (TENANT_KWARGS);
  - `pk` → B's first object of the model the path segment before it names (`households/<pk>/` → Household,
    `rounds/<pk>/` → ReviewRound, `role-rules/<pk>/` → RoleRule);
  - `<name>_pk` / `<name>_id` → B's first object of the model `<name>` names (`household_pk` → Household);
  - anything else → KWARGS below, by route name. A route the matrix cannot fill fails the test: add it to
    KWARGS (or a segment to full_township.SEGMENT_MODELS, or a row of the model to full_township.fill), or, if
    it carries no township data, to EXEMPT with the reason.
"""

import re
from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.tenancy import dangerously_all_townships
from review.models import ReviewRound
from tests.full_township import model_for_segment, owned_by, seed_two_townships

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

METHODS = ["get", "post", "put", "patch", "delete"]
# The roles of A tried on everything of B; `officer` is the programme officer of A's county (a region member).
ROLES = ["admin", "clerk", "panel", "supervisor", "county", "officer"]
GHOST = "no-such-township"
MISSING_ID = 2_000_000_000
JIFEN_APPS = ["households", "scoring", "review", "rewards", "publicity", "oversight", "demonstration"]

# Routes that do not serve one township's data, each with the reason. The matrix fails on a route that is neither
# here nor fillable, so this list is the place where a new non-township route must be justified.
EXEMPT = {
    "home": "lists the signed-in user's own townships; no township in the URL",
    "login": "authentication; no township data",
    "logout": "authentication; no township data",
    "password_change": "the user's own password; no township data",
    "password_change_done": "the user's own password; no township data",
    "set_language": "Django's language switch; no township data",
    "api-schema": "the OpenAPI schema; no data",
    "api-docs": "Swagger UI; no data",
    "publicity:public-notice": "public on purpose, by an unguessable token (a wrong token: 404, tested below)",
    "publicity:villager-page": "public on purpose, by an unguessable code and a second factor (tests/publicity/"
    "test_villager_page.py: a forged or revoked code is refused with 404)",
    "demonstration_public:application-notice": "public on purpose, by an unguessable token: a township's notice of a "
    "demonstration-village application (a wrong token: 404, tests/demonstration/test_notices.py)",
    "demonstration_public:result-notice": "public on purpose, by an unguessable token: a county's or city's notice of "
    "its result, no township's data beyond the selected villages' names and scores (a wrong token: 404)",
    "demonstration_public:survey": "public on purpose, by the passbook's unguessable code and the second factor "
    "of the passbook page (tests/demonstration/test_survey.py: a wrong, revoked or other household's code answers "
    "nothing)",
    "oversight:county": "the county comparison of the user's own county-viewer memberships (tested below)",
    "oversight:county-xlsx": "the same comparison as a workbook",
}
EXEMPT_PREFIXES = {
    "admin/": "Django admin: staff only, and township members are not staff (tested below: sent to the admin login)",
    "r/": "a county's or city's pages (demonstration villages): entered by region membership, township members are "
    "outsiders (404 for every route and role: tests/demonstration/test_region_isolation.py)",
    "api/v1/r/": "a county's or city's API (demonstration villages): as r/ above",
    "platform/": "the platform operator's pages (every township, a new township): superusers only, township members "
    "get a 403 refusal page and nothing is written (tests/households/test_platform.py)",
}


def _demonstration_call(township) -> int:
    """A call belongs to a county or city, not a township: the one of the township's county (fill_demonstration)."""
    from demonstration.models import Call

    return Call.objects.filter(region__township_links__township=township).order_by("pk").first().pk


def _pending_upload(township) -> str:
    """A photo kept for B's admin (full_township.fill_pending_upload): only its sender may see it."""
    from core.models import PendingUpload

    return PendingUpload.objects.get(township=township).token


def _claim(township) -> int:
    """A claim's id is its entry's: B's first claim (full_township.fill records one)."""
    from scoring.models import Entry

    with dangerously_all_townships():
        return Entry.objects.filter(township=township, claim__isnull=False).order_by("pk").first().pk


def _batch(township) -> int:
    """B's first notice batch (full_township.fill approves an entry through one)."""
    from review.models import RoundKind

    with dangerously_all_townships():
        return ReviewRound.objects.filter(township=township, kind=RoundKind.BATCH).order_by("pk").first().pk


def _awarded_application(township) -> int:
    """B's awarded application (full_township.fill_award): the one with spending and a check."""
    from demonstration.models import Application, ApplicationState

    with dangerously_all_townships():
        return Application.objects.get(township=township, state=ApplicationState.AWARDED).pk


# Kwargs the generic rules cannot fill: {route name: {kwarg: function(world.b) -> value}}.
KWARGS: dict[str, dict[str, Callable]] = {
    "review_api:claim-detail": {"pk": _claim},
    "review_api:claim-check": {"pk": _claim},
    "review_api:claim-false": {"pk": _claim},
    "review:claim-detail": {"pk": _claim},
    "review:claim-check": {"pk": _claim},
    "review:claim-false": {"pk": _claim},
    "publicity:claim-slip": {"pk": _claim},
    "publicity:batch-slips": {"pk": _batch},
    "publicity_api:claim-slip": {"pk": _claim},
    "publicity_api:batch-slips": {"pk": _batch},
    "demonstration:apply": {"pk": _demonstration_call},
    "households:pending-upload": {"token": _pending_upload},
    "demonstration_api:demonstration-call-detail": {"pk": _demonstration_call},
    "demonstration:award": {"pk": _awarded_application},
    "demonstration:award-reverse": {"pk": _awarded_application},
    "demonstration:award-invoice": {"pk": _awarded_application},
    "demonstration:award-pdf": {"pk": _awarded_application},
}


# The routes ------------------------------------------------------------------------------------------------------


def routes() -> list[tuple[str, str, list[str]]]:
    """(name or route, route text, kwarg names) of every URL pattern, including those of included URLconfs."""
    found = []

    def walk(patterns, prefix, namespace, kwargs):
        for p in patterns:
            names = kwargs + list(p.pattern.regex.groupindex)
            text = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, [namespace, p.namespace]))
                walk(p.url_patterns, text, ns, names)
            elif isinstance(p, URLPattern):
                name = ":".join(filter(None, [namespace, p.name])) if p.name else text
                found.append((name, text, names))

    walk(get_resolver().url_patterns, "", "", [])
    return found


def _clean(route: str) -> list[str]:
    """Path segments of a route text, with regex anchors dropped (router routes are regexes)."""
    return [s for s in re.sub(r"[\^$]", "", route).split("/") if s]


def model_of_kwarg(route: str, kwarg: str):
    if kwarg == "pk":
        segments = _clean(route)
        index = next(i for i, s in enumerate(segments) if re.search(r"\bpk\b", s))
        return model_for_segment(segments[index - 1])
    stem = re.sub(r"_(pk|id)$", "", kwarg)
    return model_for_segment(stem) if stem != kwarg else None


# The tenant in the URL: a township (`/t/<township_slug>/`) or a region (`/r/<region_slug>/`, B's county).
TENANT_KWARGS = {
    "township_slug": lambda side: side.township.slug,
    "region_slug": lambda side: side.township.county_link.county.slug,
}


def tenant_of(kwargs: list[str]) -> str | None:
    return next((k for k in kwargs if k in TENANT_KWARGS), None)


def object_kwargs(name: str, route: str, kwargs: list[str], township) -> dict | str:
    """The kwargs (other than the tenant) that point at `township`'s objects, or a message saying what is missing."""
    filled = {}
    for kwarg in kwargs:
        if kwarg in TENANT_KWARGS:
            continue
        if kwarg in KWARGS.get(name, {}):
            filled[kwarg] = KWARGS[name][kwarg](township)
            continue
        model = model_of_kwarg(route, kwarg)
        if model is None:
            return f"{name} ({route}): no rule fills `{kwarg}`; add it to KWARGS or EXEMPT"
        with dangerously_all_townships():
            obj = owned_by(model, township).first()
        if obj is None:
            return f"{name} ({route}): township {township.slug} has no {model.__name__}; add one in full_township.fill"
        filled[kwarg] = obj.pk
    return filled


def is_exempt(name: str, route: str) -> bool:
    return name in EXEMPT or any(route.startswith(prefix) for prefix in EXEMPT_PREFIXES)


# What "changes nothing" means -----------------------------------------------------------------------------------


def _tables() -> list[str]:
    existing = set(connection.introspection.table_names())
    tables = {
        model._meta.db_table for label in JIFEN_APPS for model in apps.get_app_config(label).get_models()
    }
    return sorted(tables & existing)


def checksum() -> dict[str, tuple[int, str]]:
    """Row count and a sum of row hashes of every table of Jifen's apps, in one query (PostgreSQL; no sort)."""
    parts = [
        f"SELECT '{table}', count(*), coalesce(sum(hashtext(t::text)::bigint), 0) FROM \"{table}\" t"
        for table in _tables()
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}


# The matrix ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    yield from seed_two_townships(django_db_blocker)


def test_every_route_is_in_the_matrix(seeded):
    """A new route fails here until the matrix knows how to fill it (or it is exempt, with the reason)."""
    problems = []
    for name, route, kwargs in routes():
        if is_exempt(name, route):
            continue
        if tenant_of(kwargs) is None:
            problems.append(f"{name} ({route}): no township in the URL; add it to EXEMPT with the reason")
            continue
        filled = object_kwargs(name, route, kwargs, seeded.b.township)
        if isinstance(filled, str):
            problems.append(filled)
    assert not problems, "\n".join(problems)


def _request(client, method, url):
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, data="{}", content_type="application/json")


def _try_routes(client, a, b, select=lambda name: True) -> tuple[list[str], int]:
    """Every selected route of B (B's slug, then A's slug with B's objects), every method: the failures."""
    failures, tried = [], 0
    before = checksum()
    for name, route, kwargs in routes():
        tenant = tenant_of(kwargs)
        if is_exempt(name, route) or tenant is None or not select(name):
            continue
        objects = object_kwargs(name, route, kwargs, b.township)
        if isinstance(objects, str):
            continue  # reported by test_every_route_is_in_the_matrix
        b_slug, a_slug = TENANT_KWARGS[tenant](b), TENANT_KWARGS[tenant](a)
        # The same route for what exists nowhere: a tenant that does not exist (for B's slug), no such id (for A's).
        ghosts = {
            b_slug: reverse(name, kwargs={tenant: GHOST, **objects}),
            a_slug: reverse(name, kwargs={tenant: a_slug, **dict.fromkeys(objects, MISSING_ID)}),
        }
        for slug in [b_slug] + ([a_slug] if objects else []):
            url = reverse(name, kwargs={tenant: slug, **objects})
            for method in METHODS:
                tried += 1
                status = _request(client, method, url).status_code
                if status == 404:
                    continue
                if status in (403, 405) and _request(client, method, ghosts[slug]).status_code == status:
                    # Decided before any lookup, so telling nothing about B: 405, the route does not take this
                    # method; 403 (only on A's slug: B's ghost tenant answers 404), A's role may not do this at all.
                    continue
                failures.append(f"{method.upper()} {url} ({name}) → {status}")
        after = checksum()
        if after != before:
            changed = [t for t, v in after.items() if before.get(t) != v]
            failures.append(f"{name}: the attempts changed {', '.join(changed)}")
        before = after
    return failures, tried


@pytest.mark.parametrize("role", ROLES)
def test_a_member_of_township_a_gets_404_on_everything_of_township_b(role, seeded, client):
    a, b = seeded.a, seeded.b
    client.force_login(getattr(a, role))
    failures, tried = _try_routes(client, a, b)
    assert tried > 500
    assert not failures, f"{role} of {a.township.slug}:\n" + "\n".join(failures)


CLAIM_ROUTES = ("claim", "slip", "batch", "worklist", "round")


def test_a_grid_worker_of_township_a_gets_404_on_the_claims_of_township_b(seeded, client):
    """The grid worker (issue 14) against B's claims, their slips, batches and rounds (the routes that name them)."""
    from core.permissions import Role
    from tests.factories import MembershipFactory, UserFactory

    a, b = seeded.a, seeded.b
    grid = UserFactory(username="a-grid-matrix")
    MembershipFactory(user=grid, township=a.township, role=Role.GRID_WORKER, villages=[a.villages[0]])
    client.force_login(grid)
    failures, tried = _try_routes(client, a, b, lambda name: any(word in name for word in CLAIM_ROUTES))
    assert tried > 50
    assert not failures, "grid worker of town-a:\n" + "\n".join(failures)


# The exempt routes that still touch township data ---------------------------------------------------------------


def test_public_notice_page_answers_404_to_a_wrong_token(seeded, client):
    with dangerously_all_townships():
        round_ = ReviewRound.objects.filter(township=seeded.b.township, state="on_notice").first()

    assert (
        client.get(reverse("publicity:public-notice", kwargs={"token": round_.notice_token})).status_code
        == 200
    )
    for token in ["wrong-token", round_.notice_token[:-1], round_.notice_token + "x"]:
        url = reverse("publicity:public-notice", kwargs={"token": token})
        assert client.get(url).status_code == 404, token
        assert client.post(url, {"household": "1", "objector_name": "王五", "reason": "x"}).status_code == 404


def test_township_members_do_not_get_into_the_django_admin(seeded, client):
    client.force_login(seeded.a.admin)

    response = client.get("/admin/households/household/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_county_comparison_shows_only_the_viewers_own_townships(seeded, client):
    client.force_login(seeded.a.county)

    html = client.get(reverse("oversight:county")).content.decode()

    assert seeded.a.township.name in html
    assert seeded.b.township.name not in html and "b东村" not in html


def test_the_checksum_sees_one_changed_row(seeded):
    from households.models import Village

    before = checksum()
    with dangerously_all_townships():
        Village.objects.filter(pk=seeded.b.villages[0].pk).update(name="改名村")

    assert checksum() != before


def test_the_matrix_reaches_the_unit_pages_and_endpoints_with_b_s_unit(seeded):
    """Units (issue 14) are in the matrix: every unit route is found and filled with township B's unit."""
    from households.models import Unit

    unit_routes = [(n, r, k) for n, r, k in routes() if n.split(":")[-1].startswith("unit-")]
    with dangerously_all_townships():
        b_unit = Unit.objects.get(township=seeded.b.township)
    assert {n for n, _r, _k in unit_routes} >= {
        "households:unit-detail", "households:unit-edit", "households:unit-archive", "households:unit-restore",
        "api:unit-list", "api:unit-detail", "api:unit-archive", "api:unit-restore",
    }  # fmt: skip
    for name, route, kwargs in unit_routes:
        filled = object_kwargs(name, route, kwargs, seeded.b.township)
        assert filled in ({}, {"pk": b_unit.pk}), (name, filled)


def test_the_matrix_reaches_self_declarations_and_appeals_with_b_s_rows(seeded):
    """What villagers send from their own page (issue 14, item 6): every staff page and endpoint of it is found
    and filled with township B's self-declaration or appeal."""
    from scoring.models import Appeal, SelfDeclaration

    found = [(n, r, k) for n, r, k in routes() if "declaration" in r and "self" in r or "appeals" in r]
    with dangerously_all_townships():
        b_declaration = SelfDeclaration.objects.get(township=seeded.b.township)
        b_appeal = Appeal.objects.get(township=seeded.b.township)
    assert {n for n, _r, _k in found} >= {
        "review:self-declaration-list", "review:self-declaration-detail", "review:self-declaration-photo",
        "review:appeal-list", "review:appeal-detail",
        "review_api:self-declaration-list", "review_api:self-declaration-detail",
        "review_api:self-declaration-take", "review_api:self-declaration-refuse",
        "review_api:appeal-list", "review_api:appeal-detail", "review_api:appeal-decide",
    }  # fmt: skip
    for name, route, kwargs in found:
        filled = object_kwargs(name, route, kwargs, seeded.b.township)
        expected = b_appeal.pk if "appeal" in name else b_declaration.pk
        assert filled in ({}, {"pk": expected}), (name, filled)


def test_the_matrix_reaches_the_weekly_list_of_sunday_study_with_b_s_class(seeded):
    """The class's weekly list of limits reached (issue 15): its page and filing take B's class (a village), its
    API routes are township lists; all are in the matrix (the cross-class and cross-school cases with data are in
    tests/scoring/test_weekly_limits.py)."""
    found = {n: (r, k) for n, r, k in routes() if "study-list" in r}
    assert set(found) == {
        "scoring:study-list", "scoring:study-list-file",
        "scoring_api:study-list-list", "scoring_api:study-list-week",
    }  # fmt: skip
    for name, (route, kwargs) in found.items():
        filled = object_kwargs(name, route, kwargs, seeded.b.township)
        assert filled in ({}, {"pk": seeded.b.villages[0].pk}), (name, filled)


ROLE_ROUTES = ("student", "role-assignment", "role-change", "role-end", "officers")


def _is_role_route(name: str) -> bool:
    return name.startswith(("scoring:", "scoring_api:")) and any(word in name for word in ROLE_ROUTES)


def test_the_matrix_reaches_the_role_pages_and_endpoints_with_b_s_rows(seeded):
    """Class officers (issue 15): every role page and endpoint is found and filled with township B's rows."""
    from households.models import Household, Village
    from scoring.models import RoleAssignment, RoleChange

    found = [(n, r, k) for n, r, k in routes() if _is_role_route(n)]
    assert {n for n, _r, _k in found} == {
        "scoring:student-role", "scoring:student-role-set", "scoring:role-end", "scoring:class-officers",
        "scoring:student-create", "scoring_api:role-assignment-list", "scoring_api:role-assignment-detail",
        "scoring_api:role-assignment-end", "scoring_api:role-change-list", "scoring_api:role-change-detail",
    }  # fmt: skip
    with dangerously_all_townships():
        b = seeded.b.township
        expected = {
            "household_pk": Household.objects.filter(township=b).order_by("pk").first().pk,
            "village_pk": Village.objects.filter(township=b).order_by("pk").first().pk,
            "role-assignment": RoleAssignment.objects.get(township=b).pk,
            "role-end": RoleAssignment.objects.get(township=b).pk,
            "role-change": RoleChange.objects.get(township=b).pk,
        }
    for name, route, kwargs in found:
        filled = object_kwargs(name, route, kwargs, b)
        assert isinstance(filled, dict), filled
        for kwarg, value in filled.items():
            key = kwarg if kwarg != "pk" else next(k for k in expected if k in name)
            assert value == expected[key], (name, kwarg)


def test_a_head_teacher_of_township_a_gets_404_on_the_roles_of_township_b(seeded, client):
    """A head teacher (ASSIGN_ROLE in their own classes) against B's students' roles, officers and history."""
    from core.permissions import Role
    from tests.factories import MembershipFactory, UserFactory

    a, b = seeded.a, seeded.b
    teacher = UserFactory(username="a-teacher-matrix")
    MembershipFactory(user=teacher, township=a.township, role=Role.HEAD_TEACHER, villages=[a.villages[0]])
    client.force_login(teacher)
    failures, tried = _try_routes(client, a, b, _is_role_route)
    assert tried > 50
    assert not failures, "head teacher of town-a:\n" + "\n".join(failures)
