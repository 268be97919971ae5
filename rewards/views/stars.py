"""Star ratings: each scheme's current and published rating, starting a rating job, publishing, the results,
and the scheme's reward settings and levels (township office)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from core import jobs
from core.errors import DomainError
from core.natural import natural_key
from core.permissions import Action, can
from core.views import township_view
from core.vocabulary import OrganisationKind
from households.forms import add_domain_error
from households.selectors import villages_visible_to
from scoring.models import Category, Scheme, SchemeState

from .. import selectors, services
from ..forms import (
    PublishRunForm,
    RewardLevelForm,
    SchemeRewardSettingsForm,
    TieBreakForm,
    VillageOverrideForm,
)
from ..models import RewardLevel, StarRun, StarRunState, VillageRating
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
    context = {
        "rows": rows,
        "can_manage": can(membership, Action.MANAGE_REWARDS),
        "can_close_year": can(membership, Action.CLOSE_YEAR),
        "to_publish": list(selectors.runs_to_publish()) if can(membership, Action.MANAGE_REWARDS) else [],
    }
    return render_page(request, "rewards/star_overview.html", context)


@township_view(Action.MANAGE_REWARDS)
def star_rate(request, township, membership, scheme_pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    scheme = get_visible(_schemes(), scheme_pk)
    job = jobs.start_job(membership=membership, kind="star_rating", params={"scheme_id": scheme.pk})
    return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)


def _village_rows(run: StarRun, visible: set[int]) -> list[dict]:
    """Each village the member sees: its status on the run (rated, rated on an override, not rated and why), its
    star counts and overflow. Runs from before issue 12 have no statuses: their ranked villages show as rated."""
    summary = {row["village_id"]: row for row in selectors.village_summary(run)}
    statuses = {v.village_id: v for v in selectors.run_villages(run)}
    rows = []
    for village_id in sorted(set(summary) | set(statuses)):
        if village_id not in visible:
            continue
        status, counts = statuses.get(village_id), summary.get(village_id, {})
        rows.append(
            {
                "village_id": village_id,
                "name": status.village.name if status else counts["village__name"],
                "status": status,
                "rated": status is None or status.rated,
                "n": counts.get("n", status.households if status else 0),
                "five": counts.get("five", 0),
                "four": counts.get("four", 0),
                "three": counts.get("three", 0),
                "disqualified": counts.get("disqualified", 0),
            }
        )
    return sorted(rows, key=lambda row: (natural_key(row["name"]), row["village_id"]))


@township_view(Action.VIEW)
def run_detail(request, township, membership, pk):
    run = get_visible(
        StarRun.objects.select_related(
            "scheme", "created_by", "published_by", "overflow_confirmed_by", "tie_break_category"
        ),
        pk,
    )
    villages = villages_visible_to(membership)
    visible = set(villages.values_list("pk", flat=True))
    rows = _village_rows(run, visible)
    can_manage = can(membership, Action.MANAGE_REWARDS)
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
    pending = [
        row for row in rows if row["status"] and row["status"].status == VillageRating.ROUND_NOT_APPROVED
    ]
    can_override = can_manage and can(membership, Action.APPROVE_ROUND) and run.current and bool(pending)
    context = {
        "run": run,
        "summary": rows,
        "overflowing": [row for row in rows if row["status"] and row["status"].overflow > 1],
        "results": results,
        "village_id": village_id and parse_id(village_id),
        "stale_reason": selectors.stale_reason(run),
        "can_rate": can_manage,
        "override_form": VillageOverrideForm(
            villages=villages.filter(pk__in=[row["village_id"] for row in pending]), initial={}
        )
        if can_override
        else None,
        "can_publish": can_manage and run.current and not run.stale and run.state == StarRunState.PROPOSED,
    }
    return render_page(request, "rewards/run_detail.html", context)


@township_view(Action.MANAGE_REWARDS)
def run_publish(request, township, membership, pk):
    """A confirmation page (what is published, the overflow to accept), then the publication itself."""
    run = get_visible(StarRun.objects.select_related("scheme", "tie_break_category"), pk)
    posted = request.POST if request.method == "POST" else None
    form = PublishRunForm(posted, needs_confirmation=run.needs_confirmation)
    if posted is not None and form.is_valid():
        try:
            services.publish_run(
                membership=membership,
                run=run,
                confirm_overflow=form.cleaned_data.get("confirm_overflow", False),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(url(request, "run-detail", pk=run.pk))
        messages.success(request, _("The star rating %(run)s is published.") % {"run": run})
        return redirect(url(request, "run-detail", pk=run.pk))
    visible = set(villages_visible_to(membership).values_list("pk", flat=True))
    rows = _village_rows(run, visible)
    context = {
        "run": run,
        "form": form,
        "summary": rows,
        "overflowing": [row for row in rows if row["status"] and row["status"].overflow > 1],
        "stale_reason": selectors.stale_reason(run),
    }
    return render_page(request, "rewards/run_publish.html", context)


@township_view(Action.MANAGE_REWARDS)
def star_override(request, township, membership, scheme_pk):
    """Rate a village before its annual round is approved (the township office, with a reason): records the
    decision, then starts the rating job."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    scheme = get_visible(_schemes(), scheme_pk)
    back = redirect(url(request, "star-overview"))
    run_id = request.POST.get("run", "")
    if run_id and StarRun.objects.filter(pk=parse_id(run_id), scheme=scheme).exists():
        back = redirect(url(request, "run-detail", pk=parse_id(run_id)))
    form = VillageOverrideForm(request.POST, villages=villages_visible_to(membership))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return back
    try:
        services.override_village_round(
            membership=membership,
            scheme=scheme,
            village=form.cleaned_data["village"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return back
    job = jobs.start_job(membership=membership, kind="star_rating", params={"scheme_id": scheme.pk})
    return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)


@township_view(Action.MANAGE_REWARDS)
def scheme_rewards(request, township, membership, scheme_pk):
    """The scheme's star bands and spendable points, and the three reward levels, on one page."""
    scheme = get_visible(_schemes(), scheme_pk)
    levels = {level.stars: level for level in RewardLevel.objects.filter(scheme=scheme)}
    rule = selectors.star_rule(scheme)  # unsaved with the inherited or default settings when it has none yet
    initial = {name: getattr(rule, name) for name in services.stars.SETTINGS_FIELDS}
    posted = request.POST if request.method == "POST" else None
    settings_form = SchemeRewardSettingsForm(
        posted if posted and "settings" in posted else None,
        initial=initial,
        school=township.kind == OrganisationKind.SCHOOL,
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
    ties_form = TieBreakForm(
        posted if posted and "ties" in posted else None,
        categories=Category.objects.filter(scheme=scheme),
        initial={
            "fewer_penalties": rule.tie_break_fewer_penalties,
            "category": rule.tie_break_category_id,
            "category_first": rule.tie_break_category_first,
        },
    )
    if posted and "ties" in posted and ties_form.is_valid():
        try:
            services.set_star_rule(membership=membership, scheme=scheme, **ties_form.cleaned_data)
        except DomainError as exc:
            add_domain_error(ties_form, exc)
        else:
            messages.success(request, _("The settings are saved."))
            return redirect(url(request, "scheme-rewards", scheme_pk=scheme.pk))
    if posted and "settings" in posted and settings_form.is_valid():
        try:
            services.set_reward_settings(membership=membership, scheme=scheme, **settings_form.cleaned_data)
        except DomainError as exc:
            add_domain_error(settings_form, exc)
        else:
            messages.success(request, _("The settings are saved."))
            return redirect(url(request, "scheme-rewards", scheme_pk=scheme.pk))
    if posted and "levels" in posted and all(form.is_valid() for _stars, form in level_forms):
        for stars, form in level_forms:
            services.set_reward_level(membership=membership, scheme=scheme, stars=stars, **form.cleaned_data)
        messages.success(request, _("The rewards are saved."))
        return redirect(url(request, "scheme-rewards", scheme_pk=scheme.pk))
    context = {
        "scheme": scheme,
        "settings_form": settings_form,
        "ties_form": ties_form,
        "level_forms": level_forms,
    }
    return render_page(request, "rewards/scheme_rewards.html", context)


urlpatterns = [
    path("stars/", star_overview, name="star-overview"),
    path("stars/scheme/<int:scheme_pk>/rate/", star_rate, name="star-rate"),
    path("stars/scheme/<int:scheme_pk>/settings/", scheme_rewards, name="scheme-rewards"),
    path("stars/<int:pk>/", run_detail, name="run-detail"),
    path("stars/<int:pk>/publish/", run_publish, name="run-publish"),
    path("stars/scheme/<int:scheme_pk>/override/", star_override, name="star-override"),
]
