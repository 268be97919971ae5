"""The reward slips' pages (奖分通知单, issue 14): one approved claim's A5 slip, a notice batch's slips on A4.

Who may print is `publicity.slips` (`claim_for_slip`, `batch_for_slips`): outside it 404; a claim that is not
approved, or a batch without one, gets the document error page (400) and nothing printed."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header

from core import jobs
from core.errors import DomainError
from core.permissions import Action
from core.views import township_view

from .slips import SLIPS_INLINE, batch_for_slips, batch_slips_pdf, claim_for_slip, claim_slip_pdf


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    response["Cache-Control"] = "no-store, private"  # a household's own document
    return response


def _refused(request, exc: DomainError) -> HttpResponse:
    return render(request, "publicity/document_error.html", {"message": exc.message}, status=400)


@township_view(Action.VIEW)
def claim_slip(request, township, membership, pk):
    try:
        entry = claim_for_slip(membership, pk)
        return _pdf(*claim_slip_pdf(entry))
    except DomainError as exc:
        return _refused(request, exc)


@township_view(Action.VIEW)
def batch_slips(request, township, membership, pk):
    try:
        batch, entries = batch_for_slips(membership, pk)
        if len(entries) > SLIPS_INLINE:
            job = jobs.start_job(membership=membership, kind="batch_slips", params={"round_id": batch.pk})
            return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)
        return _pdf(*batch_slips_pdf(batch, entries))
    except DomainError as exc:
        return _refused(request, exc)


urlpatterns = [
    path("t/<slug:township_slug>/publicity/claims/<int:pk>/slip.pdf", claim_slip, name="claim-slip"),
    path("t/<slug:township_slug>/publicity/rounds/<int:pk>/slips.pdf", batch_slips, name="batch-slips"),
]
