"""The scheme templates shipped with Jifen: their content, the loader, the command, and scores computed by hand."""

import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import DomainError
from core.tenancy import no_township_scope, township_scope
from scoring import scheme_templates, selectors, services
from scoring.management.commands.load_scheme_template import Command
from scoring.models import (
    Category,
    Entry,
    EntrySource,
    Item,
    ItemKind,
    RoleRule,
    Scheme,
    SchemeState,
    ThresholdAlert,
)
from tests.contract import member
from tests.notices import admin_membership, approve_through_notice

pytestmark = pytest.mark.django_db

TEMPLATES = ["class", "social-governance", "village-2026"]


def raw_template(name):
    return json.loads((scheme_templates.TEMPLATE_DIR / f"{name}.json").read_text(encoding="utf-8"))


def load(township, name, *, membership=None, year=2026, scheme_name=None, starts_on=None, ends_on=None):
    """Load `name` in the township's scope, as `membership` (default: the township office)."""
    with township_scope(township):
        return scheme_templates.load_template(
            membership=membership or admin_membership(township.pk),
            township=township,
            name=name,
            year=year,
            scheme_name=scheme_name,
            starts_on=starts_on,
            ends_on=ends_on,
        )


def item_named(scheme, name):
    return Item.objects.get(category__scheme=scheme, name=name)


def pdf(name="证明.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% evidence\n", content_type="application/pdf")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# The templates' content -------------------------------------------------------------------------------------------


def test_the_three_templates_are_available_with_chinese_titles():
    templates = {t["name"]: t for t in scheme_templates.available_templates()}
    assert sorted(templates) == TEMPLATES
    assert templates["village-2026"]["title"] == "乡村治理积分制(村级农户积分)"
    assert "140" in templates["village-2026"]["description"]
    assert all(t["description"] for t in templates.values())


@pytest.mark.parametrize("name", TEMPLATES)
def test_each_template_loads_as_a_draft_scheme_with_every_category_and_item(world, name):
    raw = raw_template(name)
    scheme = load(world.a.township, name)
    with township_scope(world.a.township):
        assert scheme.state == SchemeState.DRAFT
        assert scheme.template == name
        assert scheme.year == 2026
        assert scheme.name == raw["name"]
        assert list(scheme.categories.values_list("name", flat=True)) == [
            c["name"] for c in raw["categories"]
        ]
        items = Item.objects.filter(category__scheme=scheme)
        assert items.count() == sum(len(c["items"]) for c in raw["categories"])
        assert RoleRule.objects.filter(scheme=scheme).count() == len(raw["role_rules"])


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_item_of_every_template_gives_a_positive_multiple_of_half_a_point(world, name):
    scheme = load(world.a.township, name)
    with township_scope(world.a.township):
        points = list(Item.objects.filter(category__scheme=scheme).values_list("points", flat=True))
    assert points
    assert all(p > 0 and (p * 2) == (p * 2).to_integral_value() for p in points)


def test_village_template_has_seed_ones_five_categories_and_a_base_total_of_140(world):
    scheme = load(world.a.township, "village-2026")
    with township_scope(world.a.township):
        categories = list(scheme.categories.values_list("name", "base_score", "cadence", "floor"))
        assert categories == [
            ("党的建设", Decimal("20"), "annual", Decimal("0")),
            ("民生保障", Decimal("20"), "annual", Decimal("0")),
            ("环境整治", Decimal("40"), "quarterly", Decimal("0")),
            ("文明新风", Decimal("40"), "quarterly", Decimal("0")),
            ("遵纪守法", Decimal("20"), "annual", Decimal("0")),
        ]
        assert selectors.base_total(scheme) == Decimal("140")
        for category in scheme.categories.all():
            kinds = list(category.items.values_list("kind", flat=True))
            assert 6 <= len(kinds) <= 12, category.name
            assert ItemKind.BONUS in kinds and ItemKind.PENALTY in kinds, category.name
        assert item_named(scheme, "参加义务劳动(村组织的环境卫生集中整治等)").points == Decimal("1")
        assert item_named(scheme, "乱堆乱放(柴草、杂物、建材等)").kind == ItemKind.PENALTY


