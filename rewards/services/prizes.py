"""Term-end prizes of the class scheme (seed 2, 附说明 4): compute a class's list, set a special prize, publish
the list, hand a prize out at the start of the next term ("奖品在下学期初兑现").

The head teacher (MANAGE_REWARDS, limited to their classes) does all four. Computing is safe to run again: under
a lock on the scheme row, the proposed list's computed prizes are replaced by what the rule gives now (the same
ledger gives the same rows), special prizes stay. A published list no longer changes; publishing is refused when
the ledger has changed since the list was computed."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Household, Membership, Village
from scoring.models import Scheme, SchemeState

from ..models import PrizeList, PrizeListState, PrizeTier, TermPrize
from ..selectors import class_ranking, proposed_prizes, tier_sizes


def _teacher_only() -> str:
    return _("Only the head teacher of the class sets its prizes.")


def _term_over_or_closed(scheme: Scheme, close_early: bool) -> bool:
    """Whether the list is computed before the term's last day (refused unless the head teacher closes it)."""
    today = timezone.localdate()
    if scheme.ends_on is not None and today > scheme.ends_on:
        return False
    if close_early:
        return True
    if scheme.ends_on is None:
        raise DomainError(
            _("The scheme %(scheme)s has no last day: close the term to compute its prizes.")
            % {"scheme": scheme.name},
            field="close_early",
            code="term_not_over",
        )
    raise DomainError(
        _("The term runs until %(end)s: close it early to compute the prizes now.") % {"end": scheme.ends_on},
        field="close_early",
        code="term_not_over",
    )


def compute_term_prizes(
    *, membership: Membership, scheme: Scheme, village: Village, close_early: bool = False
) -> PrizeList:
    """The class's prize list of the term, computed (again) from the ledger; refused once published."""
    require(membership, Action.MANAGE_REWARDS, village, message=_teacher_only())
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
        if scheme.state == SchemeState.DRAFT:
            raise DomainError(
                _("The scheme %(scheme)s is still a draft: it has no term to close.") % {"scheme": scheme},
                code="draft_scheme",
            )
        early = _term_over_or_closed(scheme, close_early)
        sizes = tier_sizes(scheme)
        now = timezone.now()
        prize_list = PrizeList.objects.select_for_update().filter(scheme=scheme, village=village).first()
        if prize_list is not None and prize_list.published:
            raise DomainError(
                _("The prize list of %(class)s is published: it no longer changes.")
                % {"class": village.name},
                code="already_published",
            )
        if prize_list is None:
            prize_list = PrizeList(township_id=scheme.township_id, scheme=scheme, village=village)
        prize_list.first, prize_list.second, prize_list.third = sizes.first, sizes.second, sizes.third
        prize_list.closed_early = early
        prize_list.computed_by, prize_list.computed_at = membership.user, now
        ranking = class_ranking(scheme, village)
        prize_list.students = len(ranking)
        prize_list.save()
        special = set(
            TermPrize.objects.filter(prize_list=prize_list, tier=PrizeTier.SPECIAL).values_list(
                "household_id", flat=True
            )
        )
        TermPrize.objects.filter(prize_list=prize_list).exclude(tier=PrizeTier.SPECIAL).delete()
        TermPrize.objects.bulk_create(
            TermPrize(
                township_id=scheme.township_id,
                prize_list=prize_list,
                scheme=scheme,
                village=village,
                household_id=prize.household_id,
                tier=prize.tier,
                rank=prize.rank,
                total=prize.total,
            )
            for prize in proposed_prizes(scheme, village, sizes, ranking)
            if prize.household_id not in special
        )
    return prize_list


def _proposed(prize_list: PrizeList) -> PrizeList:
    locked = PrizeList.objects.select_for_update().get(pk=prize_list.pk)
    if locked.published:
        raise DomainError(_("This prize list is published: it no longer changes."), code="already_published")
    return locked


