"""Roster import and export with real .xlsx and .csv files: every bad row reported, nothing written when any is bad."""

import io
import zipfile

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import DomainError
from core.tenancy import no_township_scope, township_scope
from households.importing.services import commit_batch, create_batch
from households.models import Area, Household, ImportBatch, ImportStatus, Participation, Resident, Role
from tests.contract import member
from tests.factories import HouseholdFactory, MembershipFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "村",
    "片区",
    "户号",
    "住址",
    "参与状态",
    "参与状态说明",
    "姓名",
    "是否户主",
    "性别",
    "出生年份",
    "身份证号码",
    "手机号码",
    "是否党员",
]
KNOWN_ID = "11010519491231002X"  # 张三明 of both townships in the `world` fixture


def id_number(region: str, birth: str, sequence: str) -> str:
    """A valid GB 11643 ID number: the check character from the weighted sum of the first 17 digits."""
    body = region + birth + sequence
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


ID_WANG = id_number("371425", "19700315", "011")
ID_LI = id_number("371425", "19720720", "022")
ID_SUN = id_number("371425", "19400101", "033")


def test_the_check_character_helper_matches_a_known_valid_number():
    assert id_number("110105", "19491231", "002") == KNOWN_ID


def row(
    village="a东村",
    area="一组",
    number="A-101",
    address="",
    participation="",
    reason="",
    name="王大明",
    head="是",
    gender="",
    birth="",
    id_no="",
    mobile="",
    party="否",
):
    return [
        village,
        area,
        number,
        address,
        participation,
        reason,
        name,
        head,
        gender,
        birth,
        id_no,
        mobile,
        party,
    ]


GOOD_ROWS = [
    row(
        number="A-101",
        address="幸福路1号",
        participation="参与",
        name="王大明",
        head="是",
        gender="男",
        birth=1970,
        id_no=ID_WANG,
        mobile="13900000001",
        party="是",
    ),
    row(
        number="A-101",
        address="幸福路1号",
        participation="参与",
        name="李秀英",
        head="否",
        gender="女",
        birth=1972,
        id_no=ID_LI,
    ),
    row(
        area="二组",
        number="A-102",
        address="幸福路2号",
        participation="自愿退出",
        reason="外出务工",
        name="赵刚",
        gender="男",
        birth=1980,
    ),
    row(
        village="a西村",
        number="A-103",
        participation="老年户自愿参与",
        name="孙老汉",
        gender="男",
        birth=1940,
        id_no=ID_SUN,
        party="是",
    ),
    row(village="a西村", number="A-103", name="孙大娘", head="否", gender="女", birth="1942"),
]  # 3 households, 5 residents, 1 new area (a东村 / 二组)


