"""Where a late correction of a closed year posts (年度结算): the next year, with a reference to the original entry.

The rule that a closed year takes nothing more is scoring.models.closes.refuse_closed_year (reached by every
writer of the ledger); this module says where the writers of corrections (correct_entry, an upheld appeal, a
declaration found false) post instead, so the three share one answer."""

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import Entry, YearClose
from .periods import period_of


def posting_of(entry: Entry) -> dict[str, Any]:
    """The fields a correction of `entry` takes: its own scheme, year and period; or, when its year is closed,
    the next year's scheme (the close's copy) on a day it covers, in the category and item of the same names."""
    close = (
        YearClose.objects.filter(scheme_id=entry.scheme_id, year=entry.year)
        .select_related("next_scheme")
        .first()
    )
    if close is None:
        return {
            "scheme": entry.scheme,
            "category": entry.category,
            "item": entry.item,
            "year": entry.year,
            "period": entry.period,
            "occurred_on": entry.occurred_on,
        }
    scheme = close.next_scheme
    category = scheme.categories.filter(name=entry.category_name).first() if scheme is not None else None
    if scheme is None or category is None:
        raise DomainError(
            _(
                "The year %(year)d is closed and the next year's scheme has no category %(category)s: add it to "
                "the next year's scheme, then post the correction there."
            )
            % {"year": entry.year, "category": entry.category_name},
            code="year_closed",
        )
    day = max(timezone.localdate(), scheme.starts_on)
    if scheme.ends_on is not None:
        day = min(day, scheme.ends_on)
    return {
        "scheme": scheme,
        "category": category,
        "item": category.items.filter(name=entry.item_name).first(),
        "year": day.year if scheme.points_carry_forward else scheme.year,
        "period": period_of(category.cadence, day),
        "occurred_on": day,
    }


def late_reason(entry: Entry, posting: dict[str, Any], reason: str) -> str:
    """The reason as the passbook shows it: a correction posted to the next year names the entry and the year it
    corrects."""
    if posting["scheme"].pk == entry.scheme_id and posting["year"] == entry.year:
        return reason
    return _("Late correction of entry %(id)d of the closed year %(year)d (%(day)s): %(reason)s") % {
        "id": entry.pk,
        "year": entry.year,
        "day": entry.occurred_on.isoformat()
        if isinstance(entry.occurred_on, datetime.date)
        else entry.occurred_on,
        "reason": reason,
    }
