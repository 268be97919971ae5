"""Scheme templates shipped with Jifen (`scoring/scheme_templates/<name>.json`) and their loader.

A template is read and checked strictly before anything is written: an unknown key, a float where a decimal
string belongs or an unknown cadence fails loudly, naming the place, so a typo in a template fails in the tests.
Loading creates a DRAFT scheme through the services, in one transaction. Call it inside the township's scope.
"""

import datetime
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from core.vocabulary import OrganisationKind
from households.models import Membership, Township

from . import services
from .models import AccountKind, ItemKind, RankBy, Scheme
from .periods import Cadence

TEMPLATE_DIR = Path(__file__).resolve().parent / "scheme_templates"

SCHEME_KEYS = {
    "required": {"name", "description", "categories"},
    "optional": {
        "false_declaration_multiplier",
        "allows_transfers",
        "township_approves_quarterly",
        "township_approves_annual",
        "role_rules",
        "account_kinds",
        "points_carry_forward",
        "rank_by",
        "term",
    },
}
TERM_KEYS = {"required": {"starts", "ends"}, "optional": set()}
MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
CATEGORY_KEYS = {
    "required": {"name", "base_score", "cadence", "items"},
    "optional": {"floor", "ceiling", "order"},
}
ITEM_KEYS = {
    "required": {"name", "kind", "points"},
    "optional": {
        "cap_count",
        "cap_points",
        "evidence_required",
        "by_inspection",
        "by_declaration",
        "by_clerk",
        "disqualifying",
        "verification",
        "threshold_count",
        "threshold_consequence",
        "threshold_carries_over",
        "cap_cadence",
        "role_multiplier_applies",
    },
}
ROLE_RULE_KEYS = {"required": {"code", "name"}, "optional": {"base_score", "penalty_multiplier"}}
ROLE_CODE = re.compile(r"[a-z0-9_-]{1,40}")
ITEM_FLAGS = (
    "evidence_required",
    "by_inspection",
    "by_declaration",
    "by_clerk",
    "disqualifying",
    "role_multiplier_applies",
    "threshold_carries_over",
)
ITEM_FLAG_DEFAULTS = {
    "evidence_required": False,
    "by_inspection": True,
    "by_declaration": False,
    "by_clerk": True,
    "disqualifying": False,
    "role_multiplier_applies": True,
    "threshold_carries_over": False,
}


def template_names() -> list[str]:
    return sorted(path.stem for path in TEMPLATE_DIR.glob("*.json"))


def available_templates(kind: str | None = None) -> list[dict]:
    """[{name, title, description}] of every shipped template, for the UI and the command's help; with `kind`, only
    those of that kind of organisation (a school's templates run for a term, a township's for years)."""
    templates = []
    for name in template_names():
        data = read_template(name)
        if kind is not None and bool(data.get("term")) != (kind == OrganisationKind.SCHOOL):
            continue
        templates.append({"name": name, "title": data["name"], "description": data["description"]})
    return templates


def template_title(name: str) -> str:
    """The title a page shows for the template a scheme came from ("village-2026" → its Chinese name); the name
    itself if that template is no longer shipped."""
    if name not in template_names():
        return name
    return str(read_template(name)["name"])


def read_template(name: str) -> dict:
    """The template's content, checked and with Decimals in place of decimal strings."""
    # Look the name up among the files rather than building a path from it: no "../" can reach other files.
    if name not in template_names():
        raise DomainError(
            _("There is no scheme template called %(name)s. Known templates: %(known)s.")
            % {"name": name, "known": ", ".join(template_names())},
            field="template",
        )
    path = TEMPLATE_DIR / f"{name}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _malformed(name, "", _("not valid UTF-8 JSON (%(error)s)") % {"error": exc}) from exc
    return _Checker(name).scheme(raw)


