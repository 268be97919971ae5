"""Budgets and rewards (township office; members of a village read their village's): the year's budgets with
funded, committed, spent and left; funding lines; allocating a published rating's rewards; cancelling one."""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can, check
from core.views import township_view
from households.forms import add_domain_error
from households.selectors import villages_visible_to

from .. import selectors, services
from ..forms import BudgetForm, FundingForm, ReasonForm
from ..models import StarRun, StarRunState
from ..selectors import allocations_visible_to, budgets_visible_to
from .common import get_visible, render_page, url, year_of


@township_view(Action.VIEW)
def budget_list(request, township, membership):
    year = year_of(request)
    villages = villages_visible_to(membership).order_by("sort_key", "pk")
    figures = selectors.budget_figures(year=year, village_ids=[v.pk for v in villages])
    rows = [{"village": v, "figures": figures[v.pk]} for v in villages]
    form = None
    if can(membership, Action.MANAGE_REWARDS):
        form = BudgetForm(request.POST or None, villages=villages, initial={"year": year})
        if request.method == "POST" and form.is_valid():
            try:
                budget = services.open_budget(membership=membership, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The budget of %(budget)s is open.") % {"budget": budget})
                return redirect(url(request, "budget-detail", pk=budget.pk))
    elif request.method == "POST":
        check(membership, Action.MANAGE_REWARDS)
    context = {"year": year, "rows": rows, "form": form, "years": [year - 1, year, year + 1]}
    return render_page(request, "rewards/budget_list.html", context)


@township_view(Action.VIEW)
def budget_detail(request, township, membership, pk):
    budget = get_visible(budgets_visible_to(membership).select_related("village"), pk)
    can_manage = can(membership, Action.MANAGE_REWARDS)
    form = FundingForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            check(membership, Action.MANAGE_REWARDS)  # the page has no form for this member
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.add_funding(membership=membership, budget=budget, **data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The funding line is added."))
                return redirect(url(request, "budget-detail", pk=budget.pk))
    runs = StarRun.objects.filter(
        scheme__year=budget.year, state=StarRunState.PUBLISHED, current=True
    ).select_related("scheme")
    allocations = (
        allocations_visible_to(membership)
        .filter(budget=budget)
        .select_related("household", "reverses", "created_by")
        .prefetch_related("reversed_by")
    )
    context = {
        "budget": budget,
        "figures": selectors.figures_of(budget),
        "lines": budget.funding_lines.select_related("created_by"),
        "allocations": allocations,
        "runs": runs,
        "form": form,
        "can_manage": can_manage,
    }
    return render_page(request, "rewards/budget_detail.html", context)


@township_view(Action.MANAGE_REWARDS)
def budget_allocate(request, township, membership, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    budget = get_visible(budgets_visible_to(membership).select_related("village"), pk)
    run = get_visible(
        StarRun.objects.filter(scheme__year=budget.year).select_related("scheme"), request.POST.get("run")
    )
    try:
        allocations = services.allocate_rewards(membership=membership, run=run, village=budget.village)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)d rewards allocated.") % {"n": len(allocations)})
    return redirect(url(request, "budget-detail", pk=budget.pk))


@township_view(Action.MANAGE_REWARDS)
def budget_recount(request, township, membership, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    budget = get_visible(budgets_visible_to(membership).select_related("village"), pk)
    budget = services.recount_residents(membership=membership, budget=budget)
    messages.success(request, _("%(n)d residents counted.") % {"n": budget.residents})
    return redirect(url(request, "budget-detail", pk=budget.pk))


@township_view(Action.MANAGE_REWARDS)
def allocation_cancel(request, township, membership, pk):
    allocation = get_visible(allocations_visible_to(membership).select_related("budget", "household"), pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_allocation(membership=membership, allocation=allocation, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The reward is cancelled; its money is back in the budget."))
            return redirect(url(request, "budget-detail", pk=allocation.budget_id))
    context = {"allocation": allocation, "form": form}
    return render_page(request, "rewards/allocation_cancel.html", context)


urlpatterns = [
    path("budgets/", budget_list, name="budget-list"),
    path("budgets/<int:pk>/", budget_detail, name="budget-detail"),
    path("budgets/<int:pk>/allocate/", budget_allocate, name="budget-allocate"),
    path("budgets/<int:pk>/recount/", budget_recount, name="budget-recount"),
    path("allocations/<int:pk>/cancel/", allocation_cancel, name="allocation-cancel"),
]
