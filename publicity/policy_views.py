"""The township office's incentive policies (scheme 4's 激励政策): the list, a policy's form, and who qualifies
for it in a year, printed (PDF) or exported (.xlsx) for the partner."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action
from core.views import get_visible, render_page, township_view
from households.forms import add_domain_error
from households.selectors import villages_visible_to

from . import services
from .forms import PolicyForm, QualifyingForm
from .incentives import incentive_pdf, incentive_xlsx
from .policies import policies_of, qualifying_households

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _url(request, name: str, **kwargs) -> str:
    return reverse(f"publicity:{name}", kwargs={"township_slug": request.township.slug, **kwargs})


@township_view(Action.MANAGE_REWARDS)
def policy_list(request, township, membership):
    return render_page(request, "publicity/policy_list.html", {"policies": list(policies_of(township))})


@township_view(Action.MANAGE_REWARDS)
def policy_form(request, township, membership, pk=None):
    policy = get_visible(policies_of(township), pk) if pk is not None else None
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST":
        try:
            if "deactivate" in request.POST and policy is not None:
                services.deactivate_policy(membership=membership, policy=policy)
                messages.success(request, _("The policy is stopped; its list can still be printed."))
                return redirect(_url(request, "policy-list"))
            if "reactivate" in request.POST and policy is not None:
                services.update_policy(membership=membership, policy=policy, active=True)
                messages.success(request, _("The policy is active again."))
                return redirect(_url(request, "policy-list"))
            if form.is_valid():
                data = form.cleaned_data
                if policy is None:
                    policy = services.create_policy(membership=membership, **data)
                else:
                    services.update_policy(membership=membership, policy=policy, **data)
                messages.success(request, _("The policy “%(name)s” is saved.") % {"name": policy.name})
                return redirect(_url(request, "policy-qualifying", pk=policy.pk))
        except DomainError as exc:
            add_domain_error(form, exc)
    return render_page(request, "publicity/policy_form.html", {"form": form, "policy": policy})


@township_view(Action.MANAGE_REWARDS)
def policy_qualifying(request, township, membership, pk):
    """Who qualifies for the policy in a year, in the villages the member sees (or one of them)."""
    policy = get_visible(policies_of(township), pk)
    villages = list(villages_visible_to(membership).order_by("sort_key", "pk"))
    data = request.GET if "year" in request.GET else None
    form = QualifyingForm(data, villages=villages, initial={"year": timezone.localdate().year - 1})
    rows, error = None, None
    if form.is_bound and form.is_valid():
        year, village = form.cleaned_data["year"], form.cleaned_data["village"]
        village_ids = [village] if village else [v.pk for v in villages]
        try:
            rows = qualifying_households(policy, year, village_ids)
        except DomainError as exc:
            error = exc.message
        else:
            name = f"incentive-{policy.pk}-{year}"
            if request.GET.get("format") == "pdf":
                response = HttpResponse(
                    incentive_pdf(township, year, policy, rows), content_type="application/pdf"
                )
                response["Content-Disposition"] = content_disposition_header(False, f"{name}.pdf")
                return response
            if request.GET.get("format") == "xlsx":
                response = HttpResponse(incentive_xlsx(township, year, policy, rows), content_type=XLSX)
                response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
                return response
    context = {"policy": policy, "form": form, "rows": rows, "error": error}
    return render_page(request, "publicity/policy_qualifying.html", context)


urlpatterns = [
    path("t/<slug:township_slug>/publicity/policies/", policy_list, name="policy-list"),
    path("t/<slug:township_slug>/publicity/policies/new/", policy_form, name="policy-create"),
    path("t/<slug:township_slug>/publicity/policies/<int:pk>/edit/", policy_form, name="policy-edit"),
    path(
        "t/<slug:township_slug>/publicity/policies/<int:pk>/qualifying/",
        policy_qualifying,
        name="policy-qualifying",
    ),
]
