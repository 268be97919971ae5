"""Budgets (seed 4), rewards per star level, and their allocation to a year's star households.

Every draw on a budget — an allocation here, a redemption's cost in `shop.py` — takes the budget's row lock
first and is refused with the shortfall in yuan when it would pass what is left.
"""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from core.permissions import Action, require
from households.models import Membership, Resident, Village
from scoring.models import Scheme

from ..models import (
    DEFAULT_PER_RESIDENT,
    PER_RESIDENT_KINDS,
    Budget,
    FundingKind,
    FundingLine,
    RewardAllocation,
    RewardLevel,
    StarRun,
    StarRunState,
)
from ..selectors import budgets_with_figures, figures_of


def _office_only() -> str:
    return _("Only the township office manages budgets and rewards.")


def _yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def _residents_of(village: Village) -> int:
    return Resident.objects.filter(household__village=village).current().count()


def open_budget(
    *,
    membership: Membership,
    village: Village,
    year: int,
    cap_per_resident: Decimal = Decimal("2"),
    fund_defaults: bool = True,
) -> Budget:
    """A village's budget for a year, with the residents counted now; by default funded 1.5 + 1 yuan per resident."""
    require(membership, Action.MANAGE_REWARDS, village, message=_office_only())
    if Budget.objects.filter(village=village, year=year).exists():
        raise DomainError(
            _("%(village)s already has a budget for %(year)s.") % {"village": village, "year": year},
            field="year",
        )
    with transaction.atomic():
        budget = Budget(
            township_id=village.township_id,
            village=village,
            year=year,
            cap_per_resident=cap_per_resident,
            residents=_residents_of(village),
            created_by=membership.user,
        )
        full_clean_or_raise(budget)
        budget.save()
        if fund_defaults:
            for kind in PER_RESIDENT_KINDS:
                if budget.residents:
                    add_funding(membership=membership, budget=budget, kind=kind)
    return budget


def recount_residents(*, membership: Membership, budget: Budget) -> Budget:
    """Count the village's residents again (the cap moves; per-resident lines already given stay as they are)."""
    require(membership, Action.MANAGE_REWARDS, budget, message=_office_only())
    with transaction.atomic():
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        budget.residents = _residents_of(budget.village)
        budget.save(update_fields=["residents"])
    return budget


def add_funding(
    *,
    membership: Membership,
    budget: Budget,
    kind: str,
    amount: Decimal | None = None,
    per_resident: Decimal | None = None,
    source: str = "",
    note: str = "",
) -> FundingLine:
    """Money into a budget. Per-resident lines are rate × the budget's residents; a negative amount corrects."""
    require(membership, Action.MANAGE_REWARDS, budget, message=_office_only())
    if kind not in FundingKind.values:
        raise DomainError(_("Choose a kind of funding."), field="kind")
    if kind in PER_RESIDENT_KINDS:
        per_resident = DEFAULT_PER_RESIDENT[FundingKind(kind)] if per_resident is None else per_resident
        amount = (per_resident * budget.residents).quantize(Decimal("0.01"))
    elif amount is None:
        raise DomainError(_("Give the amount in yuan."), field="amount")
    else:
        per_resident = None
    if not amount:
        raise DomainError(_("The amount cannot be zero."), field="amount")
    if amount < 0 and not note.strip():
        raise DomainError(_("A negative line corrects an earlier one: say why in the note."), field="note")
    line = FundingLine(
        township_id=budget.township_id,
        budget=budget,
        kind=kind,
        per_resident=per_resident,
        amount=amount,
        source=source,
        note=note,
        created_by=membership.user,
    )
    full_clean_or_raise(line)
    with transaction.atomic():
        locked = lock_budget(budget)
        figures = figures_of(locked)
        if amount < 0 and figures.funded + amount < figures.committed + figures.spent:
            raise DomainError(
                _("This correction would leave less funding than is already committed and spent."),
                field="amount",
            )
        line.save()
    return line


def lock_budget(budget: Budget) -> Budget:
    """The budget's row, locked for the rest of the transaction, with its figures read after the lock (a second
    statement: one locking row and summing in one would sum from a snapshot taken before waiting for the lock)."""
    Budget.objects.select_for_update().filter(pk=budget.pk).first()
    return budgets_with_figures().get(pk=budget.pk)


def check_room(budget: Budget, amount: Decimal, what: str) -> None:
    """Refuse a draw that would pass what is left (call with the budget locked)."""
    left = figures_of(budget).left
    if amount > left:
        raise DomainError(
            _(
                "%(what)s needs %(amount)s but the budget of %(village)s for %(year)s has %(left)s left: "
                "%(shortfall)s short. Add funding or lower the rewards."
            )
            % {
                "what": what,
                "amount": _yuan(amount),
                "village": budget.village,
                "year": budget.year,
                "left": _yuan(max(left, Decimal("0"))),
                "shortfall": _yuan(amount - max(left, Decimal("0"))),
            },
            code="budget_shortfall",
        )


