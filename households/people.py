"""The township office's people: login accounts created with a one-time password, password resets, deactivation.

Accounts (auth.User) are global, townships are not: an office acts only on accounts whose memberships are all in
its own township, never on a platform administrator, never on itself. A shared account is handled by ending this
township's membership (`services.revoke_membership`). Every act is written to the account's `LoginAccount` history
(who, when, why); the one-time password is returned to the caller once and stored only as Django's hash."""

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.people import display_name
from core.permissions import Action, require
from core.tenancy import dangerously_all_townships

from .models import AccountAct, Area, Household, LoginAccount, Membership, Role, Township, Village
from .services import create_member_account

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Letters and digits that cannot be mistaken for one another when read aloud or copied from a screen.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GROUPS, GROUP_LENGTH = 3, 4


def one_time_password() -> str:
    """Three groups of four (xxxx-xxxx-xxxx): easy to read out, passes the password validators."""
    while True:
        groups = ["".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS)]
        password = "-".join(groups)
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def suggest_username(township: Township, role: str) -> str:
    """`<township slug>-<role word>-<n>`, the first one free (usernames are global; pinyin is not installed)."""
    word = role.rsplit("_", 1)[-1] if role in Role.values else "user"
    taken = set(
        get_user_model()
        .objects.filter(username__startswith=f"{township.slug}-{word}-")
        .values_list("username", flat=True)
    )
    n = 1
    while f"{township.slug}-{word}-{n}" in taken:
        n += 1
    return f"{township.slug}-{word}-{n}"


def _person(user: "User") -> str:
    return display_name(user)


def _record(user: "User", by: "User", act: str, reason: str = "", *, must_change_password: bool) -> None:
    """The account's history row: who did what, when and why (django-simple-history)."""
    account = LoginAccount.objects.filter(user=user).first() or LoginAccount(user=user)
    account.must_change_password = must_change_password
    account.act, account.note, account.changed_by = act, reason[:200], by
    account._history_user = by  # type: ignore[attr-defined]
    account._change_reason = reason[:100] or None  # type: ignore[attr-defined]
    account.save()


def _require_manageable(membership: Membership, user: "User") -> Membership:
    """The target's membership here, after refusing what the office may not do to this account."""
    require(membership, Action.MANAGE_TOWNSHIP)
    target = Membership.objects.filter(user=user).first()  # the scope: this township only
    if target is None or user.is_superuser:
        raise PermissionDenied(_("This account is not one the township office manages."))
    if user.pk == membership.user_id:
        raise DomainError(_("You cannot do this to your own account; ask another township administrator."))
    with dangerously_all_townships():  # a yes/no about other townships, nothing of theirs is read
        elsewhere = Membership.objects.filter(user=user).exclude(township_id=membership.township_id).exists()
    if elsewhere:
        raise DomainError(
            _(
                "%(person)s also works for another township, so only the platform can reset or deactivate this "
                "account. You can end their membership of this township instead."
            )
            % {"person": _person(user)},
            code="shared_account",
        )
    return target


def _reason(reason: str) -> str:
    if not reason.strip():
        raise DomainError(_("Say why, for the record."), field="reason")
    return reason.strip()


def create_person(
    *,
    membership: Membership,
    name: str,
    username: str,
    role: str,
    villages: Iterable[Village] = (),
    areas: Iterable[Area] = (),
    student: Household | None = None,
) -> tuple[Membership, str]:
    """A new account with its membership and a one-time password, returned once: the owner must replace it at
    the first sign-in."""
    require(membership, Action.MANAGE_TOWNSHIP)
    name = name.strip()
    if not name:
        raise DomainError(_("Type the person's name."), field="name")
    if len(name) > 150:
        raise DomainError(_("The name is too long (150 characters at most)."), field="name")
    password = one_time_password()
    with transaction.atomic():
        granted = create_member_account(
            membership=membership,
            username=username,
            password=password,
            role=role,
            villages=villages,
            areas=areas,
            student=student,
        )
        user = granted.user
        user.first_name = name
        user.save(update_fields=["first_name"])  # the account's history row is create_member_account's
    return granted, password


def reset_password(*, membership: Membership, user: "User", reason: str) -> str:
    """A new one-time password, returned once; the user's open sessions end (Django ties them to the hash)."""
    _require_manageable(membership, user)
    reason = _reason(reason)
    password = one_time_password()
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        _record(user, membership.user, AccountAct.PASSWORD_RESET, reason, must_change_password=True)
    return password


def deactivate_person(*, membership: Membership, user: "User", reason: str) -> None:
    """The account can no longer sign in; an open session is refused on its very next request."""
    _require_manageable(membership, user)
    reason = _reason(reason)
    if not user.is_active:
        raise DomainError(_("%(person)s is already deactivated.") % {"person": _person(user)})
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        _record(user, membership.user, AccountAct.DEACTIVATED, reason, must_change_password=_must(user))


def reactivate_person(*, membership: Membership, user: "User", reason: str) -> None:
    _require_manageable(membership, user)
    reason = _reason(reason)
    if user.is_active:
        raise DomainError(_("%(person)s is already active.") % {"person": _person(user)})
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        _record(user, membership.user, AccountAct.REACTIVATED, reason, must_change_password=_must(user))


def own_password_set(*, user: "User") -> None:
    """The owner replaced the one-time password (their own act, no township role involved)."""
    if LoginAccount.objects.filter(user=user, must_change_password=True).exists():
        _record(user, user, AccountAct.OWN_PASSWORD, must_change_password=False)


def _must(user: "User") -> bool:
    return LoginAccount.objects.filter(user=user, must_change_password=True).exists()