def load_template(
    *,
    membership: Membership,
    township: Township,
    name: str,
    year: int,
    scheme_name: str | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
) -> Scheme:
    """Create a draft scheme from the template `name`; refuse if the township already has that scheme that year.

    The scheme covers `starts_on` to `ends_on` (a term, starting in `year`) when given; otherwise the template's
    own term in `year` (the class template: 1 September to 31 January of the next year), else the calendar year.

    Right: EDIT_SCHEME, checked before the template is read; `services.create_scheme` checks the township."""
    require(membership, Action.EDIT_SCHEME, message=_("Only the township office changes schemes."))
    content = read_template(name)
    starts_on, ends_on = _term(content, year, starts_on, ends_on)
    scheme_name = (scheme_name or content["name"]).strip()
    if _already_there(township, scheme_name, year):
        raise _duplicate(scheme_name, year)
    try:
        with transaction.atomic():
            scheme = services.create_scheme(
                membership=membership,
                township=township,
                name=scheme_name,
                year=year,
                template=name,
                starts_on=starts_on,
                ends_on=ends_on,
                false_declaration_multiplier=content["false_declaration_multiplier"],
                allows_transfers=content["allows_transfers"],
                township_approves_quarterly=content["township_approves_quarterly"],
                township_approves_annual=content["township_approves_annual"],
                account_kinds=content["account_kinds"],
                points_carry_forward=content["points_carry_forward"],
                rank_by=content["rank_by"],
            )
            for category_content in content["categories"]:
                items = category_content.pop("items")
                category = services.add_category(membership=membership, scheme=scheme, **category_content)
                for order, item_content in enumerate(items, start=1):
                    services.add_item(membership=membership, category=category, order=order, **item_content)
            for rule in content["role_rules"]:
                services.add_role_rule(membership=membership, scheme=scheme, **rule)
    except IntegrityError as exc:
        # Two loads at the same moment: the unique constraint lets one through, the other gets the same message.
        if _already_there(township, scheme_name, year):
            raise _duplicate(scheme_name, year) from exc
        raise
    return scheme


def _term(
    content: dict, year: int, starts_on: datetime.date | None, ends_on: datetime.date | None
) -> tuple[datetime.date | None, datetime.date | None]:
    """The dates the new scheme covers: the ones given, else the template's term in `year` (None, None: the
    calendar year, filled in by the scheme)."""
    if (starts_on is None) != (ends_on is None):
        raise DomainError(
            _("Give both the first and the last day of the term, or neither."), field="starts_on"
        )
    if starts_on is not None and ends_on is not None:
        if starts_on.year != year:
            raise DomainError(
                _("The term must start in the scheme's year %(year)d.") % {"year": year}, field="starts_on"
            )
        if ends_on < starts_on:
            raise DomainError(_("The term cannot end before it starts."), field="ends_on")
        return starts_on, ends_on
    term = content.get("term")
    if term is None:
        return None, None
    try:
        start = datetime.date(year, *term["starts"])
        end = datetime.date(year, *term["ends"])
    except ValueError as exc:
        raise DomainError(
            _("The template's term has no such day in %(year)d.") % {"year": year}, field="year"
        ) from exc
    if end < start:  # an autumn term ends in the next year
        end = end.replace(year=year + 1)
    return start, end


def _already_there(township: Township, scheme_name: str, year: int) -> bool:
    return Scheme.objects.filter(township=township, name=scheme_name, year=year).exists()


def _duplicate(scheme_name: str, year: int) -> DomainError:
    return DomainError(
        _(
            "The scheme %(name)s of %(year)d already exists in this township; nothing was loaded. "
            "Edit that scheme, or load the template under another name."
        )
        % {"name": scheme_name, "year": year},
        field="template",
    )


def _malformed(template: str, where: str, problem: str) -> DomainError:
    return DomainError(
        _("The scheme template %(template)s is malformed at %(where)s: %(problem)s.")
        % {"template": template, "where": where or "/", "problem": problem},
        field="template",
    )


