"""Reward slips (奖分通知单) under /api/v1/t/<township_slug>/: `claims/{id}/slip.pdf` (one approved claim, A5) and
`rounds/{id}/slips.pdf` (a notice batch's approved claims, two to an A4 page). Who may print is
`publicity.slips`: what the member may not read is 404; a claim not approved or a batch without one, 400 with
the reason. A batch of more than SLIPS_INLINE slips answers 202 with a job (its page keeps the file)."""

import json

from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from core import jobs
from core.api import TownshipScopedViewSet
from core.permissions import Action
from households.api.roster import _empty
from review.selectors import claims_visible_to
from rewards.api.stars import JobStartedSerializer
from scoring.models import Entry

from ..slips import SLIPS_INLINE, batch_for_slips, batch_slips_pdf, claim_for_slip, claim_slip_pdf

PDF = OpenApiResponse(OpenApiTypes.BINARY, description="The PDF (Chinese, fonts embedded).")


class PDFRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/pdf`; an error still answers its JSON body."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    response["Cache-Control"] = "no-store, private"
    return response


class SlipViewSet(TownshipScopedViewSet):
    """奖分通知单: the reward slip of an approved claim, or of every approved claim of a notice batch."""

    queryset = _empty(Entry)
    renderer_classes = [JSONRenderer, PDFRenderer]
    filter_backends: list = []
    pagination_class = None
    write_action = (
        Action.VIEW
    )  # nothing to write: other methods get 405, after the township's 404 for outsiders

    def scoped_queryset(self):
        return claims_visible_to(self.membership)

    @extend_schema(responses={(200, "application/pdf"): PDF}, operation_id="claim_slip")
    def claim(self, request, *args, **kwargs):
        """The A5 reward slip of one approved claim (400 for a proposed or withdrawn one)."""
        return _pdf(*claim_slip_pdf(claim_for_slip(self.membership, kwargs["pk"])))

    @extend_schema(
        responses={(200, "application/pdf"): PDF, 202: JobStartedSerializer}, operation_id="batch_slips"
    )
    def batch(self, request, *args, **kwargs):
        """The reward slips of a notice batch's approved claims, two to an A4 page with a cut line, by village,
        area and household number. More than the inline limit: 202 with the job that renders them."""
        batch, entries = batch_for_slips(self.membership, kwargs["pk"])
        if len(entries) > SLIPS_INLINE:
            job = jobs.start_job(
                membership=self.membership, kind="batch_slips", params={"round_id": batch.pk}
            )
            url = reverse("households:job-detail", kwargs={"township_slug": self.township.slug, "pk": job.pk})
            return Response({"job": job.pk, "url": url}, status=status.HTTP_202_ACCEPTED)
        return _pdf(*batch_slips_pdf(batch, entries))
