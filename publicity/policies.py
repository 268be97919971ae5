"""Incentive policies (scheme 4's 激励政策): who qualifies for each, as one rule, and the policies a township
starts with (the bank, party and commendation lists Jifen always printed)."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from core.errors import DomainError
from households.models import Resident, Township, Village
from households.validators import mask_id_number, mask_mobile
from rewards.models import StarResult
from rewards.selectors import list_stars, star_households
from scoring.models import LIST_KIND, Account, RankingList
from scoring.rankings import Ranked, Ranking, scheme_keeping

from .models import IncentivePolicy

# The three lists that existed before policies were data; the data migration 0003 seeds the same for existing
# townships. Names are data (Chinese), not translations: the township may rename them.
DEFAULT_POLICIES: list[dict[str, Any]] = [
    {
        "key": "bank",
        "name": "星级文明户信用贷款（积分贷）",
        "partner": "县农商银行",
        "benefit": "信用贷款、提高授信额度、利率优惠",
        "description": "年度星级文明户（三星及以上）推荐给银行，享受信用贷款（积分贷）。",
    },
    {
        "key": "party",
        "name": "推荐党组织",
        "partner": "村党组织",
        "benefit": "入党积极分子推荐",
        "description": "年度星级文明户推荐给党组织，作为发展党员的参考。",
    },
    {
        "key": "commendation",
        "name": "评先评优表彰",
        "partner": "镇政府",
        "benefit": "表彰",
        "description": "年度星级文明户推荐参加评先评优表彰。",
    },
]


def seed_default_policies(township: Township) -> None:
    """Give a new township the three policies it always had (called when a township is created)."""
    existing = set(
        IncentivePolicy._base_manager.filter(township=township).exclude(key="").values_list("key", flat=True)
    )
    IncentivePolicy._base_manager.bulk_create(
        [
            IncentivePolicy(township=township, **fields)
            for fields in DEFAULT_POLICIES
            if fields["key"] not in existing
        ]
    )


def qualifies(policy: IncentivePolicy) -> Q:
    """The one rule of who qualifies, as a filter on a year's star results (StarResult). Accounts of other kinds
    (residents, units) extend this rule when they get star ratings of their own."""
    rule = Q(stars__gte=policy.min_stars)
    if policy.min_total is not None:
        rule &= Q(total__gte=policy.min_total)
    if policy.party_members_only:
        party = Resident.objects.filter(household=OuterRef("household_id"), is_party_member=True)
        rule &= Q(Exists(party))
    return rule


def head_columns() -> dict[str, Subquery]:
    heads = Resident.objects.filter(household=OuterRef("household_id"), is_head=True)
    return {
        "head": Subquery(heads.values("name")[:1]),
        "head_id_number": Subquery(heads.values("id_number")[:1]),
        "head_mobile": Subquery(heads.values("mobile")[:1]),
    }


def qualifying_results(
    policy: IncentivePolicy, year: int, village_ids: list[int] | None = None
) -> QuerySet[StarResult]:
    """The star results of the year's published ratings that the policy accepts, with the head's name, ID and
    mobile (one query). Call inside the township scope."""
    results = star_households(year).filter(qualifies(policy)).annotate(**head_columns())
    if village_ids is not None:
        results = results.filter(village_id__in=village_ids)
    return results


def row(result: Any) -> dict[str, Any]:
    """One printed row. ID and mobile numbers are masked: the partner asks the household for the full numbers."""
    return {
        "village": result.village.name,
        "number": result.household.number,
        "head": result.head or "",
        "id_number": mask_id_number(result.head_id_number or ""),
        "mobile": mask_mobile(result.head_mobile or ""),
        "stars": result.stars,
        "total": result.total,
        "rank": f"{result.rank}/{result.n}",
    }


def qualifying_accounts(
    policy: IncentivePolicy, year: int, village_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Who qualifies for a policy of villagers, party members or units, as printed rows: the stars of their
    village's list (rewards.selectors.list_stars, the scheme's bands) at least `min_stars` — or, when `top` is set,
    the first `top` of the township's ranking (ties included) — and a total of at least `min_total` if set."""
    scheme = scheme_keeping({LIST_KIND[RankingList(policy.account_list)]}, year)
    if scheme is None:
        raise DomainError(
            _("No scheme of %(year)d keeps these accounts: load a scheme that keeps them first.")
            % {"year": year},
            code="no_scheme",
        )
    villages = Village.objects.order_by("sort_key", "pk")
    if village_ids is not None:
        villages = villages.filter(pk__in=village_ids)
    if policy.top is not None:
        township = Ranking(scheme, policy.account_list, year=year)
        n = township.count()
        chosen: list[tuple[Ranked, int | None, str]] = [(r, None, f"{r.rank}/{n}") for r in township[0:n]]
        chosen = [c for c in chosen if c[0].rank <= policy.top]
    else:
        chosen = []
        for village in villages:
            rows = list_stars(scheme, policy.account_list, village)
            chosen += [(r, stars, f"{r.rank}/{len(rows)}") for r, stars in rows if stars >= policy.min_stars]
    if policy.min_total is not None:
        chosen = [c for c in chosen if c[0].total >= policy.min_total]
    accounts = {
        a.pk: a
        for a in Account.objects.filter(pk__in=[r.account_id for r, _s, _rank in chosen]).select_related(
            "resident", "unit"
        )
    }
    shown = {v.pk for v in villages}
    result = []
    for r, stars, rank in chosen:
        account = accounts[r.account_id]
        if account.village_id not in shown:
            continue
        resident, unit = account.resident, account.unit
        result.append(
            {
                "village": r.village,
                "number": r.number,
                "head": r.name,
                "id_number": mask_id_number(resident.id_number) if resident else "",
                "mobile": mask_mobile(resident.mobile if resident else unit.contact_mobile if unit else ""),
                "stars": stars if stars is not None else "",
                "total": r.total,
                "rank": rank,
            }
        )
    return result


def qualifying_households(
    policy: IncentivePolicy, year: int, village_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Who qualifies for the policy in the year (one query), as printed rows; refused when the year has no
    published rating with star households. A policy for another list reads that list's ranking instead."""
    if policy.account_list != RankingList.HOUSEHOLD:
        return qualifying_accounts(policy, year, village_ids)
    rows = [row(r) for r in qualifying_results(policy, year, village_ids)]
    if not rows and not star_households(year).exists():
        raise DomainError(
            _("No published star rating of %(year)d has star households: run and publish the rating first.")
            % {"year": year},
            code="not_published",
        )
    return rows


def policies_of(township: Township) -> QuerySet[IncentivePolicy]:
    """The township's policies, active first (one query). Call inside the township scope."""
    return IncentivePolicy.objects.filter(township=township)
