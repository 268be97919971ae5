"""The star rating as a job (`core.jobs.start_job(kind="star_rating", params={"scheme_id": …})`).

The worker imports this module (Celery autodiscovery), which registers the runner; the task that runs it is
`core.tasks.run_job` (late acknowledgement: a killed worker's job is delivered again, and `rate_stars`
writes all or nothing, so running it again is harmless).
"""

import io
import logging

import openpyxl
from celery import shared_task
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.jobs import runner
from core.vocabulary import in_language
from households.models import Membership
from scoring.balances import balance_differences
from scoring.models import Scheme

from .balances import spent_differences
from .models import StarRun
from .selectors import StarChange, run_villages, village_summary
from .services import rate_stars

# Stored untranslated in the job's message; the job page translates them for the reader.
RANKING = gettext_noop("Adding up the year's totals and ranking each village")
SUMMARISING = gettext_noop("Writing the summary")

logger = logging.getLogger(__name__)


def star_summary_xlsx(run: StarRun, *, created: bool | None, changes: list[StarChange]) -> bytes:
    """Per village: N and the five-, four- and three-star counts; then the households whose stars changed."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _("Star rating")
    sheet.append([str(run.scheme), _("Version %(version)d") % {"version": run.version}])
    if created is not None:  # the year's archive shows the published run, not the outcome of a rating
        sheet.append([_("New version") if created else _("Same inputs as before: no new version")])
    sheet.append([])
    sheet.append([_("Village"), _("Households ranked"), _("Five stars"), _("Four stars"), _("Three stars")])
    for row in village_summary(run):
        sheet.append([row["village__name"], row["n"], row["five"], row["four"], row["three"]])
    not_rated = [v for v in run_villages(run) if not v.rated]
    if not_rated:
        sheet.append([])
        sheet.append([_("Villages not rated")])
        for village in not_rated:
            sheet.append([village.village.name, village.households, village.get_status_display()])
    sheet.column_dimensions["A"].width = 24
    if changes:
        changed = workbook.create_sheet(_("Changes"))
        changed.append([_("Household number"), _("Stars before"), _("Stars now")])
        for change in changes:
            changed.append([change.household.number, change.old, change.new])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _stars_source(job) -> tuple[str, str]:
    scheme = Scheme.objects.get(pk=job.params["scheme_id"])
    return scheme.name, reverse("rewards:star-overview", kwargs={"township_slug": job.township.slug})


@runner("star_rating", title=gettext_lazy("Star rating"), source=_stars_source)
def run_star_rating(job, progress) -> tuple[bytes, str]:
    scheme = Scheme.objects.get(pk=job.params["scheme_id"])
    # The job acts for the member who started it (their right is checked again: it may have been taken away).
    membership = Membership.objects.filter(user_id=job.created_by_id, township_id=job.township_id).first()
    progress(0, 2, RANKING)
    run, created, changes = rate_stars(membership=membership, scheme=scheme)
    progress(1, 2, SUMMARISING)
    with in_language("zh-hans"):  # the summary goes to the township office
        content = star_summary_xlsx(run, created=created, changes=changes)
    progress(2, 2, "")  # the page then says "done", not the last step's message
    return content, f"stars-{scheme.year}-v{run.version}.xlsx"


@shared_task(ignore_result=True)
def verify_balances() -> int:
    """Weekly (beat): the balances kept with the ledgers recomputed from them; every difference is logged as an
    error for the operator (`manage.py verify_balances` prints them and can repair). Reads only: safe to run twice."""
    differences = [*balance_differences(), *spent_differences()]
    for difference in differences:
        logger.error("balance differs from the ledger: %s", difference)
    if not differences:
        logger.info("balances agree with the ledger")
    return len(differences)
