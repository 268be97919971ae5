"""The kind of organisation a tenant is, and the words its pages use.

A tenant is a township (villages, areas, households, review panels) or a school (classes, groups, students, class
committees: the class scheme, seed 2). The same models, ledger, notices, ratings and documents serve both; only the
words differ. They differ in one place: while a school's township scope is open (`core.tenancy.township_scope`),
every translated string — pages, sheets, PDFs, exports, API messages — passes through the school's word table
below, in the active language. Data (names of classes, students) is never reworded, and neither are placeholders
such as ``%(village)s`` or HTML tags inside a message.

The scope also carries the organisation's time zone (`Township.timezone`): "today", weeks and months count there.
"""

import re
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import trans_real


class OrganisationKind(models.TextChoices):
    TOWNSHIP = "township", _("Township")
    SCHOOL = "school", _("School")


# Ordered: longer terms first, so that 评议小组 becomes 班委 before 小组 or 村 are looked at.
SCHOOL_WORDS_ZH: list[tuple[str, str]] = [
    ("评议小组", "班委"),
    ("家庭成员", "学生"),
    ("村民小组", "小组"),
    ("村民代表", "家长代表"),
    ("村民", "学生"),
    ("片区", "小组"),
    ("农户", "学生"),
    ("户主姓名", "学生姓名"),
    ("户主", "学生"),
    ("户号", "学号"),
    ("户数", "学生数"),
    ("乡镇", "学校"),
    ("全村", "全班"),
    ("本村", "本班"),
    ("村", "班"),
]
# English: whole words only (a "villager" is not a "village" + "r"); the plural follows the word.
SCHOOL_WORDS_EN: dict[str, tuple[str, str]] = {
    "review panel": ("class committee", "class committees"),
    "villager": ("student", "students"),
    "village": ("class", "classes"),
    "household": ("student", "students"),
    "area": ("group", "groups"),
    "township": ("school", "schools"),
}
_EN_PATTERN = re.compile(
    r"\b(" + "|".join(sorted(SCHOOL_WORDS_EN, key=len, reverse=True)) + r")(s?)\b", re.IGNORECASE
)
# What is never reworded inside a message: printf and format placeholders, HTML tags.
_PROTECTED = re.compile(r"(%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdfrx]|%[sdf]|\{[^{}]*\}|<[^>]*>)")


def _reword_en_match(match: re.Match) -> str:
    word, plural = match.group(1), match.group(2)
    singular, many = SCHOOL_WORDS_EN[word.lower()]
    new = many if plural else singular
    return new[0].upper() + new[1:] if word[0].isupper() else new


def reword(text: str, language: str) -> str:
    """A message as a school says it (`language`: the active language code)."""
    parts = _PROTECTED.split(text)
    for index in range(0, len(parts), 2):  # even parts are text, odd parts the protected pieces
        part = parts[index]
        if language.startswith("zh"):
            for township_word, school_word in SCHOOL_WORDS_ZH:
                part = part.replace(township_word, school_word)
        else:
            part = _EN_PATTERN.sub(_reword_en_match, part)
        parts[index] = part
    return "".join(parts)


class SchoolWords:
    """A translation that says what `base` says, in a school's words (see the module's docstring)."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self.language = base.to_language() or "zh-hans"
        self._said: dict[str, str] = {}

    def _say(self, text: str) -> str:
        said = self._said.get(text)
        if said is None:
            said = self._said[text] = reword(text, self.language)
        return said

    def gettext(self, message: str) -> str:
        result = self.base.gettext(message)
        if trans_real.CONTEXT_SEPARATOR in result:  # an untranslated pgettext message: Django falls back
            return result
        return self._say(result)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self._say(self.base.ngettext(singular, plural, number))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)


_school_words: dict[int, SchoolWords] = {}
_kind: ContextVar[str] = ContextVar("jifen_organisation_kind", default=OrganisationKind.TOWNSHIP)


def current_kind() -> str:
    return _kind.get()


def is_school() -> bool:
    return _kind.get() == OrganisationKind.SCHOOL


def _active() -> Any:
    """Django's per-thread active translation holder, read each time: Django replaces it when the language settings
    change (django.test.signals.language_changed), so a reference kept from import time would go stale."""
    return getattr(trans_real, "_active")  # noqa: B009


def _active_translation() -> Any:
    return getattr(_active(), "value", None)


def _set_active_translation(value: Any) -> None:
    holder = _active()
    if value is None:
        if hasattr(holder, "value"):
            del holder.value
    else:
        holder.value = value


def _speak_as_organisation() -> None:
    """Make the active translation say the open organisation's words."""
    current = _active_translation() or trans_real.translation(translation.get_language() or "zh-hans")
    base = current.base if isinstance(current, SchoolWords) else current
    if is_school():
        words = _school_words.get(id(base))
        if words is None or words.base is not base:
            words = _school_words[id(base)] = SchoolWords(base)
        _set_active_translation(words)
    elif current is not base:
        _set_active_translation(base)


@contextmanager
def organisation(kind: str, time_zone: str | None) -> Iterator[None]:
    """The words and the time zone of one tenant (opened by `core.tenancy.township_scope`)."""
    token = _kind.set(kind or OrganisationKind.TOWNSHIP)
    previous = _active_translation()
    _speak_as_organisation()
    zone = zoneinfo.ZoneInfo(time_zone) if time_zone else timezone.get_current_timezone()
    try:
        with timezone.override(zone):
            yield
    finally:
        _set_active_translation(previous)
        _kind.reset(token)


@contextmanager
def in_language(language: str) -> Iterator[None]:
    """`translation.override` that keeps the open organisation's words (sheets and PDFs print in Chinese)."""
    previous = _active_translation()
    translation.activate(language)
    _speak_as_organisation()
    try:
        yield
    finally:
        _set_active_translation(previous)
