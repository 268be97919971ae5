"""Stored periods named as a clerk reads them (scoring.periods.period_label), one place for every page."""

from django.template import Context, Template
from django.utils import translation

from scoring.periods import period_label, round_periods


def test_each_kind_of_period_has_its_chinese_name():
    with translation.override("zh-hans"):
        labels = [
            period_label(p) for p in ("2026-Q1", "2026-Q3", "2026", "2026-B03", "2026-03", "2026-W05", "term")
        ]

    assert labels == [
        "2026年第一季度",
        "2026年第三季度",
        "2026年度",
        "2026年第3批",
        "2026年3月",
        "2026年第5周",
        "本学期",
    ]


def test_an_unknown_period_is_shown_as_stored():
    assert period_label("2026-Q9") == "2026-Q9" and period_label("") == ""


def test_a_reviews_periods_are_the_four_quarters_then_the_year_with_their_stored_values():
    with translation.override("zh-hans"):
        assert [value for value, _label in round_periods(2027)] == [
            "2027-Q1",
            "2027-Q2",
            "2027-Q3",
            "2027-Q4",
            "2027",
        ]
        assert round_periods(2027)[4][1] == "2027年度"


def test_the_period_filter_names_a_period_on_a_page():
    with translation.override("zh-hans"):
        rendered = Template("{% load periods %}{{ p|period }}").render(Context({"p": "2026-Q2"}))

    assert rendered == "2026年第二季度"
