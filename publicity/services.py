"""Changes of state in publicity: the township office keeps its incentive policies."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from core.permissions import Action, require
from households.models import Household, Membership
from scoring.models import RankingList

from .models import IncentivePolicy, NoticeSettings, ParentComment
from .month_reports import parse_month

COMMENT_CHARS = 2000


def _office_only() -> str:
    return _("Only the township office keeps the incentive policies.")


def _check_name(policy: IncentivePolicy) -> None:
    policy.name = (policy.name or "").strip()
    if not policy.name:
        raise DomainError(_("Give the policy a name, e.g. 积分贷 or 就医绿色通道."), field="name")
    taken = IncentivePolicy.objects.filter(township_id=policy.township_id, name=policy.name)
    if taken.exclude(pk=policy.pk).exists():
        raise DomainError(_("The township already has a policy of this name: choose another."), field="name")


def _apply(policy: IncentivePolicy, fields: dict[str, object]) -> IncentivePolicy:
    for name, value in fields.items():
        setattr(policy, name, value)
    _check_name(policy)
    if policy.min_stars not in (3, 4, 5):
        raise DomainError(_("Choose 3, 4 or 5 stars."), field="min_stars")
    if policy.min_total is not None and policy.min_total < 0:
        raise DomainError(_("The least annual total cannot be negative."), field="min_total")
    if policy.account_list not in RankingList.values:
        raise DomainError(_("Choose whose list this is."), field="account_list")
    if policy.top is not None and policy.account_list == RankingList.HOUSEHOLD:
        raise DomainError(
            _(
                "Star households qualify by their stars: the first so many of a ranking is for the other lists."
            ),
            field="top",
        )
    full_clean_or_raise(policy)
    policy.save()
    return policy


def create_policy(
    *,
    membership: Membership,
    name: str,
    partner: str = "",
    benefit: str = "",
    description: str = "",
    min_stars: int = 3,
    min_total: Decimal | None = None,
    party_members_only: bool = False,
    account_list: str = RankingList.HOUSEHOLD,
    top: int | None = None,
) -> IncentivePolicy:
    """A new incentive policy of the member's township."""
    require(membership, Action.MANAGE_REWARDS, message=_office_only())
    policy = IncentivePolicy(township_id=membership.township_id, created_by=membership.user)
    return _apply(
        policy,
        {
            "name": name,
            "partner": partner,
            "benefit": benefit,
            "description": description,
            "min_stars": min_stars,
            "min_total": min_total,
            "party_members_only": party_members_only,
            "account_list": account_list,
            "top": top,
        },
    )


def update_policy(*, membership: Membership, policy: IncentivePolicy, **fields: object) -> IncentivePolicy:
    """Change a policy's name, partner, benefit, description or rule (`active` too, to bring one back)."""
    require(membership, Action.MANAGE_REWARDS, policy, message=_office_only())
    allowed = {
        "name",
        "partner",
        "benefit",
        "description",
        "min_stars",
        "min_total",
        "party_members_only",
        "account_list",
        "top",
        "active",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    return _apply(policy, fields)


def deactivate_policy(*, membership: Membership, policy: IncentivePolicy) -> IncentivePolicy:
    """Stop a policy: it stays listed (inactive) with its rule, and its list can still be printed."""
    require(membership, Action.MANAGE_REWARDS, policy, message=_office_only())
    policy.active = False
    policy.save(update_fields=["active"])
    return policy


# The parents' comments on the monthly report (class scheme, seed 2) --------------------------------------------


def write_parent_comment(
    *, membership: Membership, household: Household, month: str, text: str
) -> ParentComment:
    """家长评语: the parent writes (or rewrites) the comment of their student's month. One per student and month;
    every version is kept (history). Refused: another student (the parent's role names one), a month that has
    not started, an empty text, and a comment the head teacher has already read."""
    require(
        membership,
        Action.COMMENT_REPORT,
        household,
        message=_("Only the parent of this student writes the comment on their report."),
    )
    when = parse_month(month)
    if not when.started:
        raise DomainError(
            _("The month %(month)s has not started yet: comment on it once its report exists.")
            % {"month": when.key},
            field="month",
            code="month_not_started",
        )
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise DomainError(_("Write the comment first."), field="text", code="empty")
    if len(text) > COMMENT_CHARS:
        raise DomainError(
            _("Keep the comment under %(n)d characters.") % {"n": COMMENT_CHARS},
            field="text",
            code="too_long",
        )
    with transaction.atomic():
        comment = (
            ParentComment.objects.select_for_update().filter(household=household, month=when.key).first()
        )
        if comment is not None and comment.is_read:
            raise DomainError(
                _("The head teacher has read this comment: it can no longer be changed."),
                field="text",
                code="already_read",
            )
        if comment is None:
            comment = ParentComment(township_id=household.township_id, household=household, month=when.key)
        comment.text, comment.written_by, comment.written_at = text, membership.user, timezone.now()
        comment.save()
    return comment


def mark_comment_read(*, membership: Membership, comment: ParentComment) -> ParentComment:
    """The head teacher has read the parent's comment (it is then kept as it is). Reading twice changes nothing."""
    require(
        membership,
        Action.APPROVE_ENTRY,
        comment,
        message=_("Only the head teacher of the class marks the parents' comments read."),
    )
    with transaction.atomic():
        comment = ParentComment.objects.select_for_update().get(pk=comment.pk)
        if comment.read_at is None:
            comment.read_by, comment.read_at = membership.user, timezone.now()
            comment.save(update_fields=["read_by", "read_at"])
    return comment


# Notice and privacy settings (the township office's settings page) ----------------------------------------------


def update_notice_settings(*, membership: Membership, full_names: bool, contact: str) -> NoticeSettings:
    """How the township's notices name households (masked 张*明 or in full) and say how to object."""
    require(
        membership,
        Action.MANAGE_TOWNSHIP,
        message=_("Only the township office changes the township's notice and privacy settings."),
    )
    contact = (contact or "").replace("\x00", "").strip()
    with transaction.atomic():
        settings = (
            NoticeSettings.objects.select_for_update().filter(township_id=membership.township_id).first()
        )
        if settings is None:
            settings = NoticeSettings(township_id=membership.township_id)
        settings.full_names, settings.contact = bool(full_names), contact
        full_clean_or_raise(settings)
        settings.save()
    return settings
