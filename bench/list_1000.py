"""list-1000: Jifen's household list API at `page_size=1000` against `.values()` + orjson of the same rows.

On the township of `bench/load.py` (6,000 households, 18,000 residents), for the township office's session, both
answer GET with the same 1,000 households (same fields, current members nested, the same count/next/previous
envelope). Both go through the same Django handler and middleware (django.test.Client in this one warm process):
the baseline is a bare view making the same three queries (count, households, their members) with `.values()`,
nesting the members in Python and writing the body with orjson. Median of BENCH_REPEAT rounds (default 5) of a
few requests each, alternating request by request. Also prints the number of queries each makes. Target: ratio ≤ 3.
"""

import os
import statistics
import sys
import time
import types
from collections import defaultdict

from bench.common import report, setup_django

ROUNDS = int(os.environ.get("BENCH_REPEAT", "5"))
PER_ROUND = int(os.environ.get("BENCH_LIST_1000_REQUESTS", "4"))
PAGE_SIZE = 1000
HOUSEHOLD_FIELDS = (
    "id",
    "number",
    "address",
    "village_id",
    "area_id",
    "participation",
    "participation_reason",
    "status",
    "ended_on",
    "merged_into_id",
    "created_at",
    "updated_at",
)
RESIDENT_FIELDS = (
    "id",
    "household_id",
    "name",
    "is_head",
    "gender",
    "birth_year",
    "id_number",
    "mobile",
    "is_party_member",
)


def baseline(request, township_slug):
    """The bare view: the same rows with `.values()`, members nested in Python, the body written by orjson."""
    import orjson
    from django.http import HttpResponse, JsonResponse

    from core.tenancy import township_scope
    from households.models import TAKING_PART_STATUSES, Household, Resident, Township

    if not request.user.is_authenticated:
        return JsonResponse({"detail": "login"}, status=403)
    township = Township.objects.get(slug=township_slug)
    page = int(request.GET.get("page", "1"))
    size = int(request.GET.get("page_size", PAGE_SIZE))
    with township_scope(township):
        households = Household.objects.all()
        count = households.count()
        rows = list(
            households.order_by("village__sort_key", "area__sort_key", "number").values(*HOUSEHOLD_FIELDS)[
                (page - 1) * size : page * size
            ]
        )
        members = defaultdict(list)
        for member in (
            Resident.objects.current()
            .filter(household_id__in=[row["id"] for row in rows])
            .order_by("-is_head", "id")
            .values(*RESIDENT_FIELDS)
        ):
            member["household"] = member.pop("household_id")
            members[member["household"]].append(member)
    for row in rows:
        row["village"], row["area"] = row.pop("village_id"), row.pop("area_id")
        row["merged_into"] = row.pop("merged_into_id")
        row["takes_part"] = row["participation"] in TAKING_PART_STATUSES
        row["members"] = members[row["id"]]
        row["head_name"] = next((m["name"] for m in row["members"] if m["is_head"]), "")

    def link(number):
        query = request.GET.copy()
        query["page"] = number
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    body = {
        "count": count,
        "next": link(page + 1) if page * size < count else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": rows,
    }
    return HttpResponse(orjson.dumps(body), content_type="application/json")


def install_baseline_route() -> str:
    """Jifen's own URLs plus the baseline's, as the root URLconf of this process."""
    from django.conf import settings
    from django.urls import clear_url_caches, path

    import config.urls

    patterns = list(config.urls.urlpatterns)
    first_api = next(n for n, p in enumerate(patterns) if str(p.pattern).startswith("api/v1/t/"))
    patterns.insert(first_api, path("api/v1/t/<slug:township_slug>/baseline-households-1000/", baseline))
    urls = types.ModuleType("bench_list_1000_urls")
    urls.urlpatterns = patterns
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    clear_url_caches()
    return "/api/v1/t/{slug}/baseline-households-1000/"


def queries(client, url: str, params: dict) -> int:
    from django.db import connection

    made = []

    def count(execute, sql, params, many, context):
        made.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url, params)
    return len(made)


def plan():
    """The seeded township of bench/load.py (made afresh unless BENCH_LOAD_REUSE=1 finds one)."""
    import json

    from bench.load import REUSE, VAR, seed_township

    path = VAR / "bench-load-plan.json"
    if REUSE and path.exists():
        return json.loads(path.read_text())
    made = seed_township()
    VAR.mkdir(exist_ok=True)
    path.write_text(json.dumps(made))
    return made


def main() -> None:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    slug = plan()["slug"]
    ours_url = f"/api/v1/t/{slug}/households/"
    baseline_url = install_baseline_route().format(slug=slug)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    params = {"page_size": PAGE_SIZE, "page": 2}

    ours, base = client.get(ours_url, params), client.get(baseline_url, params)
    assert ours.status_code == 200 and base.status_code == 200, (ours.status_code, base.status_code)
    ours_body, base_body = ours.json(), base.json()
    assert ours_body["count"] == base_body["count"] and len(ours_body["results"]) == PAGE_SIZE
    assert [r["id"] for r in ours_body["results"]] == [r["id"] for r in base_body["results"]]
    assert set(ours_body["results"][0]) == set(base_body["results"][0]), set(ours_body["results"][0])
    assert [m["id"] for r in ours_body["results"] for m in r["members"]] == [
        m["id"] for r in base_body["results"] for m in r["members"]
    ]
    assert ours_body["results"][0]["members"] == base_body["results"][0]["members"]

    spent_ours, spent_base = [], []
    for attempt in range(ROUNDS + 1):
        spent = {ours_url: 0.0, baseline_url: 0.0}
        for _ in range(PER_ROUND):
            for url in (ours_url, baseline_url):
                start = time.perf_counter()
                response = client.get(url, params)
                spent[url] += time.perf_counter() - start
                assert response.status_code == 200
        if attempt:  # the first round warms up
            spent_ours.append(spent[ours_url] / PER_ROUND)
            spent_base.append(spent[baseline_url] / PER_ROUND)
    ours_s, base_s = statistics.median(spent_ours), statistics.median(spent_base)
    print(
        f"  page_size={PAGE_SIZE}: ours {ours_s * 1000:.1f} ms ({queries(client, ours_url, params)} queries, "
        f"{len(ours.content) // 1024} KiB)   baseline {base_s * 1000:.1f} ms "
        f"({queries(client, baseline_url, params)} queries, {len(base.content) // 1024} KiB)   "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    report("list-1000", ours_s, base_s)


BENCHMARKS = {"list-1000": main}
