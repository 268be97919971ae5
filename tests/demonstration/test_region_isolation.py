"""The isolation matrix of the county and city routes (/r/…, /api/v1/r/…), which the township matrix exempts.

For every region route (walked from the resolver), every method, every township role of A and the officer of
another county: 404 on 东县's objects, and nothing changes. Ids are filled from the route: `calls/<pk>` → 东县's
call, `applications/<pk>` → an application of 东县's township.
"""

import datetime

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from demonstration import services
from demonstration.models import Application, ApplicationMove, AwardCheck, AwardSpending, Call, CallMove
from tests.contract import member
from tests.demonstration.conftest import APPLY_DAY, form_file

pytestmark = pytest.mark.django_db

METHODS = ["get", "post", "put", "patch", "delete"]
ROLES = ["admin", "clerk", "panel", "supervisor", "county"]


def region_routes() -> list[tuple[str, str, list[str]]]:
    found = []

    def walk(patterns, prefix, namespace, kwargs):
        for p in patterns:
            names = kwargs + list(p.pattern.regex.groupindex)
            text = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, text, ":".join(filter(None, [namespace, p.namespace])), names)
            elif isinstance(p, URLPattern) and "region_slug" in names and p.name:
                found.append((":".join(filter(None, [namespace, p.name])), text, names))

    walk(get_resolver().url_patterns, "", "", [])
    return found


def state(programme):
    return (
        list(Call.objects.order_by("pk").values_list("pk", "state")),
        list(Application.objects.order_by("pk").values_list("pk", "state", "score", "award")),
        CallMove.objects.count(),
        ApplicationMove.objects.count(),
        list(AwardSpending.objects.order_by("pk").values_list("pk", "amount")),
        AwardCheck.objects.count(),
    )


def test_region_routes_are_all_walked():
    names = {name for name, _route, _kwargs in region_routes()}
    assert {"demonstration_region:call", "demonstration_region_api:region-application-move"} <= names
    assert (
        len(names) == 21
    )  # 15 pages (2 of the result's notice, 4 of an award's use, 2 of the comparison), 6 API


def test_township_members_and_other_counties_get_404_on_every_region_route(programme, client, world):
    p = programme
    call = p.call(region=p.east)
    application = p.apply(call, "a东村")
    # Awarded, with a spending: the award's pages and its invoice route reach 东县's rows.
    Application.objects.filter(pk=application.pk).update(state="awarded", award=1000)
    spending = services.record_spending(
        membership=member(world.a.admin),
        application=application,
        spent_on=datetime.date(2026, 7, 25),
        purpose="shop_goods",
        amount=100,
        supplier="超市",
        invoice=form_file("发票.pdf"),
    )
    users = [getattr(world.b, role) for role in ROLES] + [p.west_officer]
    failures, tried = [], 0
    before = state(p)
    for user in users:
        client.force_login(user)
        for name, route, kwargs in region_routes():
            values = {"region_slug": p.east.slug}
            if "pk" in kwargs:
                values["pk"] = call.pk if "calls/" in route else application.pk
            if "spending_pk" in kwargs:
                values["spending_pk"] = spending.pk
            url = reverse(name, kwargs=values)
            for method in METHODS:
                tried += 1
                with time_machine.travel(APPLY_DAY, tick=False):
                    if method in ("get", "delete"):
                        status = getattr(client, method)(url).status_code
                    else:
                        status = getattr(client, method)(
                            url, data="{}", content_type="application/json"
                        ).status_code
                if status != 404:
                    failures.append(f"{user.username} {method.upper()} {url} → {status}")
    assert tried == len(users) * 21 * len(METHODS)
    assert not failures, "\n".join(failures)
    assert state(p) == before
