"""Units in the roster file: the sheet 单位 of the workbook (or a .csv of its own), with real .xlsx files written by
openpyxl. Every bad unit row is reported by sheet, row and column in Chinese; nothing at all is written — neither
units nor households — while any row of either sheet is bad. The template and the export carry the sheet."""

import io

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from core.tenancy import dangerously_all_townships, no_township_scope, township_scope
from households.models import ImportStatus, Unit
from tests.factories import UnitFactory
from tests.households.test_importing import (
    GOOD_ROWS,
    HEADERS,
    commit,
    counts,
    file_errors,
    latest_batch,
    row,
    upload,
)

pytestmark = pytest.mark.django_db

UNIT_HEADERS = ["村", "单位名称", "类别", "联系人", "联系电话", "地址", "备注"]


def unit(
    village="a东村",
    name="兴农合作社",
    kind="合作社",
    contact="王建国",
    mobile="13900000001",
    address="",
    note="",
):
    return [village, name, kind, contact, mobile, address, note]


GOOD_UNITS = [
    unit(address="东街1号", note="粮食种植"),
    unit(name="东村超市", kind="个体工商户", contact="孙丽", mobile="13900000002"),
    unit(
        village="a西村", name="西村老年协会", kind="社会组织", contact="赵大爷", mobile=13900000003
    ),  # a number cell
]


