"""The roster export as a job, for a roster too big to export within a request."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import jobs
from core.permissions import Action, can

from ..models import Membership
from ..selectors import households_visible_to
from ..units.selectors import units_visible_to
from .export import export_roster


def _roster_source(job) -> tuple[str, str]:
    return _("Households"), reverse("households:household-list", kwargs={"township_slug": job.township.slug})


@jobs.runner("roster_export", title=_("Roster export (Excel)"), source=_roster_source)
def run_roster_export(job, progress) -> tuple[bytes, str]:
    """The export of a big roster, as a job: the member's view of the roster at the time it runs."""
    membership = Membership.objects.get(pk=job.params["membership_id"])
    content = export_roster(
        households_visible_to(membership),
        full_identity=can(membership, Action.EDIT_ROSTER),
        progress=progress,
        units=units_visible_to(membership),
    )
    return content, f"roster-{job.township.slug}-{timezone.localdate():%Y%m%d}.xlsx"
