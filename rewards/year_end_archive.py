"""The archive of a closed year (年度结算): one .zip of the year's report PDF, its figures, the published star
rating, the roster and the notice sheets of its rounds, made by the worker as the job "year_archive".

The report and the notice sheets are oversight's and publicity's, higher apps this one cannot import: their job
runners are found by kind in core.jobs' registry (the worker has imported them), so the layers hold."""

import io
import zipfile
from types import SimpleNamespace

from django.urls import reverse
from django.utils.translation import gettext_lazy, gettext_noop

from core import jobs
from core.vocabulary import in_language
from households.importing.export import export_roster
from households.models import Household, Membership
from households.units.selectors import units_visible_to
from scoring.models import YearClose

from .selectors.stars import published_run
from .selectors.year_end import ArchivePart, archive_parts
from .tasks import star_summary_xlsx

WRITING = gettext_noop("Writing the year's archive")


def _own_part(part: ArchivePart, close: YearClose, membership: Membership | None) -> bytes:
    if part.params["part"] == "stars":
        run = published_run(close.scheme)
        with in_language("zh-hans"):
            return star_summary_xlsx(run, created=None, changes=[]) if run else b""
    # The roster as the township kept it at the close, ID numbers masked: the archive is kept for years.
    return export_roster(
        Household.objects.order_by("village__sort_key", "number"),
        full_identity=False,
        units=units_visible_to(membership) if membership else None,
    )


def _close_source(job) -> tuple[str, str]:
    close = YearClose.objects.select_related("scheme").get(pk=job.params["close_id"])
    url = reverse(
        "rewards:year-end", kwargs={"township_slug": job.township.slug, "scheme_pk": close.scheme_id}
    )
    return str(close.scheme), url


@jobs.runner(
    "year_archive", queue="documents", title=gettext_lazy("Archive of the year (zip)"), source=_close_source
)
def run_year_archive(job, progress) -> tuple[bytes, str]:
    close = YearClose.objects.select_related("scheme", "township").get(pk=job.params["close_id"])
    membership = Membership.objects.filter(user_id=job.created_by_id, township_id=job.township_id).first()
    parts = archive_parts(close.scheme, close.year)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, part in enumerate(parts):
            progress(done, len(parts), WRITING)
            if part.kind:
                # The other app's runner, as a job of the same member with the part's parameters.
                stand_in = SimpleNamespace(
                    pk=job.pk,
                    township_id=job.township_id,
                    township=close.township,
                    created_by_id=job.created_by_id,
                    params=part.params,
                )
                content, _name = jobs.RUNNERS[part.kind](stand_in, lambda *args, **kwargs: None)
            else:
                content = _own_part(part, close, membership)
            archive.writestr(part.name, content)
    progress(len(parts), len(parts), "")
    return buffer.getvalue(), f"archive-{close.township.slug}-{close.scheme.pk}-{close.year}.zip"
