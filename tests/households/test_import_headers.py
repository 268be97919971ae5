"""The header synonym table (households/importing/headers.py): the headers clerks really write, matched to fields."""

import pytest

from households.importing.headers import ROSTER_LOOKUP, ROSTER_SYNONYMS, UNIT_SYNONYMS, normalise_header
from households.importing.layout import COLUMNS, EXTRA_FIELDS, UNIT_COLUMNS


def field_of(header: str) -> str | None:
    return ROSTER_LOOKUP.get(normalise_header(header))


# Headers seen on village rosters (花名册), household registers and the clerks' own sheets, with the field each names.
REAL_WORLD_HEADERS = [
    ("户主姓名", "head_name"),
    ("户主", "head_name"),
    ("户主名", "head_name"),
    ("联系电话", "mobile"),
    ("电话", "mobile"),
    ("手机", "mobile"),
    ("手机号", "mobile"),
    ("手机号码", "mobile"),
    ("身份证", "id_number"),
    ("身份证号", "id_number"),
    ("身份证号码", "id_number"),
    ("证件号码", "id_number"),
    ("公民身份号码", "id_number"),
    ("组", "area"),
    ("小组", "area"),
    ("村民小组", "area"),
    ("片区", "area"),
    ("村", "village"),
    ("村名", "village"),
    ("行政村", "village"),
    ("所在村", "village"),
    ("户号", "number"),
    ("户编号", "number"),
    ("编号", "number"),
    ("性别", "gender"),
    ("出生年份", "birth_year"),
    ("出生年月", "birth_year"),
    ("住址", "address"),
    ("家庭住址", "address"),
    ("地址", "address"),
    ("是否党员", "is_party_member"),
    ("党员", "is_party_member"),
    ("政治面貌", "is_party_member"),
    ("与户主关系", "relation"),
    ("是否户主", "is_head"),
    ("姓名", "name"),
    # Written the way spreadsheets come: notes in brackets, spaces, colons, asterisks, full-width letters.
    ("户号（必填）", "number"),
    ("户号(必填)", "number"),
    ("姓 名", "name"),
    ("姓　名", "name"),  # a full-width space
    ("*村名：", "village"),
    ("＊身份证号码", "id_number"),
    ("联系电话:", "mobile"),
    ("户主姓名【必填】", "head_name"),
    ("出生年月（例：1970.03）", "birth_year"),
    (" 手机号码 ", "mobile"),
    ("Mobile", "mobile"),
    ("ID Number", "id_number"),
    ("ＩＤ　Ｎｕｍｂｅｒ", "id_number"),  # full-width Latin letters
]


@pytest.mark.parametrize(("header", "field"), REAL_WORLD_HEADERS)
def test_a_real_world_header_names_its_field(header, field):
    assert field_of(header) == field


def test_at_least_twenty_real_world_variants_are_checked():
    assert len(REAL_WORLD_HEADERS) >= 20
    assert len({header for header, _ in REAL_WORLD_HEADERS}) == len(REAL_WORLD_HEADERS)


@pytest.mark.parametrize("header", ["备注", "序号", "家庭人口", "年收入", ""])
def test_headers_that_name_no_field_are_not_guessed(header):
    assert field_of(header) is None


def test_no_synonym_names_two_fields():
    for table in (ROSTER_SYNONYMS, UNIT_SYNONYMS):
        seen: dict[str, str] = {}
        for key, names in table.items():
            for name in names:
                normal = normalise_header(name)
                assert seen.setdefault(normal, key) == key, f"{name} names both {seen[normal]} and {key}"


def test_every_template_header_is_its_own_synonym():
    for column in COLUMNS + EXTRA_FIELDS:
        assert field_of(column.header) == column.key
    for column in UNIT_COLUMNS:
        assert column.header in UNIT_SYNONYMS[column.key]


def test_normalising_drops_brackets_spaces_colons_and_asterisks_and_folds_full_width():
    assert normalise_header("户号（必填）") == "户号"
    assert normalise_header("姓 名") == "姓名"
    assert normalise_header("*村名：") == "村名"
    assert normalise_header("ＡＢＣ") == "abc"
