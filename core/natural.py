"""Names in the order a clerk expects: 一组 < 二组 < 十组 < 十一组, 2组 < 10组 (issue 17.4).

Villages and areas keep a `sort_key` (their name with every number, in Chinese numerals or in digits, written as
eight digits), and every list orders by it instead of the name: PostgreSQL's collations sort 十 before 二 and 10
before 2, and Chinese numerals have no collation of their own.
"""

import re
import unicodedata
from typing import Any

from django.db import models

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(r"[0-9]+|[零〇一二两三四五六七八九十百千]+")
WIDTH = 8


def _chinese(run: str) -> int:
    if not any(char in _UNITS for char in run):  # 二〇二六: digit by digit
        return int("".join(str(_DIGITS[char]) for char in run))
    total = current = 0
    for char in run:
        if char in _DIGITS:
            current = _DIGITS[char]
        else:  # 十 alone is ten; 二十 is twenty
            total += (current or 1) * _UNITS[char]
            current = 0
    return total + current


def _padded(match: re.Match) -> str:
    run = match.group()
    value = int(run) if run.isdigit() else _chinese(run)
    return str(value).zfill(WIDTH)


def natural_key(name: str) -> str:
    """The key a name sorts by: its numbers as eight digits (full-width digits count as digits)."""
    text = unicodedata.normalize("NFKC", name or "")
    return _NUMBER.sub(_padded, text)


class NaturallySorted(models.Model):
    """A model with a `name` that lists in natural order: order by `sort_key` (kept by `save`)."""

    sort_key = models.CharField(max_length=200, editable=False, default="")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sort_key = natural_key(self.name)  # type: ignore[attr-defined]  # the concrete model's name
        if (fields := kwargs.get("update_fields")) is not None and "name" in fields:
            kwargs["update_fields"] = {*fields, "sort_key"}
        super().save(*args, **kwargs)
