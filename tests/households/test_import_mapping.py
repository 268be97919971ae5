"""Imports that meet the clerk's own sheet: one row per household, the mapping step remembered per village, every
row error in one upload, bad workbooks refused."""

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.errors import DomainError
from core.tenancy import no_township_scope, township_scope
from households.importing.services import create_batch, map_columns
from households.models import Household, ImportBatch, ImportMapping, ImportStatus, Resident
from tests.contract import member
from tests.households.test_importing import ID_LI, ID_SUN, ID_WANG, counts, latest_batch
from tests.households.test_importing import upload as upload_file

pytestmark = pytest.mark.django_db

# A clerk's own sheet: one row per household, headed as the village keeps it; 生产队 is not a synonym of anything.
OWN_HEADERS = ["户号", "村", "生产队", "户主姓名", "性别", "联系电话", "身份证号"]


def csv_bytes(headers, rows, encoding="gb18030") -> bytes:
    lines = [",".join(headers)] + [",".join(str(value) for value in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


GOOD_HOUSEHOLDS = [
    ["A-201", "a东村", "一组", "王大明", "男", "13900000001", ID_WANG],
    ["A-202", "a东村", "二组", "李秀英", "女", "13900000002", ID_LI],
    ["A-203", "a东村", "二组", "孙大娘", "女", "", ID_SUN],
]
BAD_HOUSEHOLDS = [
    ["A-201", "a东村", "一组", "王大明", "男", "1390000", ID_WANG],  # mobile too short
    ["A-202", "a东村", "二组", "李秀英", "女", "13900000002", "371425197207200221"],  # wrong check digit
    ["A-203", "a东村", "二组", "", "女", "", ID_SUN],  # no name
]


def upload(client, township, data: bytes, name="own.csv"):
    return upload_file(client, township, data, name=name)


def mapping_url(batch, slug="town-a"):
    return reverse("households:import-mapping", kwargs={"township_slug": slug, "batch_id": batch.pk})


def preview_url(batch, slug="town-a"):
    return reverse("households:import-preview", kwargs={"township_slug": slug, "batch_id": batch.pk})


def post_mapping(client, batch, **chosen):
    """Keep the batch's mapping and change the given fields: {field: header text or None}."""
    data = {key: str(position) for key, position in batch.mapping.items()}
    for key, header in chosen.items():
        data[key] = "" if header is None else str(batch.headers.index(header))
    return client.post(mapping_url(batch), data)


# Two layouts ------------------------------------------------------------------------------------------------------


def test_a_one_row_per_household_sheet_makes_each_head_the_only_resident(world, login):
    headers = ["户号", "村", "组", "户主姓名", "性别", "联系电话", "身份证号码", "家庭住址"]
    rows = [[*r[:3], r[3], r[4], r[5], r[6], "幸福路"] for r in GOOD_HOUSEHOLDS]
    client = login(world.a.clerk)
    upload(client, world.a.township, csv_bytes(headers, rows), name="户主名册.csv")
    batch = latest_batch(world.a.township)
    assert (batch.status, batch.errors, batch.column_problems) == (ImportStatus.PREVIEWED, [], [])
    assert (batch.household_count, batch.resident_count) == (3, 3)
    client.post(reverse("households:import-commit", kwargs={"township_slug": "town-a", "batch_id": batch.pk}))
    with township_scope(world.a.township):
        wang = Household.objects.get(number="A-201")
        assert [(r.name, r.is_head, r.mobile, r.id_number) for r in wang.members.all()] == [
            ("王大明", True, "13900000001", ID_WANG)
        ]
        assert (wang.area.name, wang.address) == ("一组", "幸福路")
        assert Resident.objects.filter(household__number__in=["A-202", "A-203"], is_head=True).count() == 2


def test_a_person_sheet_may_say_who_is_head_by_relation_or_by_the_heads_name(world, login):
    headers = ["户编号", "所在村", "村民小组", "户主", "姓名", "与户主关系", "出生年月", "政治面貌"]
    rows = [
        ["A-301", "a东村", "一组", "王大明", "王大明", "户主", "1970.03", "中共党员"],
        ["A-301", "a东村", "一组", "王大明", "李秀英", "妻", "1972年7月", "群众"],
        ["A-302", "a东村", "一组", "赵刚", "赵刚", "本人", "198005", "预备党员"],
    ]
    upload(login(world.a.clerk), world.a.township, csv_bytes(headers, rows))
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.column_problems) == ([], [])
    assert (batch.household_count, batch.resident_count) == (2, 3)

    without_relation = [[*r[:5], *r[6:]] for r in rows]
    headers = [h for h in headers if h != "与户主关系"]  # 姓名 = 户主 tells the head
    upload(login(world.a.clerk), world.a.township, csv_bytes(headers, without_relation, "utf-8"))
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.resident_count) == ([], 2, 3)


