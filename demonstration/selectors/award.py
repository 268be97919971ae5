"""The use of an award (专款专用): an awarded application's balance, spending and checks, and the misuse flags the
region's pages and the city's comparison show."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Sum

from core.tenancy import dangerously_all_townships

from ..models import (
    MISUSE_FINDINGS,
    Application,
    ApplicationState,
    AwardCheck,
    AwardSpending,
    CheckFinding,
    Region,
)
from . import ZERO, applications_for_region  # defined before the package imports this module

# The use of an award ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardBalance:
    award: Decimal
    spent: Decimal  # spending less its reversals
    balance: Decimal


def award_balance(application: Application) -> AwardBalance:
    """The award, what was spent of it and what is left (call inside the application's township scope)."""
    award = application.award if application.award is not None else ZERO
    spent = AwardSpending.objects.filter(application=application).aggregate(s=Sum("amount", default=ZERO))[
        "s"
    ]
    return AwardBalance(award=award, spent=spent, balance=award - spent)


def award_spending(application: Application) -> list:
    """Every spending and reversal of the award, oldest first, each knowing whether it was reversed."""
    items = list(
        AwardSpending.objects.filter(application=application)
        .select_related("recorded_by", "reverses")
        .order_by("spent_on", "id")
    )
    reversed_ids = {item.reverses_id for item in items if item.reverses_id}
    for item in items:
        item.was_reversed = item.pk in reversed_ids  # type: ignore[attr-defined]
    return items


def award_checks(application: Application) -> list:
    """The region's checks of the award's use, oldest first, with the items each sampled."""
    return list(
        AwardCheck.objects.filter(application=application)
        .select_related("region", "checked_by")
        .prefetch_related(Prefetch("sampled", queryset=AwardSpending.objects.order_by("spent_on", "id")))
        .order_by("checked_on", "id")
    )


@dataclass(frozen=True)
class MisuseFlag:
    """A village flagged by a check that found misuse (虚报, 挪用, 未按方案使用): how many such checks, the
    latest one's date and finding, and its follow-up."""

    checks: int
    last_checked_on: datetime.date
    last_finding: str  # a CheckFinding value
    last_finding_label: str
    follow_up: str


def misuse_flags(application_ids: list[int]) -> dict[int, MisuseFlag]:
    """application id → its misuse flag, for the applications that have one (the others are absent).

    For pages that list applications across townships (a county's or a city's): the caller passes the ids it
    already found through the region, so nothing outside them is read.
    """
    flags: dict[int, MisuseFlag] = {}
    if not application_ids:
        return flags
    with dangerously_all_townships():
        rows = (
            AwardCheck.objects.filter(application_id__in=application_ids, finding__in=MISUSE_FINDINGS)
            .order_by("application_id", "checked_on", "id")
            .values_list("application_id", "checked_on", "finding", "follow_up")
        )
        counts: dict[int, int] = {}
        for application_id, checked_on, finding, follow_up in rows:
            counts[application_id] = counts.get(application_id, 0) + 1
            flags[application_id] = MisuseFlag(
                checks=counts[application_id],
                last_checked_on=checked_on,
                last_finding=finding,
                last_finding_label=str(CheckFinding(finding).label),
                follow_up=follow_up,
            )
    return flags


@dataclass(frozen=True)
class AwardUse:
    """An awarded application as a county's or a city's list shows it."""

    application: Application
    balance: AwardBalance
    checks: int
    misuse: MisuseFlag | None


def awarded_for_region(region: Region) -> list[AwardUse]:
    """The awarded applications a county or city sees, with their balance, checks and misuse flag."""
    applications = [a for a in applications_for_region(region) if a.state == ApplicationState.AWARDED]
    ids = [a.pk for a in applications]
    flags = misuse_flags(ids)
    with dangerously_all_townships():
        spent = dict(
            AwardSpending.objects.filter(application_id__in=ids)
            .values("application_id")
            .annotate(s=Sum("amount"))
            .order_by()
            .values_list("application_id", "s")
        )
        checks = dict(
            AwardCheck.objects.filter(application_id__in=ids)
            .values("application_id")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("application_id", "n")
        )
    rows = []
    for application in applications:
        award, used = application.award or ZERO, spent.get(application.pk) or ZERO
        rows.append(
            AwardUse(
                application=application,
                balance=AwardBalance(award=award, spent=used, balance=award - used),
                checks=checks.get(application.pk, 0),
                misuse=flags.get(application.pk),
            )
        )
    return rows