def xlsx(tmp_path, rows, headers=HEADERS, name="roster.xlsx", title=None) -> bytes:
    """Write a real workbook to disk with openpyxl and return its bytes, as a clerk's upload."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    path = tmp_path / name
    workbook.save(path)
    return path.read_bytes()


def upload(client, township, data: bytes, name="roster.xlsx"):
    url = reverse("households:import-start", kwargs={"township_slug": township.slug})
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def latest_batch(township) -> ImportBatch:
    with township_scope(township):
        return ImportBatch.objects.order_by("-id").first()


def commit(client, township, batch):
    url = reverse("households:import-commit", kwargs={"township_slug": township.slug, "batch_id": batch.pk})
    return client.post(url)


def counts(township) -> tuple[int, int, int]:
    with no_township_scope(), township_scope(township):
        return Household.objects.count(), Resident.objects.count(), Area.objects.count()


def error_cells(batch) -> set[tuple[int, str]]:
    return {(error["row"], error["column"]) for error in batch.errors}


# A good file ---------------------------------------------------------------------------------------------------


def test_a_good_file_is_previewed_then_imported_with_every_household_and_resident(world, login, tmp_path):
    a = world.a
    client = login(a.admin)
    response = upload(client, a.township, xlsx(tmp_path, GOOD_ROWS))
    batch = latest_batch(a.township)
    assert response.status_code == 302
    assert response.url == reverse(
        "households:import-preview", kwargs={"township_slug": "town-a", "batch_id": batch.pk}
    )
    assert (batch.status, batch.household_count, batch.resident_count) == (ImportStatus.PREVIEWED, 3, 5)
    assert batch.new_areas == ["a东村 / 二组"]
    assert batch.errors == []
    assert counts(a.township) == (2, 2, 2), "the preview writes nothing"

    preview = client.get(response.url)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert f"/import/{batch.pk}/commit/" in page
    assert "王大明" in page and "孙大娘" in page and "a东村 / 二组" in page
    assert ID_WANG not in page and ID_WANG[:6] + "********" + ID_WANG[-4:] in page, (
        "ID numbers are masked on screen"
    )

    response = commit(client, a.township, batch)
    assert response.status_code == 302
    assert response.url == reverse("households:household-list", kwargs={"township_slug": "town-a"})
    assert counts(a.township) == (5, 7, 3)
    with township_scope(a.township):
        wang = Resident.objects.select_related("household__area", "household__village").get(name="王大明")
        assert wang.is_head and wang.id_number == ID_WANG and wang.mobile == "13900000001"
        assert (wang.gender, wang.birth_year, wang.is_party_member) == ("male", 1970, True)
        assert (wang.household.number, wang.household.address, wang.household.area.name) == (
            "A-101",
            "幸福路1号",
            "一组",
        )
        assert [r.name for r in wang.household.members.order_by("-is_head", "id")] == ["王大明", "李秀英"]
        zhao = Household.objects.get(number="A-102")
        assert (zhao.participation, zhao.participation_reason, zhao.area.name) == (
            Participation.OPTED_OUT,
            "外出务工",
            "二组",
        )
        sun = Household.objects.get(number="A-103")
        assert sun.participation == Participation.ELDERLY_OPTED_IN and sun.village.name == "a西村"
        assert Resident.objects.get(name="孙大娘").birth_year == 1942
        assert wang.history.first().history_user == a.admin, "the importing user is in the audit trail"
        assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.COMMITTED
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "已导入 3 户、5 名家庭成员。" in messages
    assert counts(world.b.township) == (2, 2, 2)


def test_english_headers_are_accepted_as_aliases(world, login, tmp_path):
    english = [
        "Village",
        "Area",
        "Household number",
        "Address",
        "Participation",
        "Participation reason",
        "Name",
        "Head of household",
        "Gender",
        "Birth year",
        "ID number",
        "Mobile number",
        "Party member",
    ]
    data = xlsx(
        tmp_path,
        [row(number="A-150", participation="taking part", head="yes", gender="male")],
        headers=english,
    )
    upload(login(world.a.admin), world.a.township, data)
    batch = latest_batch(world.a.township)
    assert (batch.status, batch.household_count, batch.errors) == (ImportStatus.PREVIEWED, 1, [])


def test_a_title_row_above_the_header_is_skipped_and_row_numbers_stay_those_of_excel(world, login, tmp_path):
    data = xlsx(tmp_path, [row(number="A-160"), row(number="A-161", name="")], title="a东村农户花名册")
    upload(login(world.a.admin), world.a.township, data)
    batch = latest_batch(world.a.township)
    assert error_cells(batch) == {(4, "姓名")}  # title on row 1, header on row 2, data from row 3


# Bad rows: all reported, nothing written -----------------------------------------------------------------------


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_written(world, login, tmp_path):
    a = world.a
    rows = [
        row(number="A-201", address="东街1号", name="周一"),  # row 2: fine
        row(number="A-201", address="东街1号", name="", head="否"),  # row 3: no name
        row(
            village="不存在村", number="A-202", name="吴二", gender="公"
        ),  # row 4: unknown village, bad gender
        row(
            number="A-203", name="郑三", head="否", birth=1850
        ),  # row 5: household without head, implausible year
        row(
            number="A-204", name="王四", id_no="110105194912310021", mobile="1380013800"
        ),  # row 6: check char, mobile
        row(
            number="A-204", name="王五", participation="自愿退出"
        ),  # row 7: second head; opted out without reason
        row(number="A-201", address="西街9号", name="周六", head="否"),  # row 8: address differs from row 2
    ]
    client = login(a.admin)
    response = upload(client, a.township, xlsx(tmp_path, rows))
    batch = latest_batch(a.township)
    assert response.status_code == 302
    assert batch.status == ImportStatus.FAILED
    assert error_cells(batch) == {
        (3, "姓名"),
        (4, "村"),
        (4, "性别"),
        (5, "是否户主"),
        (5, "出生年份"),
        (6, "身份证号码"),
        (6, "手机号码"),
        (7, "是否户主"),
        (7, "参与状态说明"),
        (8, "住址"),
    }
    assert [e["row"] for e in batch.errors] == sorted(e["row"] for e in batch.errors)
    by_cell = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert "不存在村" in by_cell[(4, "村")]
    assert "A-204" in by_cell[(7, "是否户主")] and "6" in by_cell[(7, "是否户主")]
    assert "2" in by_cell[(8, "住址")]

    page = client.get(
        reverse("households:import-preview", kwargs={"township_slug": "town-a", "batch_id": batch.pk})
    )
    text = page.content.decode()
    assert f"/import/{batch.pk}/commit/" not in text, "no commit button when there are errors"
    assert "不存在村" in text and "周六" not in text

    response = commit(client, a.township, batch)
    assert counts(a.township) == (2, 2, 2)
    assert latest_batch(a.township).status == ImportStatus.FAILED
    assert any("错误" in str(m) or "error" in str(m) for m in get_messages(response.wsgi_request))


def test_errors_are_explained_in_chinese(world, login, tmp_path):
    rows = [row(number="A-001", name="")]
    upload(login(world.a.admin), world.a.township, xlsx(tmp_path, rows))
    messages = {e["column"]: e["message"] for e in latest_batch(world.a.township).errors}
    assert messages["姓名"] == "缺少姓名。"
    assert messages["户号"].startswith("户号 A-001 已在积分系统中，文件中以下内容与系统不同：")
    assert "姓名" in messages["户号"] and "导入只新增农户" in messages["户号"]


def test_a_clerk_cannot_import_into_a_village_they_do_not_keep(world, login, tmp_path):
    rows = [row(village="a西村", number="A-301")]  # the clerk keeps a东村 only
    upload(login(world.a.clerk), world.a.township, xlsx(tmp_path, rows))
    batch = latest_batch(world.a.township)
    assert error_cells(batch) == {(2, "村")}
    assert counts(world.a.township) == (2, 2, 2)


def test_data_under_a_column_without_header_is_reported_not_dropped(world, login, tmp_path):
    upload(login(world.a.admin), world.a.township, xlsx(tmp_path, [row(number="A-170") + ["", "备注"]]))
    assert error_cells(latest_batch(world.a.township)) == {(2, "O")}


# Duplicates ----------------------------------------------------------------------------------------------------


def test_duplicates_in_the_file_and_against_the_township_are_errors(world, login, tmp_path):
    a, b = world.a, world.b
    only_in_b = id_number("371425", "19850505", "044")
    ResidentFactory(household=b.households[0], name="外镇人", id_number=only_in_b)
    rows = [
        row(number="A-001", name="重号户"),  # row 2: household number exists in A
        row(number="A-401", name="甲", id_no=KNOWN_ID),  # row 3: ID already registered in A
        row(number="A-402", name="乙", id_no=ID_WANG),  # row 4
        row(number="A-402", name="丙", head="否", id_no=ID_WANG.lower()),  # row 5: same ID as row 4
        row(number="A-403", name="丁", id_no=only_in_b),  # row 6: only in township B: fine here
    ]
    upload(login(a.admin), a.township, xlsx(tmp_path, rows))
    batch = latest_batch(a.township)
    assert error_cells(batch) == {(2, "户号"), (3, "身份证号码"), (5, "身份证号码")}
    by_cell = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert "A-001" in by_cell[(2, "户号")]
    assert "4" in by_cell[(5, "身份证号码")]
    assert counts(a.township) == (2, 2, 2)


# ID numbers Excel turned into numbers ---------------------------------------------------------------------------


def test_id_numbers_stored_as_excel_numbers_are_rejected_not_truncated(world, login, tmp_path):
    rows = [
        row(number="A-501", name="整数", id_no=371425198001011234),  # typed into a General cell
        row(number="A-502", name="浮点", id_no=3.71425e17),  # what Excel shows as 3.71425E+17
    ]
    upload(login(world.a.admin), world.a.township, xlsx(tmp_path, rows))
    batch = latest_batch(world.a.township)
    assert error_cells(batch) == {(2, "身份证号码"), (3, "身份证号码")}
    messages = [e["message"] for e in batch.errors]
    assert all("Excel" in m and "文本" in m for m in messages), messages
    assert "3.71425E+17" in messages[1]
    assert counts(world.a.township) == (2, 2, 2)


def test_an_id_number_in_scientific_notation_in_a_csv_is_rejected(world, login):
    text = ",".join(HEADERS) + "\n" + "a东村,一组,A-510,,,,科学,是,,,3.71425E+17,,否\n"
    upload(login(world.a.admin), world.a.township, text.encode("utf-8"), name="roster.csv")
    batch = latest_batch(world.a.township)
    assert error_cells(batch) == {(2, "身份证号码")}
    assert "3.71425E+17" in batch.errors[0]["message"]


# Whole-file problems: nothing stored, the form says why ---------------------------------------------------------


def file_errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].errors["file"]]


def test_a_missing_column_is_left_to_the_mapping_step_and_a_synonym_is_recognised(world, login, tmp_path):
    headers = [h for h in HEADERS if h != "姓名"]
    headers[headers.index("身份证号码")] = "身份证"
    values = [v for i, v in enumerate(row(number="A-901", id_no=ID_WANG)) if i != HEADERS.index("姓名")]
    response = upload(login(world.a.admin), world.a.township, xlsx(tmp_path, [values], headers=headers))
    assert response.status_code == 302
    batch = latest_batch(world.a.township)
    assert (batch.status, batch.column_problems) == (ImportStatus.FAILED, ["请选择这些字段所在的列：姓名。"])
    assert batch.columns["id_number"] == "身份证" and batch.rows[0]["cells"]["id_number"] == ID_WANG
    assert counts(world.a.township) == (2, 2, 2)


def test_an_empty_file_is_refused(world, login):
    response = upload(login(world.a.admin), world.a.township, b"")
    assert response.status_code == 400
    assert latest_batch(world.a.township) is None


def test_a_workbook_with_a_header_and_no_rows_is_refused(world, login, tmp_path):
    response = upload(login(world.a.admin), world.a.township, xlsx(tmp_path, []))
    assert response.status_code == 400
    assert file_errors(response) == ["文件有标题行（第1行），但下面没有住户成员。"]
    assert latest_batch(world.a.township) is None


def test_a_file_that_is_not_excel_but_named_xlsx_is_refused_in_words_a_clerk_understands(world, login):
    client = login(world.a.admin)
    response = upload(client, world.a.township, "村,片区\n这不是Excel".encode())
    assert response.status_code == 400
    assert ".xlsx" in file_errors(response)[0]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "a zip, not a workbook")
    response = upload(client, world.a.township, zipped.getvalue())
    assert response.status_code == 400
    assert ".xlsx" in file_errors(response)[0]
    assert latest_batch(world.a.township) is None


def test_an_old_xls_file_is_refused_with_the_advice_to_save_as_xlsx(world, login):
    response = upload(
        login(world.a.admin),
        world.a.township,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
        name="roster.xls",
    )
    assert response.status_code == 400
    assert ".xls" in file_errors(response)[0]


def test_a_file_too_large_or_with_too_many_rows_is_refused(world, login, tmp_path, settings):
    client = login(world.a.admin)
    data = xlsx(tmp_path, [row(number=f"A-6{i:02d}") for i in range(4)])
    settings.JIFEN_IMPORT_MAX_ROWS = 3
    response = upload(client, world.a.township, data)
    assert response.status_code == 400 and "3" in file_errors(response)[0]
    settings.JIFEN_IMPORT_MAX_ROWS = 4
    assert upload(client, world.a.township, data).status_code == 302
    settings.JIFEN_IMPORT_MAX_BYTES = len(data) - 1
    response = upload(client, world.a.township, data)
    assert response.status_code == 400
    assert ImportBatch.objects.count() == 1


# CSV -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_a_csv_file_in_gb18030_or_utf8_is_imported_with_its_chinese_intact(world, login, encoding):
    lines = [
        ",".join(HEADERS),
        f"a东村,一组,A-701,柳树沟3号,参与,,欧阳娜娜,是,女,1990,{ID_LI},13900000002,否",
    ]
    data = "\r\n".join(lines).encode(encoding)
    client = login(world.a.admin)
    upload(client, world.a.township, data, name="花名册.csv")
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count) == ([], 1)
    commit(client, world.a.township, batch)
    with township_scope(world.a.township):
        household = Household.objects.get(number="A-701")
        assert household.address == "柳树沟3号"
        assert household.members.get().name == "欧阳娜娜"


def test_gb18030_is_really_what_the_clerks_file_holds():
    data = "欧阳娜娜".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


# Commit --------------------------------------------------------------------------------------------------------


def test_committing_twice_imports_once(world, login, tmp_path):
    client = login(world.a.admin)
    upload(client, world.a.township, xlsx(tmp_path, GOOD_ROWS))
    batch = latest_batch(world.a.township)
    commit(client, world.a.township, batch)
    response = commit(client, world.a.township, batch)
    assert response.status_code == 302
    assert counts(world.a.township) == (5, 7, 3)
    assert any("已经导入" in str(m) for m in get_messages(response.wsgi_request))
    with no_township_scope(), township_scope(world.a.township), pytest.raises(DomainError):
        commit_batch(membership=world.a.admin.memberships.get(), batch=batch)


def test_the_commit_validates_again_and_writes_nothing_when_the_roster_changed(world, login, tmp_path):
    client = login(world.a.admin)
    upload(client, world.a.township, xlsx(tmp_path, GOOD_ROWS))
    batch = latest_batch(world.a.township)
    HouseholdFactory(area=world.a.areas[1], number="A-103")  # someone added it after the preview
    commit(client, world.a.township, batch)
    batch = latest_batch(world.a.township)
    assert batch.status == ImportStatus.FAILED
    assert error_cells(batch) == {(5, "户号")}
    assert counts(world.a.township) == (3, 2, 2), (
        "not even the households that were still fine, nor the new area"
    )


def test_the_commit_warns_about_areas_above_the_recommended_size(world, login, tmp_path, settings):
    settings.JIFEN_AREA_SOFT_LIMIT = 2
    client = login(world.a.admin)
    upload(client, world.a.township, xlsx(tmp_path, [row(number="A-801"), row(number="A-802")]))
    response = commit(client, world.a.township, latest_batch(world.a.township))
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == 1 and "一组" in warnings[0] and "3" in warnings[0]


def test_the_template_has_the_chinese_headers_and_text_columns_for_long_numbers(world, login):
    response = login(world.a.clerk).get(
        reverse("households:import-template", kwargs={"township_slug": "town-a"})
    )
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADERS
    for letter in ("C", "K", "L"):  # 户号, 身份证号码, 手机号码
        assert sheet[f"{letter}2"].number_format == "@"
        assert sheet.column_dimensions[letter].number_format == "@"
    assert sheet["A2"].number_format == "General"


def test_the_filled_in_template_imports(world, login, tmp_path):
    client = login(world.a.admin)
    template = client.get(reverse("households:import-template", kwargs={"township_slug": "town-a"})).content
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    for index, value in enumerate(row(number="A-901", id_no=ID_SUN), start=1):
        sheet.cell(row=2, column=index, value=value)
    path = tmp_path / "filled.xlsx"
    workbook.save(path)
    upload(client, world.a.township, path.read_bytes())
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.resident_count) == ([], 1, 1)


# Who may import: three users per case, and other townships ------------------------------------------------------


def test_read_only_members_get_403_on_upload_and_nothing_is_stored(world, login, tmp_path):
    data = xlsx(tmp_path, GOOD_ROWS)
    for user in (world.a.supervisor, world.a.panel, world.a.county):
        client = login(user)
        assert (
            client.get(reverse("households:import-start", kwargs={"township_slug": "town-a"})).status_code
            == 403
        )
        assert upload(client, world.a.township, data).status_code == 403
    assert ImportBatch.objects.count() == 0
    assert counts(world.a.township) == (2, 2, 2)


def test_a_member_of_another_township_gets_404_for_its_import_pages_and_batches(world, login, tmp_path):
    upload(login(world.a.admin), world.a.township, xlsx(tmp_path, GOOD_ROWS))
    batch = latest_batch(world.a.township)
    outsider = login(world.b.admin)
    for slug in ("town-a", "town-b"):
        kwargs = {"township_slug": slug, "batch_id": batch.pk}
        assert outsider.get(reverse("households:import-preview", kwargs=kwargs)).status_code == 404
        assert outsider.post(reverse("households:import-commit", kwargs=kwargs)).status_code == 404
    assert (
        outsider.get(reverse("households:import-start", kwargs={"township_slug": "town-a"})).status_code
        == 404
    )
    assert upload(outsider, world.a.township, xlsx(tmp_path, GOOD_ROWS, name="again.xlsx")).status_code == 404
    assert (
        outsider.get(reverse("households:import-template", kwargs={"township_slug": "town-a"})).status_code
        == 404
    )
    assert (
        outsider.get(reverse("households:roster-export", kwargs={"township_slug": "town-a"})).status_code
        == 404
    )
    assert latest_batch(world.a.township).status == ImportStatus.PREVIEWED
    assert ImportBatch.objects.count() == 1
    assert counts(world.a.township) == (2, 2, 2)
    assert counts(world.b.township) == (2, 2, 2)


def test_a_clerk_sees_only_their_own_uploads(world, login, tmp_path):
    upload(login(world.a.admin), world.a.township, xlsx(tmp_path, GOOD_ROWS))
    batch = latest_batch(world.a.township)
    clerk = login(world.a.clerk)
    kwargs = {"township_slug": "town-a", "batch_id": batch.pk}
    assert clerk.get(reverse("households:import-preview", kwargs=kwargs)).status_code == 404
    assert clerk.post(reverse("households:import-commit", kwargs=kwargs)).status_code == 404
    start = clerk.get(reverse("households:import-start", kwargs={"township_slug": "town-a"}))
    assert "roster.xlsx" not in start.content.decode()
    assert counts(world.a.township) == (2, 2, 2)


def test_a_clerk_commits_their_own_upload_into_their_village(world, login, tmp_path):
    client = login(world.a.clerk)
    upload(client, world.a.township, xlsx(tmp_path, [row(number="A-301"), row(area="二组", number="A-302")]))
    response = commit(client, world.a.township, latest_batch(world.a.township))
    assert response.status_code == 302
    assert latest_batch(world.a.township).status == ImportStatus.COMMITTED
    assert counts(world.a.township) == (4, 4, 3)  # two households with their heads, and the new area 二组


def test_the_commit_service_refuses_another_clerks_upload_and_writes_nothing(world, tmp_path):
    other_clerk = UserFactory(username="a-clerk-2")
    MembershipFactory(
        user=other_clerk, township=world.a.township, role=Role.VILLAGE_CLERK, villages=world.a.villages
    )
    with no_township_scope(), township_scope(world.a.township):
        batch = create_batch(
            membership=member(world.a.clerk), filename="roster.xlsx", data=xlsx(tmp_path, [row()])
        )
        with pytest.raises(PermissionDenied):
            commit_batch(membership=member(other_clerk), batch=batch)
    assert latest_batch(world.a.township).status == ImportStatus.PREVIEWED
    assert counts(world.a.township) == (2, 2, 2)


def test_commit_is_post_only(world, login, tmp_path):
    client = login(world.a.admin)
    upload(client, world.a.township, xlsx(tmp_path, GOOD_ROWS))
    kwargs = {"township_slug": "town-a", "batch_id": latest_batch(world.a.township).pk}
    assert client.get(reverse("households:import-commit", kwargs=kwargs)).status_code == 405
    assert counts(world.a.township) == (2, 2, 2)


def test_a_huge_batch_id_is_a_404_not_a_500(world, login):
    url = f"/t/town-a/import/{10**30}/"
    assert login(world.a.admin).get(url).status_code == 404


# Export --------------------------------------------------------------------------------------------------------


def export(client, slug="town-a"):
    response = client.get(reverse("households:roster-export", kwargs={"township_slug": slug}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(values) for values in sheet.iter_rows(values_only=True)]


def test_the_export_has_the_template_headers_and_full_numbers_for_the_township_office(world, login):
    rows = export(login(world.a.admin))
    assert rows[0] == HEADERS
    assert [r[2] for r in rows[1:]] == ["A-001", "A-002"]
    zhang = next(r for r in rows if r[6] == "张三明")
    assert zhang[:3] == ["a东村", "一组", "A-001"]
    assert (zhang[4], zhang[7], zhang[10], zhang[11]) == ("参与", "是", KNOWN_ID, "13800138000")


def test_read_only_roles_get_masked_numbers_in_the_export(world, login):
    for user in (world.a.supervisor,):  # county viewers get no household rows (tests/oversight)
        zhang = next(r for r in export(login(user)) if r[6] == "张三明")
        assert (zhang[10], zhang[11]) == ("110105********002X", "138****8000")


def test_a_clerk_exports_only_their_villages(world, login):
    rows = export(login(world.a.clerk))
    assert [r[2] for r in rows[1:]] == ["A-001"]


def test_an_export_imports_back_once_the_households_are_gone_from_the_numbers(world, login, tmp_path):
    rows = export(login(world.a.admin))
    renumbered = [[*r[:2], r[2].replace("A-", "R-"), *r[3:10], "", *r[11:]] for r in rows[1:]]
    upload(login(world.a.admin), world.a.township, xlsx(tmp_path, renumbered))
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.resident_count) == ([], 2, 2)


def test_the_export_makes_the_same_number_of_queries_for_2_or_10_households(world, login):
    client = login(world.a.admin)
    with CaptureQueriesContext(connection) as two:
        assert len(export(client)) == 3
    for i in range(8):
        household = HouseholdFactory(area=world.a.areas[i % 2], number=f"A-9{i:02d}")
        ResidentFactory(household=household, is_head=True)
        ResidentFactory(household=household)
    with CaptureQueriesContext(connection) as ten:
        assert len(export(client)) == 1 + 2 + 16
    assert len(ten.captured_queries) == len(two.captured_queries)


def test_a_failure_half_way_through_the_commit_writes_nothing_at_all(world, login, tmp_path, monkeypatch):
    """A rule only the services know (or a concurrent writer winning a race) on the 4th resident: all rolled back."""
    from households import services

    add_resident = services.add_resident

    def add_resident_failing_for_sun(*, name, **kwargs):
        if name == "孙大娘":
            raise DomainError("This conflicts with a record saved at the same moment; reload and try again.")
        return add_resident(name=name, **kwargs)

    monkeypatch.setattr(services, "add_resident", add_resident_failing_for_sun)
    client = login(world.a.admin)
    upload(client, world.a.township, xlsx(tmp_path, GOOD_ROWS))
    commit(client, world.a.township, latest_batch(world.a.township))
    batch = latest_batch(world.a.township)
    assert batch.status == ImportStatus.FAILED and batch.committed_at is None
    assert [(e["row"], e["message"]) for e in batch.errors] == [
        (6, "This conflicts with a record saved at the same moment; reload and try again.")
    ]
    assert counts(world.a.township) == (2, 2, 2), "A-101, A-102 and the new area 二组 were rolled back too"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_commits_of_one_batch_import_it_once(world, tmp_path):
    """The row lock on the batch: the second commit waits for the first, then finds it done."""
    import threading

    from households.models import Membership

    township = world.a.township
    with no_township_scope(), township_scope(township):
        membership = Membership.objects.prefetch_related("villages").get(user=world.a.admin)
        batch = create_batch(membership=membership, filename="roster.xlsx", data=xlsx(tmp_path, GOOD_ROWS))
    barrier, outcomes = threading.Barrier(2), []

    def commit_in_a_thread():
        try:
            with township_scope(township):
                barrier.wait()
                outcomes.append(commit_batch(membership=membership, batch=batch).committed)
        except DomainError as refused:
            outcomes.append(str(refused.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=commit_in_a_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes, key=str) == [True, "这个文件已经导入过了。"]
    assert counts(township) == (5, 7, 3)
    assert latest_batch(township).status == ImportStatus.COMMITTED
