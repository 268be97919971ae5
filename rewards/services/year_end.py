"""The year-end close (年度结算) of a scheme's year (a school's term: the scheme's dates).

Allowed once every village's annual round of the year is approved and the star rating is published (and still
matches the ledger); otherwise refused, naming each village still open and what it misses, with nothing written.
In one transaction it records the close (who, when, the dry run's summary), which freezes the year
(scoring.models.closes.refuse_closed_year: nothing more is recorded or approved in it; corrections post to the
next year), clears the spendable points left when the scheme's points start again each year (a row per account,
who and why; otherwise they carry over: the balance reads across years), closes a one-year scheme, copies the
scheme to the next year as a draft, and starts the archive job. Closing again is a no-op.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from core import jobs
from core.errors import DomainError
from core.permissions import Action, require
from households.models import Membership
from scoring.models import Scheme, SchemeState, YearClose
from scoring.services import close_scheme, copy_scheme

from ..models import SpendableClearing
from ..selectors.year_end import CLEAR, YearEndPlan, year_end_plan


def close_year(*, membership: Membership, scheme: Scheme, year: int | None = None) -> tuple[YearClose, bool]:
    """Close `year` of `scheme` (its own year unless said). Returns the close and whether this call made it
    (False: the year was already closed, nothing was done again).

    Right: CLOSE_YEAR on the scheme (the township office)."""
    require(membership, Action.CLOSE_YEAR, scheme, message=_("Only the township office closes a year."))
    year = year or scheme.year
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().get(
            pk=scheme.pk
        )  # two closes at once: one waits, then no-ops
        if (existing := YearClose.objects.filter(scheme=scheme, year=year).first()) is not None:
            return existing, False
        if scheme.state == SchemeState.DRAFT:
            raise DomainError(_("A draft scheme has no year to close."))
        plan = year_end_plan(scheme, year)
        if not plan.ok:
            raise DomainError(
                _("The year %(year)d cannot be closed yet. Nothing was changed. Still open: %(problems)s")
                % {"year": year, "problems": " · ".join(plan.problems())},
                code="year_open",
            )
        next_scheme = plan.next_scheme or copy_scheme(
            membership=membership,
            scheme=scheme,
            year=plan.next_year,
            name=plan.next_name,
            starts_on=plan.next_starts_on,
            ends_on=plan.next_ends_on,
        )
        close = YearClose.objects.create(
            township_id=scheme.township_id,
            scheme=scheme,
            year=year,
            closed_by=membership.user,
            next_scheme=next_scheme,
            spendable=plan.spendable,
            summary=plan.summary(),
        )
        _clear_spendable(membership, close, plan)
        if scheme.state == SchemeState.ACTIVE and scheme.ends_on is not None:
            close_scheme(membership=membership, scheme=scheme)  # a one-year scheme ends with its year
        close.archive_job = jobs.start_job(
            membership=membership, kind="year_archive", params={"close_id": close.pk}
        )
        close.save(update_fields=["archive_job"])
    return close, True


def _clear_spendable(membership: Membership, close: YearClose, plan: YearEndPlan) -> None:
    if plan.spendable != CLEAR:
        return
    reason = _("Year-end close of %(year)d: the scheme's spendable points start again each year.") % {
        "year": close.year
    }
    SpendableClearing.objects.bulk_create(
        SpendableClearing(
            township_id=close.township_id,
            close=close,
            account_id=line.account_id,
            household_id=line.household_id,
            year=close.year,
            points=line.points,
            reason=reason[:200],
            created_by=membership.user,
        )
        for line in plan.accounts
    )