class _Checker:
    """Strict reading of one template; `where` is a JSON path such as categories[2].items[0].points."""

    def __init__(self, template: str):
        self.template = template

    def fail(self, where: str, problem: str) -> DomainError:
        return _malformed(self.template, where, problem)

    def keys(self, obj, spec: dict, where: str) -> None:
        if not isinstance(obj, dict):
            raise self.fail(where, _("expected an object"))
        unknown = sorted(set(obj) - spec["required"] - spec["optional"])
        if unknown:
            raise self.fail(where, _("unknown key %(key)s") % {"key": ", ".join(unknown)})
        missing = sorted(spec["required"] - set(obj))
        if missing:
            raise self.fail(where, _("missing key %(key)s") % {"key": ", ".join(missing)})

    def text(self, value, where: str, *, blank: bool = False) -> str:
        if not isinstance(value, str) or (not blank and not value.strip()):
            raise self.fail(where, _("expected a non-empty text") if not blank else _("expected a text"))
        return value.strip()

    def decimal(self, value, where: str, *, optional: bool = False, positive: bool = False) -> Decimal | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            # Decimals are strings in templates: a JSON number would pass through a float first.
            raise self.fail(where, _('expected a decimal written as a string, e.g. "2" or "0.5"'))
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number != number.quantize(Decimal("0.01")):
            raise self.fail(
                where, _("expected a number with at most two decimals, got %(value)s") % {"value": value}
            )
        if positive and number <= 0:
            raise self.fail(where, _("expected a number above 0"))
        if not positive and number < 0:
            raise self.fail(where, _("expected a number not below 0"))
        return number

    def count(self, value, where: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(where, _("expected a whole number of at least 1, or null"))
        return value

    def flag(self, value, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, _("expected true or false"))
        return value

    def choice(self, value, choices, where: str) -> str:
        if value not in choices:
            raise self.fail(where, _("expected one of %(choices)s") % {"choices": ", ".join(choices)})
        return value

    def scheme(self, raw) -> dict:
        self.keys(raw, SCHEME_KEYS, "")
        categories = raw["categories"]
        if not isinstance(categories, list) or not categories:
            raise self.fail("categories", _("expected a non-empty list"))
        multiplier = self.decimal(
            raw.get("false_declaration_multiplier", "2"), "false_declaration_multiplier"
        )
        if multiplier < 1:
            raise self.fail("false_declaration_multiplier", _("expected a number of at least 1"))
        role_rules = raw.get("role_rules", [])
        if not isinstance(role_rules, list):
            raise self.fail("role_rules", _("expected a list"))
        content = {
            "name": self.text(raw["name"], "name"),
            "description": self.text(raw["description"], "description"),
            "false_declaration_multiplier": multiplier,
            "allows_transfers": self.flag(raw.get("allows_transfers", False), "allows_transfers"),
            "township_approves_quarterly": self.flag(
                raw.get("township_approves_quarterly", True), "township_approves_quarterly"
            ),
            "township_approves_annual": self.flag(
                raw.get("township_approves_annual", True), "township_approves_annual"
            ),
            "account_kinds": self.kinds(raw.get("account_kinds", [AccountKind.HOUSEHOLD]), "account_kinds"),
            "points_carry_forward": self.flag(raw.get("points_carry_forward", False), "points_carry_forward"),
            "rank_by": self.choice(raw.get("rank_by", RankBy.YEAR), RankBy.values, "rank_by"),
            "term": self.term(raw["term"], "term") if "term" in raw else None,
            "categories": [self.category(c, f"categories[{i}]") for i, c in enumerate(categories)],
            "role_rules": [self.role_rule(r, f"role_rules[{i}]") for i, r in enumerate(role_rules)],
        }
        self.unique([c["name"] for c in content["categories"]], "categories", "name")
        self.unique([r["code"] for r in content["role_rules"]], "role_rules", "code")
        return content

    def term(self, raw, where: str) -> dict:
        """The template's default term, as month-day pairs ("09-01", "01-31": an end before the start is in the
        next year)."""
        self.keys(raw, TERM_KEYS, where)
        term = {}
        for key in ("starts", "ends"):
            value = raw[key]
            match = MONTH_DAY.fullmatch(value) if isinstance(value, str) else None
            month, day = (int(match[1]), int(match[2])) if match else (0, 0)
            try:
                datetime.date(2000, month, day)  # a leap year: 02-29 is a day
            except ValueError:
                raise self.fail(f"{where}.{key}", _('expected a month and day such as "09-01"')) from None
            term[key] = (month, day)
        return term

    def kinds(self, value, where: str) -> list[str]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, _("expected a non-empty list"))
        kinds = [self.choice(kind, AccountKind.values, f"{where}[{i}]") for i, kind in enumerate(value)]
        self.unique(kinds, where, "kind")
        return kinds

    def unique(self, values: list[str], where: str, key: str) -> None:
        seen = set()
        for value in values:
            if value in seen:
                raise self.fail(where, _("%(key)s %(value)s appears twice") % {"key": key, "value": value})
            seen.add(value)

    def category(self, raw, where: str) -> dict:
        self.keys(raw, CATEGORY_KEYS, where)
        base = self.decimal(raw["base_score"], f"{where}.base_score")
        floor = self.decimal(raw.get("floor"), f"{where}.floor", optional=True)
        ceiling = self.decimal(raw.get("ceiling"), f"{where}.ceiling", optional=True)
        if floor is not None and floor > base:
            raise self.fail(f"{where}.floor", _("the floor is above the base score"))
        if ceiling is not None and ceiling < base:
            raise self.fail(f"{where}.ceiling", _("the ceiling is below the base score"))
        order = raw.get("order", 0)
        if isinstance(order, bool) or not isinstance(order, int) or order < 0:
            raise self.fail(f"{where}.order", _("expected a whole number not below 0"))
        items = raw["items"]
        if not isinstance(items, list) or not items:
            raise self.fail(f"{where}.items", _("expected a non-empty list"))
        return {
            "name": self.text(raw["name"], f"{where}.name"),
            "base_score": base,
            "cadence": self.choice(raw["cadence"], Cadence.values, f"{where}.cadence"),
            "floor": floor,
            "ceiling": ceiling,
            "order": order,
            "items": [self.item(item, f"{where}.items[{i}]") for i, item in enumerate(items)],
        }

    def item(self, raw, where: str) -> dict:
        self.keys(raw, ITEM_KEYS, where)
        content = {
            "name": self.text(raw["name"], f"{where}.name"),
            "kind": self.choice(raw["kind"], ItemKind.values, f"{where}.kind"),
            "points": self.decimal(raw["points"], f"{where}.points", positive=True),
            "cap_count": self.count(raw.get("cap_count"), f"{where}.cap_count"),
            "cap_points": self.decimal(
                raw.get("cap_points"), f"{where}.cap_points", optional=True, positive=True
            ),
            "verification": self.text(raw.get("verification", ""), f"{where}.verification", blank=True),
            "threshold_count": self.count(raw.get("threshold_count"), f"{where}.threshold_count"),
            "threshold_consequence": self.text(
                raw.get("threshold_consequence", ""), f"{where}.threshold_consequence", blank=True
            ),
            "cap_cadence": self.choice(
                raw.get("cap_cadence", ""), ["", *Cadence.values], f"{where}.cap_cadence"
            ),
        }
        for flag in ITEM_FLAGS:
            content[flag] = self.flag(raw.get(flag, ITEM_FLAG_DEFAULTS[flag]), f"{where}.{flag}")
        if not (content["by_inspection"] or content["by_declaration"] or content["by_clerk"]):
            raise self.fail(
                where, _("nobody may record this item: set by_inspection, by_declaration or by_clerk")
            )
        if content["threshold_count"] and not content["threshold_consequence"]:
            raise self.fail(f"{where}.threshold_consequence", _("say what happens at the threshold"))
        if content["threshold_carries_over"] and not content["threshold_count"]:
            raise self.fail(
                f"{where}.threshold_carries_over", _("only a limit (threshold_count) carries over")
            )
        return content

    def role_rule(self, raw, where: str) -> dict:
        self.keys(raw, ROLE_RULE_KEYS, where)
        code = self.text(raw["code"], f"{where}.code")
        if not ROLE_CODE.fullmatch(code):
            raise self.fail(f"{where}.code", _("expected lower-case letters, digits, - or _"))
        return {
            "code": code,
            "name": self.text(raw["name"], f"{where}.name"),
            "base_score": self.decimal(raw.get("base_score"), f"{where}.base_score", optional=True),
            "penalty_multiplier": self.decimal(
                raw.get("penalty_multiplier", "1"), f"{where}.penalty_multiplier", positive=True
            ),
        }
