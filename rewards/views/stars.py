"""Star ratings: each scheme's current and published rating, starting a rating job, publishing, the results,
and the scheme's reward settings and levels (township office)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from households import jobs
from households.errors import DomainError
from households.forms import add_domain_error
from households.permissions import Action, can, villages_visible_to
from households.views.base import township_view
from scoring.models import Scheme, SchemeState

from .. import selectors, services
from ..forms import RewardLevelForm, SchemeRewardSettingsForm
from ..models import RewardLevel, StarRun, StarRunState
from .common import get_visible, parse_id, render_page, url

RESULTS_PER_PAGE = 50


def _schemes():
    return Scheme.objects.exclude(state=SchemeState.DRAFT).order_by("-year", "name", "pk")


@township_view(Action.VIEW)
def star_overview(request, township, membership):
    schemes = list(_schemes().prefetch_related("reward_levels"))
    runs = {run.scheme_id: run for run in StarRun.objects.filter(current=True, scheme__in=schemes)}
    published = {}
    newer = StarRun.objects.filter(
        scheme=OuterRef("scheme"), state=StarRunState.PUBLISHED, version__gt=OuterRef("version")
    )
    for run in StarRun.objects.filter(state=StarRunState.PUBLISHED, scheme__in=schemes).exclude(
        Exists(newer)
    ):
        published[run.scheme_id] = run
    rows = [{"scheme": s, "current": runs.get(s.pk), "published": published.get(s.pk)} for s in schemes]
    context = {"rows": rows, "can_manage": can(membership, Action.MANAGE_REWARDS)}
    return render_page(request, "rewards/star_overview.html", context)


@township_view(Action.MANAGE_REWARDS)
def star_rate(request, township, membership, scheme_pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    scheme = get_visible(_schemes(), scheme_pk)
    job = jobs.start_job(
        actor=request.user, township=township, kind="star_rating", params={"scheme_id": scheme.pk}
    )
    return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)


@township_view(Action.VIEW)
def run_detail(request, township, membership, pk):
    run = get_visible(StarRun.objects.select_related("scheme", "created_by", "published_by"), pk)
    villages = villages_visible_to(membership)
    visible = set(villages.values_list("pk", flat=True))
    summary = [row for row in selectors.village_summary(run) if row["village_id"] in visible]
    village_id = request.GET.get("village")
    results = None
    if village_id:
        village = get_visible(villages, village_id)
        results = Paginator(
            selectors.star_results_visible_to(membership, run)
            .filter(village=village)
            .select_related("household")
            .order_by("rank", "household__number"),
            RESULTS_PER_PAGE,
        ).get_page(request.GET.get("page"))
    context = {
        "run": run,
        "summary": summary,
        "results": results,
        "village_id": village_id and parse_id(village_id),
        "can_publish": can(membership, Action.APPROVE_ROUND)
        and run.current
        and run.state == StarRunState.PROPOSED,
    }
    return render_page(request, "rewards/run_detail.html", context)


@township_view(Action.MANAGE_REWARDS)
def run_publish(request, township, membership, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    run = get_visible(StarRun.objects.select_related("scheme"), pk)
    try:
        services.publish_run(actor=request.user, run=run)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The star rating %(run)s is published.") % {"run": run})
    return redirect(url(request, "run-detail", pk=run.pk))


@township_view(Action.MANAGE_REWARDS)
def scheme_rewards(request, township, membership, scheme_pk):
    """The scheme's star bands and spendable points, and the three reward levels, on one page."""
    scheme = get_visible(_schemes(), scheme_pk)
    levels = {level.stars: level for level in RewardLevel.objects.filter(scheme=scheme)}
    initial = {name: getattr(scheme, name) for name in services.stars.SETTINGS_FIELDS}
    posted = request.POST if request.method == "POST" else None
    settings_form = SchemeRewardSettingsForm(
        posted if posted and "settings" in posted else None, initial=initial
    )
    level_forms = [
        (
            stars,
            RewardLevelForm(
                posted if posted and "levels" in posted else None,
                prefix=f"l{stars}",
                initial={
                    "plaque": getattr(levels.get(stars), "plaque", services.budget.DEFAULT_PLAQUES[stars]),
                    "reward": getattr(levels.get(stars), "reward", ""),
                    "value": getattr(levels.get(stars), "value", 0),
                },
            ),
        )
        for stars in (5, 4, 3)
    ]
    if posted and "settings" in posted and settings_form.is_valid():
        try:
            services.set_reward_settings(actor=request.user, scheme=scheme, **settings_form.cleaned_data)
        except DomainError as exc:
            add_domain_error(settings_form, exc)
        else:
            messages.success(request, _("The settings are saved."))
            return redirect(url(request, "scheme-rewards", scheme_pk=scheme.pk))
    if posted and "levels" in posted and all(form.is_valid() for _stars, form in level_forms):
        for stars, form in level_forms:
            services.set_reward_level(actor=request.user, scheme=scheme, stars=stars, **form.cleaned_data)
        messages.success(request, _("The rewards are saved."))
        return redirect(url(request, "scheme-rewards", scheme_pk=scheme.pk))
    context = {"scheme": scheme, "settings_form": settings_form, "level_forms": level_forms}
    return render_page(request, "rewards/scheme_rewards.html", context)


urlpatterns = [
    path("stars/", star_overview, name="star-overview"),
    path("stars/scheme/<int:scheme_pk>/rate/", star_rate, name="star-rate"),
    path("stars/scheme/<int:scheme_pk>/settings/", scheme_rewards, name="scheme-rewards"),
    path("stars/<int:pk>/", run_detail, name="run-detail"),
    path("stars/<int:pk>/publish/", run_publish, name="run-publish"),
]