def lock_budget_for(village_id: int, year: int) -> Budget:
    """The village's budget for the year as `lock_budget` gives it (locked, its figures read after the lock); refused
    when the township office has not opened it."""
    locked = Budget.objects.select_for_update().filter(village_id=village_id, year=year).first()
    if locked is None:
        village = Village.objects.get(pk=village_id)
        raise DomainError(
            _("%(village)s has no budget for %(year)s yet: the township office opens it on the budget page.")
            % {"village": village, "year": year},
            code="no_budget",
        )
    return budgets_with_figures().get(pk=locked.pk)


# Reward levels ----------------------------------------------------------------------------------------------------


DEFAULT_PLAQUES = {5: "五星级文明户", 4: "四星级文明户", 3: "三星级文明户"}


def set_reward_level(
    *,
    membership: Membership,
    scheme: Scheme,
    stars: int,
    plaque: str = "",
    reward: str = "",
    value: Decimal = Decimal("0"),
) -> RewardLevel:
    """What a star level of the scheme brings (created or changed; allocations keep what they were given)."""
    require(membership, Action.MANAGE_REWARDS, scheme, message=_office_only())
    if stars not in (3, 4, 5):
        raise DomainError(_("Rewards are set for 3, 4 or 5 stars."), field="stars")
    level = RewardLevel.objects.filter(scheme=scheme, stars=stars).first() or RewardLevel(
        township_id=scheme.township_id, scheme=scheme, stars=stars
    )
    level.plaque, level.reward, level.value = plaque or DEFAULT_PLAQUES[stars], reward, value
    full_clean_or_raise(level)
    level.save()
    return level


# Allocations ------------------------------------------------------------------------------------------------------


def allocate_rewards(*, membership: Membership, run: StarRun, village: Village) -> list[RewardAllocation]:
    """Give the village's star households of a published rating their level's reward, all or nothing.

    Households already holding a standing allocation of the scheme are skipped (safe to run twice); the total is
    drawn on the village's budget of the scheme's year and refused with the shortfall when it does not fit.
    """
    require(membership, Action.MANAGE_REWARDS, village, message=_office_only())
    run = StarRun.objects.select_related("scheme").get(
        pk=run.pk
    )  # as it is now, not as the caller last saw it
    if run.state != StarRunState.PUBLISHED:
        raise DomainError(_("Rewards follow the published star rating: publish it first."))
    scheme = run.scheme
    levels = {level.stars: level for level in RewardLevel.objects.filter(scheme=scheme)}
    if not levels:
        raise DomainError(_("Set the rewards of each star level first."))
    with transaction.atomic():
        budget = lock_budget_for(village.pk, scheme.year)
        holding = set(
            RewardAllocation.objects.filter(
                run__scheme=scheme, budget__village=village, reverses__isnull=True, reversed_by__isnull=True
            ).values_list("household_id", flat=True)
        )
        results = run.results.filter(village=village, stars__gte=3).select_related("household")
        new = [
            RewardAllocation(
                township_id=run.township_id,
                budget=budget,
                run=run,
                household=result.household,
                stars=result.stars,
                plaque=levels[result.stars].plaque,
                reward=levels[result.stars].reward,
                value=levels[result.stars].value,
                created_by=membership.user,
            )
            for result in results
            if result.stars in levels and result.household_id not in holding
        ]
        if not new:
            return []
        check_room(budget, sum((a.value for a in new), Decimal("0")), _("These rewards"))
        return RewardAllocation.objects.bulk_create(new)


def cancel_allocation(
    *, membership: Membership, allocation: RewardAllocation, reason: str
) -> RewardAllocation:
    """A reversing allocation gives the money back to the budget; the original stays as it was."""
    require(membership, Action.MANAGE_REWARDS, allocation, message=_office_only())
    if not reason.strip():
        raise DomainError(_("Say why the reward is cancelled."), field="reason")
    with transaction.atomic():
        lock_budget(allocation.budget)
        allocation = RewardAllocation.objects.select_related("budget").get(pk=allocation.pk)
        if allocation.reverses_id is not None:
            raise DomainError(_("This is a cancellation; it cannot be cancelled."))
        if RewardAllocation.objects.filter(reverses=allocation).exists():
            raise DomainError(_("This reward is already cancelled."))
        return RewardAllocation.objects.create(
            township_id=allocation.township_id,
            budget=allocation.budget,
            run=allocation.run,
            household=allocation.household,
            stars=allocation.stars,
            plaque=allocation.plaque,
            reward=allocation.reward,
            value=-allocation.value,
            reverses=allocation,
            reason=reason.strip(),
            created_by=membership.user,
        )