def test_village_template_marks_a_crime_as_disqualifying_and_says_so(world):
    scheme = load(world.a.township, "village-2026")
    with township_scope(world.a.township):
        disqualifying = list(Item.objects.filter(category__scheme=scheme, disqualifying=True))
        assert [i.name for i in disqualifying] == ["违法犯罪被依法处理"]
        crime = disqualifying[0]
        assert crime.category.name == "遵纪守法"
        assert crime.kind == ItemKind.PENALTY
        assert "一票否决" in crime.verification


def test_village_template_requires_evidence_for_what_a_panel_cannot_see_on_the_spot(world):
    scheme = load(world.a.township, "village-2026")
    with township_scope(world.a.township):
        assert item_named(scheme, "见义勇为").evidence_required
        assert item_named(scheme, "获得县级及以上文明家庭、最美家庭等表彰").evidence_required
        assert not item_named(scheme, "乱堆乱放(柴草、杂物、建材等)").evidence_required


def test_class_template_has_role_rules_80_and_85_with_officers_penalties_doubled(world):
    scheme = load(world.a.township, "class")
    with township_scope(world.a.township):
        rules = {r.code: (r.base_score, r.penalty_multiplier) for r in scheme.role_rules.all()}
        assert rules == {"student": (Decimal("80"), Decimal("1")), "officer": (Decimal("85"), Decimal("2"))}
        assert selectors.base_total(scheme) == Decimal("80")
        assert set(scheme.categories.values_list("cadence", flat=True)) == {"weekly"}
        items = Item.objects.filter(category__scheme=scheme)
        assert items.filter(points=Decimal("0.5")).exists()
        assert items.filter(kind=ItemKind.BONUS, cap_count__isnull=False).exists()
        homework = item_named(scheme, "迟交、不交作业或交了没写")
        assert homework.threshold_count == 2
        assert "自习" in homework.threshold_consequence


def test_social_governance_template_has_seed_fours_four_categories_and_double_cost_for_false_claims(world):
    scheme = load(world.a.township, "social-governance")
    with township_scope(world.a.township):
        assert list(scheme.categories.values_list("name", flat=True)) == [
            "思想政治",
            "平安稳定",
            "村建设",
            "奖励惩罚",
        ]
        assert scheme.false_declaration_multiplier == Decimal("2")
        items = Item.objects.filter(category__scheme=scheme)
        # A household declares its good deeds (or a grid worker declares for it); nobody declares a penalty.
        assert not items.filter(kind=ItemKind.BONUS, by_declaration=False).exists()
        assert not items.filter(kind=ItemKind.PENALTY, by_declaration=True).exists()


# The loader -------------------------------------------------------------------------------------------------------


def test_loading_the_same_template_twice_for_one_year_refuses_and_duplicates_nothing(world):
    first = load(world.a.township, "village-2026")
    with pytest.raises(DomainError) as refused:
        load(world.a.township, "village-2026")
    assert first.name in str(refused.value)
    assert "2026" in str(refused.value)
    with township_scope(world.a.township):
        assert Scheme.objects.count() == 1
        assert Category.objects.count() == 5
        assert Item.objects.count() == Item.objects.filter(category__scheme=first).count()


def test_a_template_loads_again_for_another_year_or_under_another_name(world):
    load(world.a.township, "class")
    load(world.a.township, "class", year=2027)
    load(world.a.township, "class", scheme_name="初二(3)班积分")
    with township_scope(world.a.township):
        assert sorted(Scheme.objects.values_list("year", "name")) == [
            (2026, "初二(3)班积分"),
            (2026, "班级积分管理制度"),
            (2027, "班级积分管理制度"),
        ]


