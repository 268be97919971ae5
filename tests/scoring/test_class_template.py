"""The complete class template (issue 15, item 3): every item and rule of the seed's class scheme (第二篇《积分管理
制度》, points-schemes.zh.txt lines 29–108) walked line by line, hand-computed totals for a student and an officer
through the real score rule after approval through a notice, and the term the template loads for."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from core.tenancy import township_scope
from households.models import Household
from scoring import selectors
from scoring.models import Entry, Item, Scheme
from tests.notices import approve_through_notice
from tests.scoring.class_school import TERM, make_school, record

pytestmark = pytest.mark.django_db

D = Decimal
W, M, T = "weekly", "monthly", "term"
SUNDAY = "上自习"

# The seed, line by line: seed wording → (item name, kind, points, counted per, cap, limit, consequence contains,
# an officer's deduction doubled). "+"/"−" kinds; a limit always carries over in the class template (一项一周累积顺延).
SEED = [
    # 一、学习方面 (一)学习减分项 — 学习减分 are not doubled for officers (附说明3)
    (
        "上课后不能按时安静下来 −1",
        "上课后不能按时安静下来(不说话、不抬头、不扭头)",
        "−",
        "1",
        W,
        None,
        None,
        "",
        False,
    ),
    (
        "上课以及年级要求的时间点迟到 −1",
        "上课或年级规定时间点迟到(以铃声结束为准)",
        "−",
        "1",
        W,
        None,
        2,
        "一周迟到2次",
        False,
    ),
    ("旷课一节 −5(旷课者上自习)", "旷课一节", "−", "5", W, None, 1, SUNDAY, False),
    (
        "上课不注意听讲 −1",
        "上课(含自习课)不注意听讲(说话、睡觉、看闲书等)",
        "−",
        "1",
        W,
        None,
        None,
        "",
        False,
    ),
    ("自习课随便出入室 −1", "自习课随意出入教室", "−", "1", W, None, None, "", False),
    (
        "不尊重老师造成不良影响 −1",
        "不接受老师批评或不尊重老师,造成不良影响",
        "−",
        "1",
        W,
        None,
        None,
        "",
        False,
    ),
    (
        "迟交、不交及交了没写作业 −1;一周两次不完成作业上自习",
        "迟交、不交作业或交了没写",
        "−",
        "1",
        W,
        None,
        2,
        "一周两次不完成作业",
        False,
    ),
    ("团讯及广播稿按作业进行考勤", "迟交、不交作业或交了没写", "−", "1", W, None, 2, SUNDAY, False),
    ("抄作业 −2", "抄作业", "−", "2", W, None, None, "", False),
    ("让别人抄作业 −3", "让别人抄作业", "−", "3", W, None, None, "", False),
    ("考试作弊 −5", "考试作弊", "−", "5", W, None, None, "", False),
    ("协同作弊 −4", "协同作弊", "−", "4", W, None, None, "", False),
    ("学习考试成绩退步最快的前五名 −1", "学习考试成绩退步最快的前五名", "−", "1", M, 1, None, "", False),
    ("早读不合格 −1/次", "早读不合格", "−", "1", W, None, None, "", False),
    # (二)学习加分项
    ("参加学习竞赛 +1", "参加学校及上级单位组织的学习竞赛", "+", "1", W, 2, None, "", None),
    ("学习竞赛获奖 +3", "学习竞赛获奖", "+", "3", W, 2, None, "", None),
    ("月考1-5名 +3", "月考前5名", "+", "3", M, 1, None, "", None),
    ("月考6-10名 +2", "月考第6-10名", "+", "2", M, 1, None, "", None),
    ("月考11-15名 +1", "月考第11-15名", "+", "1", M, 1, None, "", None),
    ("月考进步最快的前5名 +1", "月考进步最快的前5名", "+", "1", M, 1, None, "", None),
    ("各单科第一名 +3", "单科第一名", "+", "3", M, None, None, "", None),
    ("作业优秀 +0.5/次", "被老师评为作业优秀", "+", "0.5", W, 5, None, "", None),
    ("若课代表作假 −5", "课代表统计作业优秀作假", "−", "5", W, None, None, "", False),
    # (三)特别说明 — 值日班长 (学习 and 值日: not doubled)
    ("值日班长记录不全面 −1", "值日班长记录不全面", "−", "1", W, None, None, "", False),
    ("值日班长徇私舞弊 −2", "值日班长徇私舞弊", "−", "2", W, None, None, "", False),
    # 二、卫生、劳动方面 (一)卫生减分项 — 值日减分 are not doubled
    ("值日生忘记值日 −2", "值日生忘记值日", "−", "2", W, None, None, "", False),
    ("值日迟到 −1", "值日迟到", "−", "1", W, None, None, "", False),
    (
        "宿舍值日不合格,责任人 −3;2个不合格上自习",
        "宿舍值日不合格(责任人)",
        "−",
        "3",
        W,
        None,
        2,
        "2个不合格",
        False,
    ),
    (
        "宿舍值日合格,责任人 −1;5个合格上自习",
        "宿舍值日合格(未达优秀,责任人)",
        "−",
        "1",
        W,
        None,
        5,
        "5个合格",
        False,
    ),
    (
        "教室和卫生区、责任区不合格,值日生 −2",
        "教室、卫生区、责任区不合格(值日生)",
        "−",
        "2",
        W,
        None,
        2,
        SUNDAY,
        False,
    ),
    (
        "教室和卫生区、责任区不合格,组长 −3",
        "教室、卫生区、责任区不合格(组长)",
        "−",
        "3",
        W,
        None,
        2,
        SUNDAY,
        False,
    ),
    (
        "教室和卫生区、责任区不合格,卫生委员 −2",
        "教室、卫生区、责任区不合格(卫生委员)",
        "−",
        "2",
        W,
        None,
        2,
        SUNDAY,
        False,
    ),
    ("垃圾筐未倒 −0.5/次", "垃圾筐未倒", "−", "0.5", W, None, None, "", False),
    (
        "窗户电扇等未关造成的不合格,相关负责人 −1",
        "窗户、电扇等未关造成不合格(相关负责人)",
        "−",
        "1",
        W,
        None,
        None,
        "",
        False,
    ),
    (
        "窗户电扇等未关造成的不合格,安全委员 −1",
        "窗户、电扇等未关造成不合格(安全委员)",
        "−",
        "1",
        W,
        None,
        None,
        "",
        False,
    ),
    ("桌面乱 −0.5/次", "桌面乱", "−", "0.5", W, None, None, "", True),
    ("被子2次不合格的相关责任人上自习", "被子不合格(相关责任人)", "−", "1", W, None, 2, "被子", True),
    # (二)卫生加分项
    ("宿舍值日优秀值日生 +1", "宿舍值日优秀值日生", "+", "1", W, 5, None, "", None),
    (
        "持续一周全优(包括特优)宿舍每人再 +1",
        "宿舍持续一周全优(含特优,每人再加)",
        "+",
        "1",
        W,
        1,
        None,
        "",
        None,
    ),
    ("宿舍值日特优值日生 +3", "宿舍值日特优值日生", "+", "3", W, 3, None, "", None),
    ("每周达三次特优全宿舍每人再 +1", "宿舍一周达三次特优(全宿舍每人再加)", "+", "1", W, 1, None, "", None),
    ("如果一个月全优每人再 +1", "宿舍一个月全优(每人再加)", "+", "1", M, 1, None, "", None),
    ("积极参加学校、班级临时劳动 +1", "积极参加学校、班级临时劳动", "+", "1", W, 3, None, "", None),
    # 三、文体方面 (一)文体减分项 — doubled for officers
    (
        "旷操 −2;一周一次无故不签假条不跑操 −2且上自习",
        "旷操(早操、课间操、眼保健操)",
        "−",
        "2",
        W,
        None,
        1,
        "不跑操",
        True,
    ),
    ("早操迟到 −1(一周迟到2次上自习)", "早操迟到", "−", "1", W, None, 2, "一周迟到2次", True),
    ("课间操迟到 −1", "课间操迟到", "−", "1", W, None, 2, "一周迟到2次", True),
    ("课间操没带书 −0.5/次", "课间操没带书", "−", "0.5", W, None, None, "", True),
    ("不认真做操并不听从管理 −1", "不认真做操且不听从管理", "−", "1", W, None, None, "", True),
    ("做操造成不良后果的(出现不合格) −2", "做操造成不良后果(出现不合格)", "−", "2", W, None, None, "", True),
    ("值周生 +1", "担任值周生", "+", "1", W, 1, None, "", None),
    ("优秀值周生 +2", "优秀值周生", "+", "2", W, 1, None, "", None),
    ("值周长 +3", "值周长", "+", "3", W, 1, None, "", None),
    ("(值周)出现重大失误者 −3", "值周出现重大失误", "−", "3", W, None, None, "", True),
    # (二)文体加分项
    ("参加学校运动会 +1", "参加学校运动会", "+", "1", T, 1, None, "", None),
    ("运动会获得名次 +3", "运动会获得名次", "+", "3", T, 3, None, "", None),
    ("参加学校组织的文娱活动 +1", "参加学校组织的文娱活动(如新年联欢)", "+", "1", W, 2, None, "", None),
    ("文娱活动获得荣誉 +3", "文娱活动获得荣誉", "+", "3", W, 2, None, "", None),
    ("元旦文艺晚会主持人 +1", "元旦文艺晚会主持人", "+", "1", T, 1, None, "", None),
    ("元旦文艺晚会小品及舞蹈演员 +1", "元旦文艺晚会小品及舞蹈演员", "+", "1", T, 1, None, "", None),
    ("元旦文艺晚会歌曲演员 +0.5", "元旦文艺晚会歌曲演员", "+", "0.5", T, 1, None, "", None),
    ("集体活动参与者 +1", "集体活动参与者", "+", "1", W, 2, None, "", None),
    ("集体活动观众 +0.5", "集体活动观众", "+", "0.5", W, 2, None, "", None),
    ("集体活动不请假者 −1", "集体活动不请假缺席", "−", "1", W, None, None, "", True),
    # 四、其它 (一)减分项
    (
        "宿舍就寝不合格,相关责任人 −3;一个不合格上自习",
        "宿舍就寝不合格(相关责任人)",
        "−",
        "3",
        W,
        None,
        1,
        "就寝",
        True,
    ),
    (
        "宿舍就寝不合格,当天值日生及宿舍长 −1",
        "宿舍就寝不合格(宿舍长及当天值日生)",
        "−",
        "1",
        W,
        None,
        1,
        "就寝",
        False,
    ),
    ("宿舍就寝不合格,其它成员 −0.5", "宿舍就寝不合格(其它成员)", "−", "0.5", W, None, None, "", True),
    (
        "违反《中学生守则》 −5",
        "违反《中学生守则》(打架、吸烟、喝酒、上网吧等)",
        "−",
        "5",
        W,
        None,
        None,
        "",
        True,
    ),
    ("校园外有不良行为并造成影响 −5", "校园外有不良行为并造成影响", "−", "5", W, None, None, "", True),
    ("无故不上自习会 −3/次", "无故不上自习", "−", "3", W, None, None, "", True),
    ("(自习)迟到早退 −1/次", "自习迟到早退", "−", "1", W, None, None, "", True),
    ("值日班长被班主任认为不认真的 −1", "值日班长被班主任认为不认真", "−", "1", W, None, None, "", False),
    ("每周评出优秀值日班长1人 +1", "每周优秀值日班长", "+", "1", W, 1, None, "", None),
    # (二)加分项
    ("在校内做好人好事 +1", "在校内做好人好事", "+", "1", W, 3, None, "", None),
    ("在社会上有好人好事为我校争光 +3", "在社会上做好人好事并为学校争光", "+", "3", W, None, None, "", None),
    ("为学校广播室积极投稿被选用 +1/篇", "为学校广播室投稿被选用", "+", "1", W, 3, None, "", None),
]


@pytest.fixture
def w():
    return make_school()


def test_every_rule_of_the_seeds_class_scheme_is_in_the_loaded_scheme(w):
    with township_scope(w.township):
        items = {i.name: i for i in Item.objects.filter(category__scheme=w.scheme).select_related("category")}
        problems = []
        for seed, name, kind, points, cadence, cap, limit, consequence, doubled in SEED:
            found = items.get(name)
            if found is None:
                problems.append(f"{seed}: no item {name}")
                continue
            got = (
                "+" if found.kind == "bonus" else "−",
                found.points,
                found.counting_cadence,
                found.cap_count,
                found.threshold_count,
            )
            if got != (kind, D(points), cadence, cap, limit):
                problems.append(f"{seed}: {name} is {got}")
            if consequence and consequence not in found.threshold_consequence:
                problems.append(f"{seed}: {name}'s consequence is {found.threshold_consequence!r}")
            if bool(limit) != found.threshold_carries_over:
                problems.append(f"{seed}: {name}'s limit must carry over (一项一周累积顺延)")
            if doubled is not None and found.role_multiplier_applies != doubled:
                problems.append(f"{seed}: {name} doubled for officers is {found.role_multiplier_applies}")
        assert problems == []
        # Nothing in the template that the seed does not say; the catalogue's shape.
        assert set(items) == {row[1] for row in SEED}
        assert [(c.name, c.base_score, c.cadence) for c in w.scheme.categories.all()] == [
            ("学习", D("30"), W),
            ("卫生劳动", D("20"), W),
            ("文体", D("15"), W),
            ("纪律与其它", D("15"), W),
        ]
        assert "团讯及广播稿按作业进行考勤" in items["迟交、不交作业或交了没写"].verification
        assert (w.scheme.starts_on, w.scheme.ends_on) == TERM


def test_a_student_and_an_officer_over_a_week_and_a_month_through_the_notice(w):
    with township_scope(w.township):
        entries = [
            # S01, a student (base 80), October 2026.
            record(
                w, w.s01, "上课或年级规定时间点迟到(以铃声结束为准)", datetime.date(2026, 10, 6)
            ),  # 学习 −1
            record(w, w.s01, "被老师评为作业优秀", datetime.date(2026, 10, 7)),  # 学习 +0.5
            record(
                w, w.s01, "上课或年级规定时间点迟到(以铃声结束为准)", datetime.date(2026, 10, 8)
            ),  # −1, 上自习
            record(w, w.s01, "值周长", datetime.date(2026, 10, 9)),  # 文体 +3
            record(w, w.s01, "宿舍就寝不合格(其它成员)", datetime.date(2026, 10, 14)),  # 其它 −0.5
            record(w, w.s01, "月考前5名", datetime.date(2026, 10, 20)),  # 学习 +3, once a month
            record(w, w.s01, "宿舍一个月全优(每人再加)", datetime.date(2026, 10, 30)),  # 卫生劳动 +1
            # S02, an officer (base 85): doubled except study (学习) and duty (值日) deductions.
            record(w, w.s02, "早操迟到", datetime.date(2026, 10, 6)),  # 文体 −1 × 2
            record(w, w.s02, "迟交、不交作业或交了没写", datetime.date(2026, 10, 7)),  # 学习 −1
            record(w, w.s02, "宿舍值日不合格(责任人)", datetime.date(2026, 10, 8)),  # 卫生 −3 (值日)
            record(
                w, w.s02, "宿舍就寝不合格(相关责任人)", datetime.date(2026, 10, 13)
            ),  # 其它 −3 × 2, 上自习
            record(w, w.s02, "课代表统计作业优秀作假", datetime.date(2026, 10, 15)),  # 学习 −5
            record(w, w.s02, "值周出现重大失误", datetime.date(2026, 10, 16)),  # 文体 −3 × 2
            record(w, w.s02, "每周优秀值日班长", datetime.date(2026, 10, 16)),  # 其它 +1 (bonus)
            record(w, w.s02, "月考第6-10名", datetime.date(2026, 10, 20)),  # 学习 +2
        ]
        # A second 月考前5名 in October is over the monthly cap; November's month takes one again.
        with (
            translation.override("en"),
            pytest.raises(DomainError, match="10/2026"),
        ):  # the month by its label
            record(w, w.s01, "月考前5名", datetime.date(2026, 10, 27))
        assert [e.points for e in entries[7:]] == [
            D(p) for p in ("-2", "-1", "-3", "-6", "-5", "-6", "1", "2")
        ]
        assert approve_through_notice(entries, membership=w.office) == 15

        households = Household.objects.filter(pk__in=[w.s01.pk, w.s02.pk])
        scores = selectors.household_scores(w.scheme, households)
        by_name = {c.name: c.pk for c in w.scheme.categories.all()}

        def categories(household):
            return {name: scores[household.pk].categories[pk] for name, pk in by_name.items()}

        # Student: 80 − 1 + 0.5 − 1 + 3 − 0.5 + 3 + 1 = 85.
        #   学习 30 − 1 − 1 + 0.5 + 3 = 31.5; 卫生劳动 20 + 1 = 21; 文体 15 + 3 = 18; 纪律与其它 15 − 0.5 = 14.5.
        assert categories(w.s01) == {
            "学习": D("31.5"),
            "卫生劳动": D("21"),
            "文体": D("18"),
            "纪律与其它": D("14.5"),
        }
        assert scores[w.s01.pk].total == D("85")
        # Officer: 85 − 2×1 − 1 − 3 − 2×3 − 5 − 2×3 + 1 + 2 = 65.
        #   学习 30 − 1 − 5 + 2 = 26; 卫生劳动 20 − 3 = 17; 文体 15 − 2 − 6 = 7; 纪律与其它 15 − 6 + 1 = 10;
        #   60 + (85 − 80) = 65.
        assert categories(w.s02) == {
            "学习": D("26"),
            "卫生劳动": D("17"),
            "文体": D("7"),
            "纪律与其它": D("10"),
        }
        assert (scores[w.s02.pk].role_delta, scores[w.s02.pk].total) == (D("5"), D("65"))
        assert selectors.annual_totals(w.scheme, households) == {w.s01.pk: D("85"), w.s02.pk: D("65")}


def test_the_term_scheme_refuses_a_day_before_and_after_the_term_and_takes_january(w):
    with township_scope(w.township), translation.override("en"):
        with pytest.raises(DomainError, match="term, from 2026-09-01 to 2027-01-31"):
            record(w, w.s01, "早读不合格", datetime.date(2026, 8, 31))
        with time_machine.travel(datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC), tick=False):
            january = record(w, w.s01, "早读不合格", datetime.date(2027, 1, 29))
            with pytest.raises(DomainError, match="term, from 2026-09-01 to 2027-01-31"):
                record(w, w.s01, "早读不合格", datetime.date(2027, 2, 1))
        assert (january.year, january.period) == (2026, "2027-W04")
        assert Entry.objects.filter(household=w.s01).count() == 1


def test_the_command_loads_the_class_template_for_the_autumn_term_by_default(w):
    user = w.office.user.username
    out = io.StringIO()
    call_command("load_scheme_template", "class", township=w.township.slug, year=2027, user=user, stdout=out)
    with township_scope(w.township):
        autumn = Scheme.objects.get(year=2027)
        assert (autumn.starts_on, autumn.ends_on) == (datetime.date(2027, 9, 1), datetime.date(2028, 1, 31))
    assert "2027-09-01" in out.getvalue() and "2028-01-31" in out.getvalue()


def test_the_command_takes_the_term_dates(w):
    out = io.StringIO()
    call_command(
        "load_scheme_template",
        "class",
        "--starts=2028-02-20",
        "--ends=2028-07-10",
        township=w.township.slug,
        year=2028,
        user=w.office.user.username,
        stdout=out,
    )
    with township_scope(w.township):
        spring = Scheme.objects.get(year=2028)
        assert (spring.starts_on, spring.ends_on) == (datetime.date(2028, 2, 20), datetime.date(2028, 7, 10))


def test_the_api_and_the_page_load_a_template_for_a_term_and_refuse_half_a_term(w, client):
    client.force_login(w.office.user)
    api = reverse("scoring_api:scheme-load-template", kwargs={"township_slug": w.township.slug})
    half = client.post(
        api, {"template": "class", "year": 2027, "starts_on": "2027-02-20"}, content_type="application/json"
    )
    assert half.status_code == 400 and half.json()["field"] == "starts_on"
    made = client.post(
        api,
        {
            "template": "class",
            "year": 2027,
            "name": "春季学期",
            "starts_on": "2027-02-20",
            "ends_on": "2027-07-10",
        },
        content_type="application/json",
    )
    assert made.status_code == 201
    assert (made.json()["starts_on"], made.json()["ends_on"]) == ("2027-02-20", "2027-07-10")
    page = reverse("scoring:scheme-load-template", kwargs={"township_slug": w.township.slug})
    response = client.post(
        page, {"template": "class", "year": 2028, "scheme_name": "", "starts_on": "", "ends_on": ""}
    )
    assert response.status_code == 302
    with township_scope(w.township):
        autumn = Scheme.objects.get(year=2028)
        assert (autumn.starts_on, autumn.ends_on) == (datetime.date(2028, 9, 1), datetime.date(2029, 1, 31))