def award_special_prize(
    *, membership: Membership, prize_list: PrizeList, household: Household, reason: str
) -> TermPrize:
    """特等 for a student of the class who stands out ("特别突出的视情况,可设特等"), with the head teacher's
    reason; a student already on the list moves up to it (one prize per student)."""
    require(membership, Action.MANAGE_REWARDS, prize_list, message=_teacher_only())
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why this student gets the special prize."), field="reason", code="reason_required"
        )
    if household.village_id != prize_list.village_id:
        raise DomainError(_("Choose a student of this class."), field="household", code="other_class")
    with transaction.atomic():
        prize_list = _proposed(prize_list)
        ranked = {row.household_id: row for row in class_ranking(prize_list.scheme, prize_list.village)}
        row = ranked.get(household.pk)
        if row is None:
            raise DomainError(_("This student does not take part in the scheme."), field="household")
        prize, _created = TermPrize.objects.update_or_create(
            prize_list=prize_list,
            household=household,
            defaults={
                "township_id": prize_list.township_id,
                "scheme_id": prize_list.scheme_id,
                "village_id": prize_list.village_id,
                "tier": PrizeTier.SPECIAL,
                "rank": row.rank,
                "total": row.total,
                "reason": reason[:300],
            },
        )
    return prize


def publish_prize_list(*, membership: Membership, prize_list: PrizeList, confirm: bool = False) -> PrizeList:
    """The head teacher makes the list official (certificates, and prizes to hand out next term). Refused without
    the confirmation, for an empty list, and when the ledger changed since the list was computed."""
    require(membership, Action.MANAGE_REWARDS, prize_list, message=_teacher_only())
    if not confirm:
        raise DomainError(
            _("Confirm that the prize list is final: once published it no longer changes."),
            field="confirm",
            code="not_confirmed",
        )
    with transaction.atomic():
        prize_list = _proposed(prize_list)
        computed = {
            (p.household_id, p.tier, p.rank, p.total)
            for p in prize_list.prizes.exclude(tier=PrizeTier.SPECIAL)
        }
        special = set(prize_list.prizes.filter(tier=PrizeTier.SPECIAL).values_list("household_id", flat=True))
        sizes = tier_sizes(prize_list.scheme)
        sizes_then = (prize_list.first, prize_list.second, prize_list.third)
        now_rule = {
            (p.household_id, p.tier, p.rank, p.total)
            for p in proposed_prizes(prize_list.scheme, prize_list.village, sizes)
            if p.household_id not in special
        }
        if computed != now_rule or sizes_then != (sizes.first, sizes.second, sizes.third):
            raise DomainError(
                _("The ledger or the prize settings changed since the list was computed: compute it again."),
                code="stale",
            )
        if not computed and not special:
            raise DomainError(_("The prize list is empty: there is nothing to publish."), code="empty")
        prize_list.state = PrizeListState.PUBLISHED
        prize_list.published_by, prize_list.published_at = membership.user, timezone.now()
        prize_list.save(update_fields=["state", "published_by", "published_at"])
    return prize_list


def hand_out_prize(*, membership: Membership, prize: TermPrize) -> TermPrize:
    """A published prize handed to its student (at the start of the next term): who and when, once."""
    require(membership, Action.MANAGE_REWARDS, prize, message=_teacher_only())
    with transaction.atomic():
        prize = TermPrize.objects.select_for_update().select_related("prize_list").get(pk=prize.pk)
        if not prize.prize_list.published:
            raise DomainError(
                _("The prize list is not published yet: publish it before handing out its prizes."),
                code="not_published",
            )
        if prize.handed_out_at is not None:
            raise DomainError(_("This prize was already handed out."), code="already_handed_out")
        prize.handed_out_by, prize.handed_out_at = membership.user, timezone.now()
        prize.save(update_fields=["handed_out_by", "handed_out_at"])
    return prize
