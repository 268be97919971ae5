"""The roster file's layout, shared by reading, checking, previewing and writing files.

The column headers are Chinese data, not translatable text: they are what the clerks' files say.
"""

from dataclasses import dataclass

from ..models import Gender, Participation, UnitKind


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header of the template
    required: bool = False
    text: bool = False  # formatted as text ('@') so Excel keeps every digit
    width: int = 12


COLUMNS = (
    Column("village", "村", required=True),
    Column("area", "片区", required=True),
    Column("number", "户号", required=True, text=True),
    Column("address", "住址", width=24),
    Column("participation", "参与状态", width=16),
    Column("participation_reason", "参与状态说明", width=24),
    Column("name", "姓名", required=True),
    Column("is_head", "是否户主", required=True),
    Column("gender", "性别", width=8),
    Column("birth_year", "出生年份"),
    Column("id_number", "身份证号码", text=True, width=22),
    Column("mobile", "手机号码", text=True, width=16),
    Column("is_party_member", "是否党员"),
)
# Fields a clerk's own sheet may carry instead of the template's 姓名 + 是否户主 (headers.py lists their synonyms):
# one row per household names its head in 户主姓名; one row per person may say 与户主关系 instead of 是否户主.
EXTRA_FIELDS = (Column("head_name", "户主姓名"), Column("relation", "与户主关系"))
FIELDS = COLUMNS + EXTRA_FIELDS
COLUMN_BY_KEY = {column.key: column for column in FIELDS}
ROSTER_SHEET = "花名册"
NOTES_SHEET = "填写说明"
YES, NO = "是", "否"
PARTICIPATION_LABELS = {
    Participation.TAKING_PART: "参与",
    Participation.NOT_ELIGIBLE: "不符合条件",
    Participation.ELDERLY_OPTED_IN: "老年户自愿参与",
    Participation.OPTED_OUT: "自愿退出",
}
GENDER_LABELS = {Gender.MALE: "男", Gender.FEMALE: "女"}

# The sheet 单位 (units): one row per unit, in the same workbook as the roster (or a .csv of its own).
UNIT_SHEET = "单位"
UNIT_SHEET_ALIASES = (UNIT_SHEET, "units", "单位名册")
UNIT_COLUMNS = (
    Column("village", "村", required=True),
    Column("name", "单位名称", required=True, width=24),
    Column("kind", "类别", required=True, width=16),
    Column("contact_name", "联系人", required=True),
    Column(
        "contact_mobile",
        "联系电话",
        required=True,
        text=True,
        width=16,
    ),
    Column("address", "地址", width=24),
    Column("note", "备注", width=24),
)
UNIT_COLUMN_BY_KEY = {column.key: column for column in UNIT_COLUMNS}
# Headers of clerks' own sheets that headers.py recognises, named as examples on the import page.
COMMON_HEADERS = ("户主", "联系电话", "身份证", "组")
# The sheet's own words the import pages name, so their translatable text carries no Chinese data.
SHEET_WORDS = {
    "head_name": COLUMN_BY_KEY["head_name"].header,
    "name": COLUMN_BY_KEY["name"].header,
    "is_head": COLUMN_BY_KEY["is_head"].header,
    "unit_sheet": UNIT_SHEET,
    "common_headers": COMMON_HEADERS,
}
KIND_LABELS = {
    UnitKind.ENTERPRISE: "企业",
    UnitKind.INDIVIDUAL_BUSINESS: "个体工商户",
    UnitKind.COOPERATIVE: "合作社",
    UnitKind.SOCIAL_ORGANISATION: "社会组织",
    UnitKind.PUBLIC_INSTITUTION: "事业单位",
    UnitKind.OTHER: "其他",
}