def test_two_rows_of_one_household_in_the_household_layout_are_an_error(world, login):
    rows = [GOOD_HOUSEHOLDS[0], ["A-201", *GOOD_HOUSEHOLDS[1][1:]]]
    headers = ["户号", "村", "组", "户主姓名", "性别", "联系电话", "身份证号"]
    upload(login(world.a.clerk), world.a.township, csv_bytes(headers, rows))
    errors = latest_batch(world.a.township).errors
    assert {"row": 3, "column": "户号", "message": "第 2 行已有相同的户号。"} in errors


# The mapping step -------------------------------------------------------------------------------------------------


def test_an_unknown_column_is_mapped_on_the_page_and_every_row_error_shows_in_the_same_upload(world, login):
    client = login(world.a.clerk)
    assert upload(client, world.a.township, csv_bytes(OWN_HEADERS, BAD_HOUSEHOLDS)).status_code == 302
    batch = latest_batch(world.a.township)
    assert batch.status == ImportStatus.FAILED
    assert batch.column_problems == ["请选择这些字段所在的列：片区。"]
    # Every row's mistake is already listed although the area's column is unknown.
    assert {(e["row"], e["column"]) for e in batch.errors} == {
        (2, "联系电话"),
        (3, "身份证号"),
        (4, "户主姓名"),
    }
    page = client.get(preview_url(batch)).content.decode()
    assert "请选择这些字段所在的列：片区。" in page and 'name="area"' in page and "生产队" in page

    response = post_mapping(client, batch, area="生产队")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.column_problems == [] and batch.columns["area"] == "生产队"
    assert {(e["row"], e["column"]) for e in batch.errors} == {
        (2, "联系电话"),
        (3, "身份证号"),
        (4, "户主姓名"),
    }
    assert batch.rows[0]["cells"]["area"] == "一组"
    with township_scope(world.a.township):
        remembered = ImportMapping.objects.get()
    assert (remembered.village, remembered.saved_by) == (world.a.villages[0], world.a.clerk)
    assert counts(world.a.township) == (2, 2, 2), "nothing is written before the commit"

    # The corrected file: the mapping is applied without asking, and the preview says so.
    upload(client, world.a.township, csv_bytes(OWN_HEADERS, GOOD_HOUSEHOLDS, "utf-8"))
    fixed = latest_batch(world.a.township)
    assert fixed.pk != batch.pk and fixed.applied_mapping == remembered
    assert (fixed.status, fixed.errors, fixed.column_problems) == (ImportStatus.PREVIEWED, [], [])
    assert "这个文件的列与" in client.get(preview_url(fixed)).content.decode()
    client.post(reverse("households:import-commit", kwargs={"township_slug": "town-a", "batch_id": fixed.pk}))
    assert counts(world.a.township) == (5, 5, 3)


def test_a_remembered_mapping_belongs_to_its_village(world, login):
    admin = login(world.a.admin)
    upload(admin, world.a.township, csv_bytes(OWN_HEADERS, GOOD_HOUSEHOLDS))
    post_mapping(admin, latest_batch(world.a.township), area="生产队")
    west = [[r[0].replace("A-2", "A-4"), "a西村", *r[2:6], ""] for r in GOOD_HOUSEHOLDS]
    upload(admin, world.a.township, csv_bytes(OWN_HEADERS, west))
    batch = latest_batch(world.a.township)
    assert batch.applied_mapping is None and batch.column_problems == ["请选择这些字段所在的列：片区。"]