def test_an_unknown_template_is_refused_with_the_list_of_known_ones(world):
    with pytest.raises(DomainError) as refused:
        load(world.a.township, "../settings")
    message = str(refused.value)
    assert "../settings" in message
    assert all(name in message for name in TEMPLATES)
    with township_scope(world.a.township):
        assert not Scheme.objects.exists()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t["categories"][0]["items"][0].update(pionts="1"), "categories[0].items[0]: 'pionts'"),
        (lambda t: t["categories"][0]["items"][0].update(points=1.5), "categories[0].items[0].points"),
        (lambda t: t["categories"][0]["items"][0].update(points="0.333"), "categories[0].items[0].points"),
        (lambda t: t["categories"][0]["items"][0].update(points="0"), "categories[0].items[0].points"),
        (lambda t: t["categories"][1].update(cadence="daily"), "categories[1].cadence"),
        (lambda t: t["categories"][1].update(floor="30"), "categories[1].floor"),
        (lambda t: t["categories"][2]["items"][1].update(kind="reward"), "categories[2].items[1].kind"),
        (lambda t: t["categories"][0]["items"][0].update(by_clerk="yes"), "categories[0].items[0].by_clerk"),
        (lambda t: t.update(colour="red"), "/: 'colour'"),
        (lambda t: t["categories"][0].pop("base_score"), "categories[0]: 'base_score'"),
        (lambda t: t["categories"].append(dict(t["categories"][0])), "categories"),
    ],
)
def test_a_malformed_template_fails_loudly_naming_the_place_and_writes_nothing(
    world, tmp_path, monkeypatch, change, named
):
    template = raw_template("village-2026")
    change(template)
    (tmp_path / "broken.json").write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(scheme_templates, "TEMPLATE_DIR", tmp_path)
    with pytest.raises(DomainError) as refused:
        load(world.a.township, "broken")
    where, _sep, key = named.partition(": ")
    assert where in str(refused.value)
    assert key.strip("'") in str(refused.value)
    with township_scope(world.a.township):
        assert not Scheme.objects.exists()


def test_a_scheme_of_township_a_is_invisible_from_township_bs_scope(world):
    scheme = load(world.a.township, "village-2026")
    with no_township_scope(), township_scope(world.b.township):
        assert not Scheme.objects.filter(pk=scheme.pk).exists()
        assert not Item.objects.filter(category__scheme_id=scheme.pk).exists()
    # B loads the same template for the same year independently.
    load(world.b.township, "village-2026")
    with no_township_scope(), township_scope(world.b.township):
        assert Scheme.objects.count() == 1
    with no_township_scope(), township_scope(world.a.township):
        assert Scheme.objects.get().pk == scheme.pk


# The command ------------------------------------------------------------------------------------------------------


def run_command(*args, **options):
    """The command, in the name of town-a's office unless another `user` is given."""
    options.setdefault("user", "a-township_admin")
    out = io.StringIO()
    with no_township_scope():  # the command must open the township's scope itself
        call_command("load_scheme_template", *args, stdout=out, **options)
    return out.getvalue()


def test_the_command_loads_a_template_and_says_what_it_created(world):
    output = run_command("village-2026", township="town-a", year=2026)
    items = sum(len(c["items"]) for c in raw_template("village-2026")["categories"])
    numbers = re.findall(r"\d+", output.replace("village-2026", "").replace(str(2026), ""))
    assert "village-2026" in output
    assert {"5", str(items), "140"} <= set(numbers)
    assert "1.4E" not in output
    with township_scope(world.a.township):
        scheme = Scheme.objects.get()
        assert scheme.state == SchemeState.DRAFT
        assert scheme.template == "village-2026"


def test_the_command_activates_on_request_as_an_allowed_user(world):
    run_command("class", township="town-a", year=2026, activate=True, user="a-township_admin")
    with township_scope(world.a.township):
        assert Scheme.objects.get().state == SchemeState.ACTIVE


@pytest.mark.parametrize("username", ["a-village_clerk", "b-township_admin", "nobody"])
def test_the_command_refuses_a_user_who_may_not_edit_the_townships_schemes(world, username):
    with pytest.raises(CommandError) as refused:
        run_command("class", township="town-a", year=2026, user=username)
    assert username in str(refused.value)
    with township_scope(world.a.township):
        assert not Scheme.objects.exists()


def test_the_command_fails_cleanly_for_an_unknown_template(world):
    with pytest.raises(CommandError) as refused:
        run_command("village-2025", township="town-a", year=2026)
    assert "village-2025" in str(refused.value)
    assert "village-2026" in str(refused.value)
    with township_scope(world.a.township):
        assert not Scheme.objects.exists()


def test_the_command_fails_cleanly_for_an_unknown_township(world):
    with pytest.raises(CommandError) as refused:
        run_command("village-2026", township="town-z", year=2026)
    assert "town-z" in str(refused.value)


