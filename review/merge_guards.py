"""What merging villages or areas (households.places) means for review panels and rounds.

A round still running in either village would lose or gain households mid-way: the merge waits for it. A panel's
home area must stay a live area of its own village: merging areas is refused while a panel calls the old area
home; merging villages takes the old village's panels along with its areas."""

from django.utils.translation import gettext as _

from core.errors import DomainError
from households.places.guards import MergeKind, register_merge_guard

from .models import ReviewPanel, ReviewRound, RoundState


def _refuse_open_round(village_ids: list[int]) -> None:
    running = (
        ReviewRound.objects.filter(village_id__in=village_ids)
        .exclude(state=RoundState.APPROVED)
        .select_related("village")
        .order_by("pk")
        .first()
    )
    if running is not None:
        raise DomainError(
            _(
                "%(village)s has a review round still running (%(period)s, %(state)s): finish it before merging."
            )
            % {
                "village": running.village.name,
                "period": running.period,
                "state": running.get_state_display(),
            }
        )


def guard_merge(kind: MergeKind, source, target) -> None:
    if kind == "area":
        _refuse_open_round([source.village_id])
        panel = ReviewPanel.objects.filter(home_area=source).order_by("pk").first()
        if panel is not None:
            raise DomainError(
                _(
                    "Review panel %(panel)s has %(area)s as its home area: give the panel another home area "
                    "before merging %(area)s."
                )
                % {"panel": panel.name, "area": source.name}
            )
        return
    _refuse_open_round([source.pk, target.pk])
    taken = set(ReviewPanel.objects.filter(village=target).values_list("name", flat=True))
    for panel in ReviewPanel.objects.filter(village=source).order_by("pk"):
        if panel.name in taken:
            raise DomainError(
                _("Both villages have a review panel named %(panel)s: rename one of them before merging.")
                % {"panel": panel.name}
            )
        panel.village = target
        panel.save(update_fields=["village"])


def connect() -> None:
    register_merge_guard(guard_merge)