def test_a_mapping_that_puts_one_column_in_two_fields_is_refused_and_changes_nothing(world, login):
    client = login(world.a.clerk)
    upload(client, world.a.township, csv_bytes(OWN_HEADERS, GOOD_HOUSEHOLDS))
    batch = latest_batch(world.a.township)
    response = post_mapping(client, batch, area="生产队", address="生产队")
    assert response.status_code == 400
    page = response.content.decode()
    assert "一列只能对应一个字段" in page and "“生产队”同时被选为“片区”和“住址”" in page
    with township_scope(world.a.township):
        assert ImportBatch.objects.get(pk=batch.pk).mapping == batch.mapping
        assert not ImportMapping.objects.exists()


def test_the_mapping_service_refuses_one_column_for_two_fields(world):
    clerk = member(world.a.clerk)
    with township_scope(world.a.township):
        batch = create_batch(
            membership=clerk, filename="own.csv", data=csv_bytes(OWN_HEADERS, GOOD_HOUSEHOLDS)
        )
        with pytest.raises(DomainError, match="一列只能对应一个字段"):
            map_columns(membership=clerk, batch=batch, fields={"number": 0, "village": 0})
        assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.FAILED


def test_two_headers_for_one_field_ask_which_column_to_use(world, login):
    headers = ["户号", "村", "组", "户主姓名", "手机号码", "联系电话"]
    rows = [["A-201", "a东村", "一组", "王大明", "13900000001", "0531-1234567"]]
    client = login(world.a.clerk)
    upload(client, world.a.township, csv_bytes(headers, rows))
    batch = latest_batch(world.a.township)
    assert batch.status == ImportStatus.FAILED and batch.columns["mobile"] == "手机号码"
    assert "联系电话" in batch.column_problems[0]
    post_mapping(client, batch)  # the clerk confirms 手机号码
    batch.refresh_from_db()
    assert (batch.status, batch.column_problems) == (ImportStatus.PREVIEWED, [])


def test_a_file_without_a_village_column_takes_the_village_chosen_on_upload(world, login):
    headers = ["户号", "组", "户主姓名"]
    client = login(world.a.clerk)
    url = reverse("households:import-start", kwargs={"township_slug": "town-a"})
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = csv_bytes(headers, [["A-501", "三组", "周强"]])
    client.post(url, {"file": SimpleUploadedFile("v.csv", data), "village": world.a.villages[0].pk})
    batch = latest_batch(world.a.township)
    assert (batch.village, batch.errors, batch.column_problems) == (world.a.villages[0], [], [])
    assert batch.new_areas == ["a东村 / 三组"]
    # A village the clerk does not keep is not offered.
    response = client.post(
        url, {"file": SimpleUploadedFile("v.csv", data), "village": world.a.villages[1].pk}
    )
    assert response.status_code == 400 and latest_batch(world.a.township) == batch


# Isolation --------------------------------------------------------------------------------------------------------


def test_a_clerk_of_another_township_cannot_see_map_or_commit_a_batch(world, login):
    upload(login(world.a.clerk), world.a.township, csv_bytes(OWN_HEADERS, GOOD_HOUSEHOLDS))
    batch = latest_batch(world.a.township)
    outsider = login(world.b.clerk)
    for slug in ("town-a", "town-b"):
        kwargs = {"township_slug": slug, "batch_id": batch.pk}
        assert outsider.get(reverse("households:import-preview", kwargs=kwargs)).status_code == 404
        response = outsider.post(reverse("households:import-mapping", kwargs=kwargs), {"area": "2"})
        assert response.status_code == 404
        assert outsider.post(reverse("households:import-commit", kwargs=kwargs)).status_code == 404
    with township_scope(world.a.township):
        assert ImportBatch.objects.get(pk=batch.pk).mapping == batch.mapping
        assert not ImportMapping.objects.exists()