def workbook(
    tmp_path, roster=(), units=(), *, unit_headers=UNIT_HEADERS, unit_sheet="单位", name="roster.xlsx"
):
    """A real workbook: the roster's sheet (header and `roster` rows), then the units' sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(HEADERS)
    for values in roster:
        sheet.append(values)
    if unit_sheet:
        units_sheet = book.create_sheet(unit_sheet)
        units_sheet.append(unit_headers)
        for values in units:
            units_sheet.append(values)
    path = tmp_path / name
    book.save(path)
    return path.read_bytes()


def unit_names(township) -> list[str]:
    with no_township_scope(), township_scope(township):
        return sorted(Unit.objects.values_list("name", flat=True))


def unit_errors(batch) -> dict[tuple[int, str], str]:
    return {(e["row"], e["column"]): e["message"] for e in batch.errors if e.get("sheet") == "单位"}


# Good files ------------------------------------------------------------------------------------------------------


def test_households_and_units_of_one_workbook_are_previewed_then_imported_together(world, login, tmp_path):
    a = world.a
    client = login(a.admin)
    response = upload(client, a.township, workbook(tmp_path, GOOD_ROWS, GOOD_UNITS))
    batch = latest_batch(a.township)
    assert (batch.status, batch.household_count, batch.resident_count, batch.unit_count) == (
        ImportStatus.PREVIEWED, 3, 5, 3,
    )  # fmt: skip
    assert unit_names(a.township) == [], "the preview writes nothing"

    preview = client.get(response.url).content.decode()
    assert "东村超市" in preview and "139****0002" in preview and "13900000002" not in preview
    assert "导入 3 户和 3 个单位" in preview

    response = commit(client, a.township, batch)
    assert response.status_code == 302
    assert counts(a.township) == (5, 7, 3)
    assert unit_names(a.township) == sorted(["兴农合作社", "东村超市", "西村老年协会"])
    with township_scope(a.township):
        coop = Unit.objects.select_related("village").get(name="兴农合作社")
        assert (coop.village.name, coop.kind, coop.contact_name, coop.contact_mobile, coop.address, coop.note) == (
            "a东村", "cooperative", "王建国", "13900000001", "东街1号", "粮食种植",
        )  # fmt: skip
        assert Unit.objects.get(name="西村老年协会").contact_mobile == "13900000003"
        assert coop.history.get().history_user == a.admin
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "已导入 3 户、5 名家庭成员。" in messages and "已导入 3 个单位。" in messages
    assert unit_names(world.b.township) == []


def test_a_workbook_with_units_only_imports_them_and_lands_on_the_unit_list(world, login, tmp_path):
    client = login(world.a.admin)
    upload(client, world.a.township, workbook(tmp_path, [], GOOD_UNITS[:2]))
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.unit_count) == ([], 0, 2)
    preview = client.get(
        reverse("households:import-preview", kwargs={"township_slug": "town-a", "batch_id": batch.pk})
    )
    assert "导入 2 个单位" in preview.content.decode()

    response = commit(client, world.a.township, batch)

    assert response.url == reverse("households:unit-list", kwargs={"township_slug": "town-a"})
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["已导入 2 个单位。"]
    assert unit_names(world.a.township) == ["东村超市", "兴农合作社"]
    assert counts(world.a.township) == (2, 2, 2)


def test_english_headers_a_sheet_named_units_and_the_kinds_clerks_write_are_accepted(world, login, tmp_path):
    english = ["Village", "Unit name", "Kind", "Contact person", "Contact mobile", "Address", "Note"]
    rows = [
        unit(name="东街商户", kind="商户"),
        unit(name="腰鼓队", kind="社团", mobile="139-0000-0004"),
        unit(name="农机厂", kind="enterprise"),
    ]
    upload(
        login(world.a.admin),
        world.a.township,
        workbook(tmp_path, [], rows, unit_headers=english, unit_sheet="Units"),
    )
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.unit_count) == ([], 3)
    commit(login(world.a.admin), world.a.township, batch)
    with township_scope(world.a.township):
        kinds = dict(Unit.objects.values_list("name", "kind"))
        assert kinds == {
            "东街商户": "individual_business",
            "腰鼓队": "social_organisation",
            "农机厂": "enterprise",
        }
        assert Unit.objects.get(name="腰鼓队").contact_mobile == "13900000004"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_a_csv_of_units_is_told_apart_by_its_header(world, login, encoding):
    text = ",".join(UNIT_HEADERS) + "\r\n" + "a东村,东村粮油店,个体工商户,钱多多,13900000005,东街5号,\r\n"
    upload(login(world.a.admin), world.a.township, text.encode(encoding), name="units.csv")
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.unit_count) == ([], 0, 1)
    commit(login(world.a.admin), world.a.township, batch)
    assert unit_names(world.a.township) == ["东村粮油店"]


# Bad rows: all reported, nothing written ------------------------------------------------------------------------


def test_every_bad_unit_row_is_reported_by_sheet_row_and_column_and_nothing_is_written(
    world, login, tmp_path
):
    a = world.a
    UnitFactory(village=a.villages[0], name="已有合作社")
    UnitFactory(village=a.villages[0], name="停业小店", archived_at=timezone.now())
    UnitFactory(village=world.b.villages[0], name="外镇合作社")
    rows = [
        unit(name="好单位"),  # row 2: fine
        unit(village="不存在村", name="无村单位"),  # row 3
        unit(name=""),  # row 4
        unit(name="好单位", contact="另一人"),  # row 5: same as row 2
        unit(name="已有合作社"),  # row 6: exists in a东村
        unit(name="停业小店"),  # row 7: archived namesake
        unit(name="银行", kind="银行"),  # row 8: unknown kind
        unit(name="无类别", kind=""),  # row 9
        unit(name="无联系人", contact="", mobile=""),  # row 10: contact and mobile missing
        unit(name="坏号码", mobile="0716-123456"),  # row 11
        unit(name="外镇合作社", note="注" * 201),  # row 12: the name is B's only (fine), the note too long
    ]
    client = login(a.admin)
    before = unit_names(a.township)
    upload(client, a.township, workbook(tmp_path, GOOD_ROWS, rows))
    batch = latest_batch(a.township)

    assert batch.status == ImportStatus.FAILED
    errors = unit_errors(batch)
    assert set(errors) == {
        (3, "村"), (4, "单位名称"), (5, "单位名称"), (6, "单位名称"), (7, "单位名称"), (8, "类别"), (9, "类别"),
        (10, "联系人"), (10, "联系电话"), (11, "联系电话"), (12, "备注"),
    }  # fmt: skip
    assert errors[(3, "村")] == "在您负责的村中没有名为“不存在村”的村。"
    assert errors[(4, "单位名称")] == "缺少单位名称。"
    assert errors[(5, "单位名称")] == "第2行已有同一村的同名单位。"
    assert errors[(6, "单位名称")] == "a东村已有名为“已有合作社”的单位。"
    assert (
        errors[(7, "单位名称")] == "a东村有一个已归档的单位“停业小店”：请在系统中恢复该单位，不要重复导入。"
    )
    assert errors[(8, "类别")] == "请填写以下之一：企业、个体工商户、合作社、社会组织、事业单位、其他。"
    assert (
        errors[(9, "类别")]
        == "缺少单位类别：请填写以下之一：企业、个体工商户、合作社、社会组织、事业单位、其他。"
    )
    assert (errors[(10, "联系人")], errors[(10, "联系电话")]) == ("缺少联系人。", "缺少联系电话。")
    assert errors[(11, "联系电话")] == "手机号码应为以1开头的11位数字。"
    assert errors[(12, "备注")] == "内容太长：最多 200 个字。"
    assert [e["row"] for e in batch.errors if e.get("sheet")] == sorted(
        e["row"] for e in batch.errors if e.get("sheet")
    )

    page = client.get(
        reverse("households:import-preview", kwargs={"township_slug": "town-a", "batch_id": batch.pk})
    )
    text = page.content.decode()
    assert "单位 · 6" in text and "已有合作社" in text
    assert f"/import/{batch.pk}/commit/" not in text

    commit(client, a.township, batch)
    assert unit_names(a.township) == before
    assert counts(a.township) == (2, 2, 2), "the good households are not written either"


def test_a_clerk_cannot_import_units_into_a_village_they_do_not_keep(world, login, tmp_path):
    upload(login(world.a.clerk), world.a.township, workbook(tmp_path, [], [unit(village="a西村")]))
    assert set(unit_errors(latest_batch(world.a.township))) == {(2, "村")}
    assert unit_names(world.a.township) == []


def test_a_bad_household_row_keeps_the_good_units_out_too(world, login, tmp_path):
    client = login(world.a.admin)
    upload(client, world.a.township, workbook(tmp_path, [row(number="A-801", name="")], GOOD_UNITS))
    batch = latest_batch(world.a.township)
    assert batch.status == ImportStatus.FAILED and unit_errors(batch) == {}
    commit(client, world.a.township, batch)
    assert unit_names(world.a.township) == []


def test_the_units_sheet_with_a_wrong_header_is_refused_naming_the_sheet(world, login, tmp_path):
    headers = [h for h in UNIT_HEADERS if h != "联系人"] + ["老板"]
    response = upload(
        login(world.a.admin), world.a.township, workbook(tmp_path, GOOD_ROWS, [], unit_headers=headers)
    )
    assert response.status_code == 400
    errors = file_errors(response)
    assert errors[0] == "工作表“单位”：缺少这些列：联系人。"
    assert "老板" in errors[1]
    assert latest_batch(world.a.township) is None


def test_a_workbook_with_headers_and_no_rows_on_either_sheet_is_refused(world, login, tmp_path):
    response = upload(login(world.a.admin), world.a.township, workbook(tmp_path, [], []))
    assert response.status_code == 400
    assert file_errors(response) == ["文件有标题行，但下面既没有住户成员，也没有单位。"]


def test_the_commit_validates_the_units_again(world, login, tmp_path):
    client = login(world.a.admin)
    upload(client, world.a.township, workbook(tmp_path, GOOD_ROWS, GOOD_UNITS))
    batch = latest_batch(world.a.township)
    UnitFactory(village=world.a.villages[0], name="东村超市")  # added by someone else meanwhile

    commit(client, world.a.township, batch)

    batch = latest_batch(world.a.township)
    assert batch.status == ImportStatus.FAILED and set(unit_errors(batch)) == {(3, "单位名称")}
    assert unit_names(world.a.township) == ["东村超市"] and counts(world.a.township) == (2, 2, 2)


def test_a_failure_writing_a_unit_rolls_back_the_households_and_units_before_it(
    world, login, tmp_path, monkeypatch
):
    from households.units import services

    create_unit = services.create_unit

    def failing_for_the_association(*, name, **kwargs):
        if name == "西村老年协会":
            raise DomainError("This conflicts with a record saved at the same moment; reload and try again.")
        return create_unit(name=name, **kwargs)

    monkeypatch.setattr(services, "create_unit", failing_for_the_association)
    client = login(world.a.admin)
    upload(client, world.a.township, workbook(tmp_path, GOOD_ROWS, GOOD_UNITS))
    commit(client, world.a.township, latest_batch(world.a.township))

    batch = latest_batch(world.a.township)
    assert batch.status == ImportStatus.FAILED
    assert [(e["sheet"], e["row"]) for e in batch.errors] == [("单位", 4)]
    assert unit_names(world.a.township) == [] and counts(world.a.township) == (2, 2, 2)


# The template and the export ----------------------------------------------------------------------------------


def test_the_template_has_the_units_sheet_with_its_headers_a_text_column_and_the_kinds(world, login):
    response = login(world.a.clerk).get(
        reverse("households:import-template", kwargs={"township_slug": "town-a"})
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))

    assert book.sheetnames == ["花名册", "单位", "填写说明"]
    sheet = book["单位"]
    assert [cell.value for cell in sheet[1]] == UNIT_HEADERS
    assert sheet["E2"].number_format == "@" and sheet.column_dimensions["E"].number_format == "@"
    kinds = [v for v in sheet.data_validations.dataValidation if "C2" in str(v.sqref)]
    assert kinds and kinds[0].formula1 == '"企业,个体工商户,合作社,社会组织,事业单位,其他"'
    assert any("单位" in (row[0].value or "") for row in book["填写说明"].iter_rows())


def test_the_filled_in_template_imports_its_units(world, login, tmp_path):
    client = login(world.a.admin)
    template = client.get(reverse("households:import-template", kwargs={"township_slug": "town-a"})).content
    book = openpyxl.load_workbook(io.BytesIO(template))
    for index, value in enumerate(unit(name="模板合作社"), start=1):
        book["单位"].cell(row=2, column=index, value=value)
    path = tmp_path / "filled.xlsx"
    book.save(path)

    upload(client, world.a.township, path.read_bytes())

    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.unit_count) == ([], 0, 1)


def export_units(client) -> list[list]:
    response = client.get(reverse("households:roster-export", kwargs={"township_slug": "town-a"}))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["花名册", "单位"]
    return [list(values) for values in book["单位"].iter_rows(values_only=True)]


def test_the_export_carries_the_active_units_of_the_members_villages(world, login):
    UnitFactory(
        village=world.a.villages[0], name="兴农合作社", contact_name="王建国", contact_mobile="13900000001"
    )
    UnitFactory(village=world.a.villages[1], name="西村小卖部", kind="individual_business")
    UnitFactory(village=world.a.villages[0], name="停业小店", archived_at=timezone.now())

    office = export_units(login(world.a.admin))
    assert office[0] == UNIT_HEADERS
    assert [r[1] for r in office[1:]] == ["兴农合作社", "西村小卖部"]
    assert office[1] == ["a东村", "兴农合作社", "合作社", "王建国", "13900000001", None, None]
    assert [r[1] for r in export_units(login(world.a.clerk))[1:]] == ["兴农合作社"]
    assert export_units(login(world.a.supervisor))[1][4] == "139****0001"


def test_an_exported_units_sheet_imports_back_once_the_names_are_free(world, login, tmp_path):
    UnitFactory(
        village=world.a.villages[0], name="兴农合作社", contact_name="王建国", contact_mobile="13900000001"
    )
    rows = [[*r[:1], f"新{r[1]}", *r[2:]] for r in export_units(login(world.a.admin))[1:]]

    upload(
        login(world.a.admin), world.a.township, workbook(tmp_path, [], [[v or "" for v in r] for r in rows])
    )

    assert (latest_batch(world.a.township).errors, latest_batch(world.a.township).unit_count) == ([], 1)


# The command line --------------------------------------------------------------------------------------------


def test_the_import_command_checks_and_imports_the_units(world, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook(tmp_path, [], [unit(), unit(name="", mobile="1")], name="bad.xlsx"))
    with no_township_scope(), pytest.raises(CommandError):
        call_command("import_roster", str(path), township="town-a", user="a-township_admin", commit=True)
    err = capsys.readouterr().err
    assert "单位 row 3 [单位名称]" in err and "单位 row 3 [联系电话]" in err

    path.write_bytes(workbook(tmp_path, [], GOOD_UNITS, name="good.xlsx"))
    with no_township_scope():
        call_command("import_roster", str(path), township="town-a", user="a-township_admin", commit=True)
    assert "units: 3" in capsys.readouterr().out
    with dangerously_all_townships():
        assert Unit.objects.filter(township=world.a.township).count() == 3


def test_the_export_job_of_a_big_roster_carries_the_units_too(world, django_capture_on_commit_callbacks):
    from core import jobs
    from tests.contract import member

    UnitFactory(village=world.a.villages[0], name="兴农合作社")
    UnitFactory(village=world.b.villages[0], name="外镇合作社")
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_job(
            membership=member(world.a.admin),
            kind="roster_export",
            params={"membership_id": member(world.a.admin).pk},
        )
    job.refresh_from_db()
    job.file.open("rb")
    book = openpyxl.load_workbook(io.BytesIO(job.file.read()))
    assert [r[1] for r in book["单位"].iter_rows(min_row=2, values_only=True)] == ["兴农合作社"]