def test_the_command_refuses_a_year_before_2000_and_writes_nothing(world):
    with pytest.raises(CommandError):
        run_command("class", township="town-a", year=1999)
    with township_scope(world.a.township):
        assert not Scheme.objects.exists()


def test_the_command_refuses_a_second_load_of_the_same_year(world):
    run_command("village-2026", township="town-a", year=2026)
    with pytest.raises(CommandError):
        run_command("village-2026", township="town-a", year=2026)
    with township_scope(world.a.township):
        assert Scheme.objects.count() == 1


def test_the_command_exits_non_zero_with_the_message_on_stderr(world, monkeypatch, capsys):
    # run_from_argv closes every connection when it ends; keep the test's transaction open. The system checks
    # belong to other tests (--skip-checks).
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    with no_township_scope(), pytest.raises(SystemExit) as exited:
        Command().run_from_argv(
            [
                "manage.py",
                "load_scheme_template",
                "nope",
                "--township",
                "town-a",
                "--year",
                "2026",
                "--user",
                "a-township_admin",
                "--skip-checks",
            ]
        )
    assert exited.value.code == 1
    assert "nope" in capsys.readouterr().err


# Scores by hand ---------------------------------------------------------------------------------------------------


def record(user, household, item, day, **kwargs):
    """Recorded by `user` for a household of their village (the world's clerk and panel keep village 1), else by
    the township office."""
    membership = member(user)
    if household.village_id not in {village.pk for village in membership.villages.all()}:
        membership = admin_membership(household.township_id)
    return services.record_entry(
        membership=membership, household=household, item=item, occurred_on=day, **kwargs
    )


def test_village_scores_add_quarterly_entries_respect_caps_and_clamp_at_the_floor(world):
    a = world.a
    h1, h2 = a.households
    scheme = load(a.township, "village-2026", membership=member(a.admin))
    with no_township_scope(), township_scope(a.township):
        services.activate_scheme(membership=member(a.admin), scheme=scheme)
        labour = item_named(
            scheme, "参加义务劳动(村组织的环境卫生集中整治等)"
        )  # 环境整治 +1, at most 3 a quarter
        clutter = item_named(scheme, "乱堆乱放(柴草、杂物、建材等)")  # 环境整治 −2
        rubbish = item_named(scheme, "乱倒垃圾、乱泼污水")  # 环境整治 −2
        neighbours = item_named(scheme, "邻里和睦、互帮互助")  # 文明新风 +1
        law_class = item_named(scheme, "参加法治宣传教育活动")  # 遵纪守法 +1
        crime = item_named(scheme, "违法犯罪被依法处理")  # 遵纪守法 −20, disqualifying, evidence required
        fight = item_named(scheme, "打架斗殴、寻衅滋事")  # 遵纪守法 −5

        entries = [
            record(a.clerk, h1, labour, datetime.date(2026, 1, 15)),
            record(a.clerk, h1, labour, datetime.date(2026, 2, 15)),
            *services.record_bulk(
                membership=member(a.admin),
                households=[h1, h2],
                item=labour,
                occurred_on=datetime.date(2026, 3, 10),
            ),
            record(a.clerk, h1, labour, datetime.date(2026, 4, 10)),  # Q2: a new quarter, a new cap
            record(a.panel, h1, clutter, datetime.date(2026, 5, 6), source=EntrySource.INSPECTION),
            record(a.panel, h1, neighbours, datetime.date(2026, 3, 10), source=EntrySource.INSPECTION),
            record(a.clerk, h1, law_class, datetime.date(2026, 6, 1), source=EntrySource.DECLARATION),
            record(a.clerk, h2, crime, datetime.date(2026, 2, 10), evidence=[pdf("判决书.pdf")]),
            record(a.clerk, h2, fight, datetime.date(2026, 2, 11)),
        ]
        # The fourth clean-up of the first quarter is over the cap, and the message names the cap.
        with pytest.raises(DomainError) as capped:
            record(a.clerk, h1, labour, datetime.date(2026, 3, 20))
        assert "3" in str(capped.value) and "2026年第一季度" in str(capped.value)
        # Evidence is required for the crime; a household never declares its own penalty.
        with pytest.raises(DomainError):
            record(a.clerk, h2, crime, datetime.date(2026, 2, 12))
        with pytest.raises(DomainError):
            record(a.clerk, h2, fight, datetime.date(2026, 2, 12), source=EntrySource.DECLARATION)

        assert approve_through_notice(entries, membership=member(a.admin)) == 10
        record(a.clerk, h1, rubbish, datetime.date(2026, 7, 1))  # proposed, never approved: does not count

        # h1: 党的建设 20; 民生保障 20; 环境整治 40 + 1 + 1 + 1 (Q1) + 1 (Q2) − 2 = 42; 文明新风 40 + 1 = 41;
        #     遵纪守法 20 + 1 = 21 → 20 + 20 + 42 + 41 + 21 = 144.
        # h2: 环境整治 40 + 1 = 41; 遵纪守法 20 − 20 − 5 = −5, clamped at the floor → 0;
        #     20 + 20 + 41 + 40 + 0 = 121 (without the clamp it would be 140 + 1 − 25 = 116).
        assert selectors.annual_totals(scheme) == {h1.pk: Decimal("144"), h2.pk: Decimal("121")}

        categories = {c.name: c.pk for c in scheme.categories.all()}
        scored = selectors.household_scores(scheme, type(h1).objects.all())
        assert scored[h1.pk].categories[categories["环境整治"]] == Decimal("42")
        assert scored[h1.pk].categories[categories["文明新风"]] == Decimal("41")
        assert scored[h2.pk].categories[categories["遵纪守法"]] == Decimal("0")
        assert scored[h2.pk].categories[categories["环境整治"]] == Decimal("41")

        # The quarterly view: h1's 环境整治 is 40 + 3 = 43 in Q1 and 40 + 1 − 2 = 39 in Q2.
        q1 = selectors.household_scores(scheme, type(h1).objects.filter(pk=h1.pk), period="2026-Q1")[h1.pk]
        q2 = selectors.household_scores(scheme, type(h1).objects.filter(pk=h1.pk), period="2026-Q2")[h1.pk]
        assert q1.categories[categories["环境整治"]] == Decimal("43")
        assert q2.categories[categories["环境整治"]] == Decimal("39")


