"""Read queries of what villagers send from their own page (issue 14, item 6): the items a household may declare,
the entries it may appeal, and the self-declarations and appeals a member sees. Shared by the villager's page, the
staff pages, the API and the worklist (kept beside scoring/selectors.py, which is at its size limit)."""

from django.db.models import QuerySet

from core.permissions import restrict_to_visible
from households.models import Membership

from .models import (
    Appeal,
    AppealState,
    Entry,
    EntrySource,
    EntryState,
    Item,
    ItemKind,
    SchemeState,
    SelfDeclaration,
    SelfDeclarationState,
)


def declarable_items() -> QuerySet[Item]:
    """The bonus items of an active scheme a household may declare itself (`by_declaration`)."""
    return (
        Item.objects.filter(
            active=True, kind=ItemKind.BONUS, by_declaration=True, category__scheme__state=SchemeState.ACTIVE
        )
        .select_related("category")
        .order_by("category__order", "order", "pk")
    )


def appealable_entries(account_id: int) -> QuerySet[Entry]:
    """An account's own entries an appeal may name: approved, not a correction, not corrected, none pending."""
    corrected = Entry.objects.filter(source=EntrySource.CORRECTION).exclude(state=EntryState.WITHDRAWN)
    return (
        Entry.objects.filter(account_id=account_id, state=EntryState.APPROVED)
        .exclude(source=EntrySource.CORRECTION)
        .exclude(pk__in=corrected.values("corrects_id"))
        .exclude(appeals__state=AppealState.PENDING)
        .order_by("-occurred_on", "-pk")
    )


def self_declarations_visible_to(membership: Membership) -> QuerySet[SelfDeclaration]:
    rows = SelfDeclaration.objects.select_related(
        "household", "account__household", "account__resident", "account__unit", "item", "decided_by", "entry"
    )
    return restrict_to_visible(membership, rows).order_by("-submitted_at", "-pk")


def appeals_visible_to(membership: Membership) -> QuerySet[Appeal]:
    rows = Appeal.objects.select_related(
        "household",
        "account__household",
        "account__resident",
        "account__unit",
        "entry",
        "decided_by",
        "reversal",
    )
    return restrict_to_visible(membership, rows).order_by("-submitted_at", "-pk")


def pending_self_declarations(membership: Membership) -> QuerySet[SelfDeclaration]:
    return self_declarations_visible_to(membership).filter(state=SelfDeclarationState.PENDING)


def pending_appeals(membership: Membership) -> QuerySet[Appeal]:
    return appeals_visible_to(membership).filter(state=AppealState.PENDING)
