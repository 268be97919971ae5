"""A new township (or school) with its first administrator and, optionally, its villages and areas: one
transaction, by the platform's operator only (a superuser on the platform page, the shell for the command)."""

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Role
from core.tenancy import township_scope
from core.vocabulary import OrganisationKind

from ..models import Area, Membership, Township, Village
from .places_file import PlaceRow, read_places

# Letters and digits that cannot be mistaken for one another when read aloud or copied from a screen.
PASSWORD_CHARS = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 14


class _Operator:
    """Whoever runs `manage.py create_township` on the server: the platform's operator, with no login of their own."""

    is_superuser = is_active = True
    pk = None

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = _Operator()


@dataclass
class CreatedTownship:
    township: Township
    admin: Any  # the first administrator's user
    # The generated first password, shown once; None when it was given or the account existed.
    password: str | None
    villages: int = 0
    areas: int = 0


def _require_operator(operator: Any) -> None:
    if operator is OPERATOR:
        return
    if (
        operator is None
        or not getattr(operator, "is_active", False)
        or not getattr(operator, "is_superuser", False)
    ):
        raise PermissionDenied(_("Only the platform's operator (a superuser) creates townships."))


def _clean(text: str) -> str:
    return (text or "").replace("\x00", "").strip()


def _check_township(name: str, slug: str, time_zone: str, kind: str) -> None:
    if not name:
        raise DomainError(_("Enter the township's name."), field="name")
    if len(name) > 100:
        raise DomainError(_("The name is longer than 100 characters."), field="name")
    try:
        validate_slug(slug)
    except ValidationError:
        raise DomainError(
            _(
                "The short name %(slug)s may hold only letters, digits, hyphens and underscores (e.g. qingshan)."
            )
            % {"slug": slug},
            field="slug",
        ) from None
    if len(slug) > 60:
        raise DomainError(_("The short name is longer than 60 characters."), field="slug")
    taken = Township.objects.filter(slug=slug).first()
    if taken is not None:
        raise DomainError(
            _("The short name %(slug)s is already used by %(name)s: choose another.")
            % {"slug": slug, "name": taken.name},
            field="slug",
        )
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DomainError(
            _("Unknown time zone %(zone)s: use a name such as Asia/Shanghai or Asia/Urumqi.")
            % {"zone": time_zone},
            field="timezone",
        ) from None
    if kind not in OrganisationKind.values:
        raise DomainError(_("Choose a township or a school."), field="kind")


def _admin_user(username: str, name: str, password: str | None) -> tuple[Any, str | None]:
    """The first administrator's account (unsaved when new) and the generated password, if one was generated."""
    user_model = get_user_model()
    if not username:
        raise DomainError(_("Enter the first administrator's username."), field="admin_username")
    existing = user_model.objects.filter(username=username).first()
    if existing is not None:
        if password:
            raise DomainError(
                _(
                    "The account %(username)s already exists: leave the password empty, its owner keeps their own."
                )
                % {"username": username},
                field="admin_password",
            )
        return existing, None
    user = user_model(username=username, first_name=name[:150])
    generated = None
    if not password:
        password = generated = get_random_string(PASSWORD_LENGTH, PASSWORD_CHARS)
    try:
        validate_password(password, user)
        user.set_password(password)
        user.full_clean()
    except ValidationError as exc:
        messages = exc.messages if not hasattr(exc, "message_dict") else sum(exc.message_dict.values(), [])
        raise DomainError(
            " ".join(messages), field="admin_password" if generated is None else "admin_username"
        ) from exc
    return user, generated


def _grouped(rows: list[PlaceRow]) -> dict[str, tuple[str, list[str]]]:
    """Village name -> (code, its area names in file order); two codes for one village are refused."""
    villages: dict[str, tuple[str, list[str]]] = {}
    for row in rows:
        code, areas = villages.get(row.village, (row.code, []))
        if row.code and code and row.code != code:
            raise DomainError(
                _("Row %(row)d: village %(village)s has the code %(code)s here but %(other)s above.")
                % {"row": row.row, "village": row.village, "code": row.code, "other": code},
                field="places",
            )
        if row.area and row.area not in areas:
            areas.append(row.area)
        villages[row.village] = (code or row.code, areas)
    return villages


def create_township(
    *,
    operator: Any,
    name: str,
    slug: str,
    timezone: str = "Asia/Shanghai",
    kind: str = OrganisationKind.TOWNSHIP,
    admin_username: str,
    admin_name: str = "",
    admin_password: str | None = None,
    places: bytes | None = None,
) -> CreatedTownship:
    """The township, its first administrator (role: township office) and the villages and areas of `places` (an
    .xlsx, see places_file). Everything is checked before anything is written; a problem raises DomainError."""
    _require_operator(operator)
    name, slug, time_zone = _clean(name), _clean(slug), _clean(timezone)
    _check_township(name, slug, time_zone, kind)
    rows = read_places(places) if places else []
    villages = _grouped(rows)
    admin, generated = _admin_user(_clean(admin_username), _clean(admin_name), admin_password)
    try:
        with transaction.atomic():
            township = Township.objects.create(name=name, slug=slug, timezone=time_zone, kind=kind)
            if admin.pk is None:
                admin.save()
            with township_scope(township):
                Membership.objects.create(township=township, user=admin, role=Role.TOWNSHIP_ADMIN)
                created = CreatedTownship(township=township, admin=admin, password=generated)
                for village_name, (code, areas) in villages.items():
                    village = Village.objects.create(township=township, name=village_name, code=code)
                    for area_name in areas:  # row by row: simple-history does not record bulk writes
                        Area.objects.create(township=township, village=village, name=area_name)
                    created.villages += 1
                    created.areas += len(areas)
    except IntegrityError as exc:  # a concurrent operator took the slug or the username a moment ago
        raise DomainError(
            _("This conflicts with a township or account saved at the same moment; check and try again.")
        ) from exc
    return created