def test_class_scores_count_halves_weekly_limits_thresholds_and_officers_double_penalties(world):
    a = world.a
    student, officer = a.households
    spring = {"starts_on": datetime.date(2026, 2, 1), "ends_on": datetime.date(2026, 7, 31)}
    scheme = load(a.township, "class", membership=member(a.admin), **spring)
    with no_township_scope(), township_scope(a.township):
        services.activate_scheme(membership=member(a.admin), scheme=scheme)
        services.assign_role(
            membership=member(a.admin), household=student, role=scheme.role_rules.get(code="student")
        )
        services.assign_role(
            membership=member(a.admin), household=officer, role=scheme.role_rules.get(code="officer")
        )
        # Before any entry: a student starts at 80, an officer at 85.
        assert selectors.annual_totals(scheme) == {student.pk: Decimal("80"), officer.pk: Decimal("85")}

        homework = item_named(scheme, "被老师评为作业优秀")  # 学习 +0.5, at most 5 a week
        late = item_named(
            scheme, "上课或年级规定时间点迟到(以铃声结束为准)"
        )  # 学习 −1, alert at the 2nd in a week
        no_book = item_named(scheme, "课间操没带书")  # 文体 −0.5
        exercise_late = item_named(scheme, "课间操迟到")  # 文体 −1
        good_deed = item_named(scheme, "在校内做好人好事")  # 纪律与其它 +1

        week_11 = [datetime.date(2026, 3, d) for d in (9, 10, 11, 12, 13)]  # Monday to Friday of 2026-W11
        entries = [record(a.clerk, student, homework, day) for day in week_11]
        with pytest.raises(DomainError) as capped:
            record(a.clerk, student, homework, datetime.date(2026, 3, 14))
        assert "5" in str(capped.value) and "2026年第11周" in str(capped.value)
        entries.append(
            record(a.clerk, student, homework, datetime.date(2026, 3, 16))
        )  # 2026-W12: allowed again
        entries.append(record(a.clerk, student, late, datetime.date(2026, 3, 9)))
        assert not ThresholdAlert.objects.exists()
        entries.append(record(a.clerk, student, late, datetime.date(2026, 3, 10)))
        alert = ThresholdAlert.objects.get()
        assert (alert.household, alert.item, alert.period, alert.hits) == (student, late, "2026-W11", 2)
        entries.append(record(a.clerk, student, no_book, datetime.date(2026, 3, 11)))

        doubled = record(a.clerk, officer, exercise_late, datetime.date(2026, 3, 9))
        doubled_half = record(a.clerk, officer, no_book, datetime.date(2026, 3, 10))
        # Seed 2: an officer's study (学习) and duty (值日) penalties count the same as everyone's.
        not_doubled = record(a.clerk, officer, late, datetime.date(2026, 3, 12))
        entries += [
            doubled,
            doubled_half,
            not_doubled,
            record(a.clerk, officer, good_deed, datetime.date(2026, 3, 11)),
        ]
        assert (doubled.multiplier, doubled.points) == (Decimal("2"), Decimal("-2"))
        assert doubled_half.points == Decimal("-1")
        assert (not_doubled.multiplier, not_doubled.points) == (Decimal("1"), Decimal("-1"))

        assert approve_through_notice(entries, membership=member(a.admin)) == 13

        # Student: 学习 30 + 6 × 0.5 − 1 − 1 = 31; 卫生劳动 20; 文体 15 − 0.5 = 14.5; 纪律与其它 15
        #          → 31 + 20 + 14.5 + 15 = 80.5 (role base 80 = the categories' 80: no change).
        # Officer: 学习 30 − 1 (not doubled) = 29; 卫生劳动 20; 文体 15 − 1 × 2 − 0.5 × 2 = 12;
        #          纪律与其它 15 + 1 = 16 (bonuses not doubled) → 29 + 20 + 12 + 16 = 77, plus 85 − 80 = 5 → 82.
        assert selectors.annual_totals(scheme) == {student.pk: Decimal("80.5"), officer.pk: Decimal("82")}
        categories = {c.name: c.pk for c in scheme.categories.all()}
        scored = selectors.household_scores(scheme, type(student).objects.all())
        assert scored[student.pk].categories[categories["学习"]] == Decimal("31")
        assert scored[student.pk].categories[categories["文体"]] == Decimal("14.5")
        assert scored[officer.pk].categories[categories["文体"]] == Decimal("12")
        assert scored[officer.pk].role_delta == Decimal("5")