def test_another_clerks_batch_cannot_be_mapped(world):
    with township_scope(world.a.township):
        batch = create_batch(
            membership=member(world.a.admin), filename="own.csv", data=csv_bytes(OWN_HEADERS, GOOD_HOUSEHOLDS)
        )
        with pytest.raises(PermissionDenied):
            map_columns(membership=member(world.a.clerk), batch=batch, fields={"area": 2})
    with no_township_scope(), township_scope(world.a.township):
        assert not ImportMapping.objects.exists()


# Workbooks Jifen cannot read faithfully ----------------------------------------------------------------------------


def workbook_bytes(tmp_path, build) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["户号", "村", "组", "户主姓名"])
    sheet.append(["A-201", "a东村", "一组", "王大明"])
    sheet.append(["A-202", "a东村", "一组", "李秀英"])
    build(sheet)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path.read_bytes()


def file_errors(response) -> str:
    return " ".join(str(e) for e in response.context["form"].errors["file"])


def test_a_workbook_with_formulas_is_refused_naming_the_cells(world, login, tmp_path):
    def formulas(sheet):
        sheet["A3"] = '="A-"&"202"'
        sheet["D4"] = "=D2"
        sheet.append(["A-203", "a东村", "一组", None])

    response = upload(login(world.a.clerk), world.a.township, workbook_bytes(tmp_path, formulas), "book.xlsx")
    assert response.status_code == 400
    errors = file_errors(response)
    assert "公式" in errors and "A3、D4" in errors and "选择性粘贴" in errors
    assert latest_batch(world.a.township) is None and counts(world.a.township) == (2, 2, 2)


def test_a_workbook_with_merged_cells_is_refused_naming_them(world, login, tmp_path):
    response = upload(
        login(world.a.clerk),
        world.a.township,
        workbook_bytes(tmp_path, lambda s: s.merge_cells("B2:B3")),
        "b.xlsx",
    )
    assert response.status_code == 400
    errors = file_errors(response)
    assert "合并单元格" in errors and "B2:B3" in errors
    assert latest_batch(world.a.township) is None and counts(world.a.township) == (2, 2, 2)


def test_a_column_headed_head_that_holds_yes_or_no_says_who_is_head(world, login):
    headers = ["户号", "村", "组", "姓名", "户主"]
    rows = [["A-601", "a东村", "一组", "王大明", "是"], ["A-601", "a东村", "一组", "李秀英", "否"]]
    upload(login(world.a.clerk), world.a.township, csv_bytes(headers, rows))
    batch = latest_batch(world.a.township)
    assert batch.columns["is_head"] == "户主" and "head_name" not in batch.columns
    assert (batch.errors, batch.household_count, batch.resident_count) == ([], 1, 2)


def test_the_export_row_of_a_household_without_members_imports_back_unchanged(world, login):
    with township_scope(world.a.township):
        Resident.objects.filter(household=world.a.households[1]).delete()
    client = login(world.a.admin)
    response = client.get(reverse("households:roster-export", kwargs={"township_slug": "town-a"}))
    upload(client, world.a.township, response.content, name="export.xlsx")
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.unchanged_count) == ([], 0, 2)


def test_a_retired_village_or_area_takes_no_household_from_a_file(world, login):
    from django.utils import timezone

    from households.models import Area, Village

    headers = ["户号", "村", "组", "户主姓名", "性别", "联系电话", "身份证号码"]
    with township_scope(world.a.township):
        Area.objects.create(
            township=world.a.township, village=world.a.villages[0], name="旧组", retired_at=timezone.now()
        )
        Village.objects.create(township=world.a.township, name="旧村", retired_at=timezone.now())
    rows = [
        ["A-301", "a东村", "旧组", "王大明", "男", "13900000001", ID_WANG],
        ["A-302", "旧村", "一组", "李秀英", "女", "13900000002", ID_LI],
    ]
    client = login(world.a.admin)
    upload(client, world.a.township, csv_bytes(headers, rows), name="名册.csv")
    batch = latest_batch(world.a.township)
    messages = {(error["row"], error["message"]) for error in batch.errors}
    assert (2, "旧组已撤销：请把这些农户放到取代它的村或片区，或先恢复它。") in messages
    assert (3, "旧村已撤销：请把这些农户放到取代它的村或片区，或先恢复它。") in messages
