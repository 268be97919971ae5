"""What the review's services share: the round's trail, the notice's length, a right that one of several actions
gives, and the item a round may record."""

import datetime
import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import DomainError
from core.permissions import Action, can, require
from households.models import Membership
from scoring.models import Item

from ..models import MIN_NOTICE_DAYS, ReviewRound, RoundMove

PANEL_MINIMUM = 5  # seed 1: 评议小组不少于5人

NOTICE_TOO_SHORT = _lazy(
    "A notice runs at least three whole calendar days: the township may lengthen it, never shorten it."
)


def _require_any(membership: Membership, obj: object, *actions: Action) -> None:
    """`require` for a step that one of several roles may take (e.g. the clerk or the panel records a meeting)."""
    allowed = next((action for action in actions if can(membership, action)), actions[0])
    require(membership, allowed, obj)


def _trail(
    round_: ReviewRound,
    *,
    move: str,
    membership: Membership,
    comment: str = "",
    from_state: str | None = None,
    to_state: str | None = None,
) -> RoundMove:
    """One row of the round's trail: who did what, when and why (from/to default to the round's state)."""
    return RoundMove.objects.create(
        township_id=round_.township_id,
        round=round_,
        from_state=from_state or round_.state,
        to_state=to_state or round_.state,
        move=move,
        actor=membership.user,
        comment=comment,
    )


def notice_end(opened_at: datetime.datetime, days: int, tz: str | datetime.tzinfo) -> datetime.datetime:
    """The end of a notice posted at `opened_at`: the end of the `days`-th calendar day after the day it was posted,
    in the township's time zone (posted 6 Dec at 23:50, three days: 7, 8 and 9 Dec, ending at 10 Dec 00:00)."""
    zone = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
    posted_on = opened_at.astimezone(zone).date()
    end_day = posted_on + datetime.timedelta(days=days + 1)
    return datetime.datetime.combine(end_day, datetime.time.min, tzinfo=zone).astimezone(datetime.UTC)


def _start_notice(round_: ReviewRound, now: datetime.datetime | None = None) -> None:
    """A fresh notice from `now` (its number counts the notices of the round). The caller saves the round."""
    now = now or timezone.now()
    # A round created under the old one-day minimum still gets a full notice (never shorter than three days).
    days = max(round_.notice_days, MIN_NOTICE_DAYS)
    round_.notice_opened_at = now
    round_.notice_ends_at = notice_end(now, days, round_.township.timezone)
    round_.notice_number += 1
    round_.notice_closed_at = None


def _require_round_item(round_: ReviewRound, item: Item) -> None:
    if item.category.scheme_id != round_.scheme_id:
        raise DomainError(_("This item belongs to another scheme."), field="item")
