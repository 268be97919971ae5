"""api-list: Jifen's household list API against a bare Django view returning JsonResponse of the same rows.

Both answer GET with the same page of 50 households (same fields, members nested, the same count/next/previous
envelope), on the township of `bench/load.py` (6,000 households, 18,000 residents), for the township office's
session. Both go through the same Django handler and middleware (django.test.Client in this one warm process);
the baseline skips only what Jifen adds: DRF, the township's membership check and scope, the filters and the
serializers. Median of 5 rounds of 50 requests each, on three pages (first, middle, one village's). Also prints
the number of queries each makes (constant whatever the page). Target: ratio ≤ 2.
"""

import os
import statistics
import sys
import time
import types
from collections import defaultdict

from bench.common import report, setup_django

ROUNDS = int(os.environ.get("BENCH_REPEAT", "5"))
PER_ROUND = int(os.environ.get("BENCH_API_LIST_REQUESTS", "50"))
PAGE_SIZE = 50  # settings.REST_FRAMEWORK["PAGE_SIZE"]
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
    """The bare view: the same rows as JSON, two queries for the page and one for the count."""
    from django.http import JsonResponse

    from core.tenancy import township_scope
    from households.models import TAKING_PART_STATUSES, Household, Resident, Township

    if not request.user.is_authenticated:
        return JsonResponse({"detail": "login"}, status=403)
    township = Township.objects.get(slug=township_slug)
    page = int(request.GET.get("page", "1"))
    with township_scope(township):
        households = Household.objects.all()
        if "village" in request.GET:
            households = households.filter(village_id=int(request.GET["village"]))
        count = households.count()
        rows = list(
            households.order_by("village__sort_key", "area__sort_key", "number").values(*HOUSEHOLD_FIELDS)[
                (page - 1) * PAGE_SIZE : page * PAGE_SIZE
            ]
        )
        members = defaultdict(list)
        for member in (
            Resident.objects.filter(household_id__in=[row["id"] for row in rows])
            .order_by("-is_head", "id")
            .values(*RESIDENT_FIELDS)
        ):
            member["household"] = member.pop("household_id")
            members[member["household"]].append(member)
    results = []
    for row in rows:
        row["village"], row["area"] = row.pop("village_id"), row.pop("area_id")
        row["merged_into"] = row.pop("merged_into_id")
        row["takes_part"] = row["participation"] in TAKING_PART_STATUSES
        row["members"] = members[row["id"]]
        row["head_name"] = next((m["name"] for m in row["members"] if m["is_head"]), "")
        results.append(row)

    def link(number):
        query = request.GET.copy()
        query["page"] = number
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return JsonResponse(
        {
            "count": count,
            "next": link(page + 1) if page * PAGE_SIZE < count else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": results,
        },
        json_dumps_params={"ensure_ascii": False},
    )


def install_baseline_route() -> str:
    """Jifen's own URLs plus the baseline's, as the root URLconf of this process."""
    from django.conf import settings
    from django.urls import clear_url_caches, path

    import config.urls

    # Just before Jifen's first API route: the resolver walks the same page routes to reach either of them.
    patterns = list(config.urls.urlpatterns)
    first_api = next(n for n, p in enumerate(patterns) if str(p.pattern).startswith("api/v1/t/"))
    patterns.insert(first_api, path("api/v1/t/<slug:township_slug>/baseline-households/", baseline))
    urls = types.ModuleType("bench_api_list_urls")
    urls.urlpatterns = patterns
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    clear_url_caches()
    return "/api/v1/t/{slug}/baseline-households/"


def timed(client, ours_url: str, baseline_url: str, params: dict) -> tuple[float, float]:
    """Median seconds per request of each, over ROUNDS rounds of PER_ROUND requests after one warm-up round.
    The two alternate request by request, so that a busy moment of the machine weighs on both alike."""
    ours, base = [], []
    for attempt in range(ROUNDS + 1):
        spent = {ours_url: 0.0, baseline_url: 0.0}
        for _ in range(PER_ROUND):
            for url in (ours_url, baseline_url):
                start = time.perf_counter()
                response = client.get(url, params)
                spent[url] += time.perf_counter() - start
                assert response.status_code == 200, (url, response.status_code)
        if attempt:
            ours.append(spent[ours_url] / PER_ROUND)
            base.append(spent[baseline_url] / PER_ROUND)
    return statistics.median(ours), statistics.median(base)


def queries(client, url: str, params: dict) -> int:
    """How many SQL statements one request makes (counted on the connection, across its reconnects)."""
    from django.db import connection

    made = []

    def count(execute, sql, params, many, context):
        made.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url, params)
    return len(made)


def main() -> None:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.load import seed_township

    plan = seed_township()
    slug = plan["slug"]
    ours_url = f"/api/v1/t/{slug}/households/"
    baseline_url = install_baseline_route().format(slug=slug)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    village = int(next(iter(plan["households"])))
    cases = [
        ("first page", {}),
        ("page 60", {"page": 60}),
        ("one village, page 3", {"village": village, "page": 3}),
    ]

    for label, params in cases:  # the same rows, the same fields, the same envelope
        ours, base = client.get(ours_url, params).json(), client.get(baseline_url, params).json()
        assert ours["count"] == base["count"] and len(ours["results"]) == PAGE_SIZE, label
        assert [r["id"] for r in ours["results"]] == [r["id"] for r in base["results"]], label
        assert set(ours["results"][0]) == set(base["results"][0]), (label, set(ours["results"][0]))
        assert ours["results"][0]["members"] == base["results"][0]["members"], label

    totals_ours, totals_base = [], []
    for label, params in cases:
        ours_queries, base_queries = queries(client, ours_url, params), queries(client, baseline_url, params)
        ours_s, base_s = timed(client, ours_url, baseline_url, params)
        totals_ours.append(ours_s)
        totals_base.append(base_s)
        print(
            f"  {label:<22} ours {ours_s * 1000:6.2f} ms ({ours_queries} queries)   "
            f"baseline {base_s * 1000:6.2f} ms ({base_queries} queries)   ratio {ours_s / base_s:.2f}",
            flush=True,
        )
    report("api-list", statistics.fmean(totals_ours), statistics.fmean(totals_base))


BENCHMARKS = {"api-list": main}