def test_social_governance_scores_accumulate_from_zero_and_may_go_below_it(world):
    a = world.a
    h1, h2 = a.households
    scheme = load(a.township, "social-governance", membership=member(a.admin))
    with no_township_scope(), township_scope(a.township):
        services.activate_scheme(membership=member(a.admin), scheme=scheme)
        patrol = item_named(scheme, "参加治安巡逻、看家护院等群防群治活动")  # 平安稳定 +1
        county_honour = item_named(scheme, "获得县级荣誉")  # 奖励惩罚 +4, evidence required
        litter = item_named(scheme, "乱堆乱放、乱倒垃圾")  # 村建设 −2
        damage = item_named(scheme, "损坏公共设施")  # 村建设 −5

        entries = [
            record(a.clerk, h1, patrol, datetime.date(2026, m, 5), source=EntrySource.DECLARATION)
            for m in (1, 2, 3)
        ]
        entries.append(
            record(
                a.clerk,
                h1,
                county_honour,
                datetime.date(2026, 4, 1),
                source=EntrySource.DECLARATION,
                evidence=[pdf()],
            )
        )
        entries.append(record(a.clerk, h1, litter, datetime.date(2026, 5, 1)))
        entries.append(record(a.clerk, h2, damage, datetime.date(2026, 5, 2)))
        # No panel in seed 4: the grid worker (clerk) records, the household declares.
        with pytest.raises(DomainError):
            record(a.panel, h2, damage, datetime.date(2026, 5, 3), source=EntrySource.INSPECTION)
        assert approve_through_notice(entries, membership=member(a.admin)) == 6

        # Every base is 0 and there is no floor.
        # h1: 思想政治 0; 平安稳定 3 × 1 = 3; 村建设 −2; 奖励惩罚 4 → 3 − 2 + 4 = 5.
        # h2: 村建设 −5 → −5.
        assert selectors.annual_totals(scheme) == {h1.pk: Decimal("5"), h2.pk: Decimal("-5")}
        assert Entry.objects.filter(scheme=scheme, state="approved").count() == 6
