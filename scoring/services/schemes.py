"""Schemes and their catalogue: categories, items, role rules and the roles of households.

Every change here is the township office's (EDIT_SCHEME): the catalogue is the township's rule for every village.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from core.permissions import Action, require
from households.models import Membership, Township

from ..models import Category, Item, RoleRule, Scheme, SchemeState
from .common import _require_two_decimals


def _require_edit(membership: Membership, obj: Any) -> None:
    require(membership, Action.EDIT_SCHEME, obj, message=_("Only the township office changes schemes."))


def _require_editable(scheme: Scheme) -> None:
    if scheme.state == SchemeState.CLOSED:
        raise DomainError(
            _("The scheme of %(year)d is closed; start next year's scheme instead.") % {"year": scheme.year}
        )


def create_scheme(
    *, membership: Membership, township: Township, name: str, year: int, **options: Any
) -> Scheme:
    """A draft scheme of the member's township. Right: EDIT_SCHEME in that township."""
    scheme = Scheme(township=township, name=name.strip(), year=year, **options)
    _require_edit(membership, scheme)
    scheme.fill_dates()
    full_clean_or_raise(scheme)
    scheme.save()
    return scheme


def activate_scheme(*, membership: Membership, scheme: Scheme) -> Scheme:
    """A draft scheme starts taking entries. Right: EDIT_SCHEME."""
    _require_edit(membership, scheme)
    if scheme.state != SchemeState.DRAFT:
        raise DomainError(_("Only a draft scheme can be activated."))
    if not scheme.categories.exists():
        raise DomainError(_("Add at least one category before activating the scheme."))
    scheme.state = SchemeState.ACTIVE
    scheme.save(update_fields=["state"])
    return scheme


def close_scheme(*, membership: Membership, scheme: Scheme) -> Scheme:
    """An active scheme stops taking entries. Right: EDIT_SCHEME."""
    _require_edit(membership, scheme)
    if scheme.state != SchemeState.ACTIVE:
        raise DomainError(_("Only an active scheme can be closed."))
    scheme.state = SchemeState.CLOSED
    scheme.save(update_fields=["state"])
    return scheme


def add_category(
    *,
    membership: Membership,
    scheme: Scheme,
    name: str,
    base_score: Decimal | int | str,
    cadence: str,
    floor: Decimal | None = None,
    ceiling: Decimal | None = None,
    order: int = 0,
) -> Category:
    """Right: EDIT_SCHEME."""
    _require_edit(membership, scheme)
    _require_editable(scheme)
    category = Category(
        township_id=scheme.township_id,
        scheme=scheme,
        name=name.strip(),
        base_score=_require_two_decimals(base_score, "base_score"),
        cadence=cadence,
        floor=floor,
        ceiling=ceiling,
        order=order,
    )
    full_clean_or_raise(category)
    category.save()
    return category


def add_item(
    *,
    membership: Membership,
    category: Category,
    name: str,
    kind: str,
    points: Decimal | int | str,
    **fields: Any,
) -> Item:
    """Right: EDIT_SCHEME."""
    _require_edit(membership, category)
    _require_editable(category.scheme)
    points = _require_two_decimals(points, "points")
    if points <= 0:
        raise DomainError(
            _("Give the points as a positive number; bonus or penalty says the sign."), field="points"
        )
    item = Item(
        township_id=category.township_id,
        category=category,
        name=name.strip(),
        kind=kind,
        points=points,
        **fields,
    )
    full_clean_or_raise(item)
    item.save()
    return item


def update_item(*, membership: Membership, item: Item, **fields: Any) -> Item:
    """Changing a rule never rewrites history: entries keep their own snapshot of name, points and category.
    Right: EDIT_SCHEME."""
    _require_edit(membership, item)
    _require_editable(item.category.scheme)
    for name, value in fields.items():
        setattr(item, name, value)
    if "points" in fields:
        item.points = _require_two_decimals(item.points, "points")
    full_clean_or_raise(item)
    item.save()
    return item


def add_role_rule(
    *,
    membership: Membership,
    scheme: Scheme,
    code: str,
    name: str,
    base_score: Decimal | None = None,
    penalty_multiplier: Decimal = Decimal("1"),
) -> RoleRule:
    """Right: EDIT_SCHEME."""
    _require_edit(membership, scheme)
    rule = RoleRule(
        township_id=scheme.township_id,
        scheme=scheme,
        code=code,
        name=name,
        base_score=base_score,
        penalty_multiplier=penalty_multiplier,
    )
    full_clean_or_raise(rule)
    rule.save()
    return rule


def copy_scheme(
    *,
    membership: Membership,
    scheme: Scheme,
    year: int,
    name: str | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
) -> Scheme:
    """A new year's draft scheme, starting as a copy of `scheme` (categories, items and role rules); rewards starts
    its settings from the source's (`copied_from`). Without dates it covers the calendar year `year` (a school's
    next term gives its own). Right: EDIT_SCHEME."""
    _require_edit(membership, scheme)
    with transaction.atomic():
        new = create_scheme(
            membership=membership,
            township=scheme.township,
            name=name or scheme.name,
            year=year,
            template=scheme.template,
            copied_from=scheme,
            false_declaration_multiplier=scheme.false_declaration_multiplier,
            allows_transfers=scheme.allows_transfers,
            account_kinds=list(scheme.account_kinds),
            points_carry_forward=scheme.points_carry_forward,
            rank_by=scheme.rank_by,
            township_approves_quarterly=scheme.township_approves_quarterly,
            township_approves_annual=scheme.township_approves_annual,
            split_points=scheme.split_points,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        for category in scheme.categories.prefetch_related("items"):
            items = list(category.items.all())
            category.pk, category.scheme = None, new
            category.save()
            for item in items:
                item.pk, item.category = None, category
                item.save()
        for rule in scheme.role_rules.all():
            rule.pk, rule.scheme = None, new
            rule.save()
    return new
