"""The one table of header synonyms: which field a column of a clerk's sheet holds, whatever its header says.

Headers are Chinese data (what clerks' files say), not translatable text. A header is first normalised
(`normalise_header`): full-width characters folded, spaces removed, bracketed notes ("（必填）"), colons and
asterisks dropped, so "户号（必填）", "姓 名", "*村名：" and "ＩＤ号" match their plain forms.
"""

import re
import unicodedata

# Roster fields (one row per resident, or one row per household: then `head_name` names its head).
ROSTER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "village": ("村", "村名", "行政村", "所在村", "村别", "村委会", "village"),
    "area": ("片区", "片", "组", "小组", "村民小组", "组别", "所在组", "网格", "area", "group"),
    "number": ("户号", "户编号", "编号", "家庭编号", "户籍编号", "household number", "number", "no"),
    "address": ("住址", "家庭住址", "地址", "现住址", "居住地址", "家庭地址", "address"),
    "participation": ("参与状态", "是否参与", "participation"),
    "participation_reason": ("参与状态说明", "不参与原因", "participation reason"),
    "name": ("姓名", "成员姓名", "家庭成员", "name"),
    "head_name": ("户主姓名", "户主", "户主名", "户主名字", "head of household name", "head name"),
    "is_head": ("是否户主", "户主否", "head of household", "is head"),
    "relation": ("与户主关系", "与户主的关系", "家庭关系", "关系", "relation to head", "relation"),
    "gender": ("性别", "gender", "sex"),
    "birth_year": ("出生年份", "出生年月", "出生年", "出生日期", "出生年月日", "birth year", "year of birth"),
    "id_number": (
        "身份证号码",
        "身份证号",
        "身份证",
        "证件号码",
        "证件号",
        "公民身份号码",
        "身份证件号码",
        "id number",
        "id",
    ),
    "mobile": (
        "手机号码",
        "手机号",
        "手机",
        "联系电话",
        "电话",
        "电话号码",
        "联系方式",
        "mobile number",
        "mobile",
        "phone",
    ),
    "is_party_member": ("是否党员", "党员", "政治面貌", "party member"),
}

# The sheet 单位 (units): one row per unit.
UNIT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "village": ("村", "村名", "行政村", "所在村", "village"),
    "name": ("单位名称", "单位", "名称", "unit name", "unit"),
    "kind": ("类别", "类型", "单位类别", "单位类型", "kind"),
    "contact_name": ("联系人", "联系人姓名", "负责人", "contact person", "contact"),
    "contact_mobile": ("联系电话", "联系手机", "手机号码", "手机", "电话", "contact mobile", "mobile"),
    "address": ("地址", "住址", "单位地址", "address"),
    "note": ("备注", "说明", "note", "notes"),
}

_BRACKETED = re.compile(r"[(\[{（【〔《<][^)\]}）】〕》>]*[)\]}）】〕》>]")
_NOISE = re.compile(r"[\s_*＊:：#.、。·\-—]+")


def normalise_header(text: str) -> str:
    """A header reduced to what identifies it: 'Ｉ Ｄ 号（必填）：' → 'id号'."""
    folded = unicodedata.normalize("NFKC", str(text)).lower()
    return _NOISE.sub("", _BRACKETED.sub("", folded))


def lookup_table(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Normalised header → field key."""
    return {normalise_header(name): key for key, names in synonyms.items() for name in names}


ROSTER_LOOKUP = lookup_table(ROSTER_SYNONYMS)
UNIT_LOOKUP = lookup_table(UNIT_SYNONYMS)
