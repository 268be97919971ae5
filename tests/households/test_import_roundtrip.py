"""A roster export imports back without changes: 0 new households, every household unchanged, and the commit
writes nothing. Masked numbers (a read-only member's export) stand for the numbers on file."""

import io

import openpyxl
import pytest
from django.urls import reverse

from core.tenancy import no_township_scope, township_scope
from households.models import Household, ImportStatus, Resident
from tests.factories import UnitFactory
from tests.households.test_importing import HEADERS, KNOWN_ID, commit, counts, latest_batch, upload, xlsx

pytestmark = pytest.mark.django_db


def export_rows(client) -> list[list]:
    response = client.get(reverse("households:roster-export", kwargs={"township_slug": "town-a"}))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [
        ["" if value is None else value for value in values] for values in sheet.iter_rows(values_only=True)
    ]


def snapshot(township) -> list[tuple]:
    """Every household and resident as stored, with the number of history records: what "nothing changed" means."""
    with no_township_scope(), township_scope(township):
        households = [
            (h.pk, h.number, h.area_id, h.address, h.participation, h.updated_at, h.history.count())
            for h in Household.objects.order_by("pk")
        ]
        residents = [
            (r.pk, r.name, r.is_head, r.gender, r.birth_year, r.id_number, r.mobile, r.is_party_member)
            for r in Resident.objects.order_by("pk")
        ]
    return households + residents


def test_a_clerks_export_of_their_village_imports_back_with_nothing_new_or_changed(world, login):
    client = login(world.a.clerk)
    response = client.get(reverse("households:roster-export", kwargs={"township_slug": "town-a"}))
    assert response.status_code == 200
    before = snapshot(world.a.township)
    upload(client, world.a.township, response.content, name="export.xlsx")
    batch = latest_batch(world.a.township)
    assert (batch.status, batch.errors, batch.column_problems) == (ImportStatus.PREVIEWED, [], [])
    assert (batch.household_count, batch.resident_count, batch.unchanged_count, batch.new_areas) == (
        0,
        0,
        1,
        [],
    )
    page = client.get(
        reverse("households:import-preview", kwargs={"township_slug": "town-a", "batch_id": batch.pk})
    ).content.decode()
    assert "新增 0 户" in page and "1 户已在系统中且没有变化（跳过）" in page

    commit(client, world.a.township, batch)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    assert snapshot(world.a.township) == before


def test_the_whole_townships_export_imports_back_unchanged_for_the_office(world, login):
    client = login(world.a.admin)
    rows = export_rows(client)
    assert rows[0] == HEADERS and len(rows) == 3
    before = snapshot(world.a.township)
    upload(client, world.a.township, xlsx_bytes(rows))
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.unchanged_count) == ([], 0, 2)
    commit(client, world.a.township, batch)
    assert snapshot(world.a.township) == before


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for values in rows:
        book.active.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_masked_id_number_of_a_household_on_file_counts_as_unchanged(world, login):
    client = login(world.a.admin)
    rows = export_rows(client)
    zhang = next(r for r in rows if r[6] == "张三明")
    assert zhang[10] == KNOWN_ID
    zhang[10], zhang[11] = "110105********002X", "138****8000"  # as a read-only member's export shows them
    upload(client, world.a.township, xlsx_bytes(rows))
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.unchanged_count) == ([], 0, 2)


def test_a_masked_number_that_does_not_match_or_belongs_to_a_new_household_is_an_error(
    world, login, tmp_path
):
    client = login(world.a.admin)
    rows = export_rows(client)
    zhang = next(r for r in rows if r[6] == "张三明")
    zhang[10] = "110105********999X"
    new = ["a东村", "一组", "A-777", "", "", "", "周强", "是", "", "", "371425********0011", "", "否"]
    upload(client, world.a.township, xlsx(tmp_path, [*rows[1:], new]))
    batch = latest_batch(world.a.township)
    messages = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    zhang_row = rows.index(zhang) + 1
    assert messages[(zhang_row, "户号")].startswith(
        "户号 A-001 已在积分系统中，文件中以下内容与系统不同：姓名"
    )
    assert messages[(4, "身份证号码")] == "这个号码已打码（371425********0011）：请填写完整号码，或留空。"
    assert counts(world.a.township) == (2, 2, 2)


def test_a_changed_household_says_what_differs_and_nothing_is_written(world, login):
    client = login(world.a.admin)
    rows = export_rows(client)
    zhang = next(r for r in rows if r[6] == "张三明")
    zhang[3] = "新地址"
    before = snapshot(world.a.township)
    upload(client, world.a.township, xlsx_bytes(rows))
    batch = latest_batch(world.a.township)
    assert batch.status == ImportStatus.FAILED
    assert [e["message"] for e in batch.errors] == [
        "户号 A-001 已在积分系统中，文件中以下内容与系统不同：住址。导入只新增农户：请在该户页面上修改，或从文件中删去这户的行。"
    ]
    assert snapshot(world.a.township) == before


def test_units_of_the_export_import_back_unchanged_and_a_changed_unit_is_refused(world, login):
    with township_scope(world.a.township):
        unit = UnitFactory(village=world.a.villages[0], name="东村农机合作社", contact_mobile="13900000009")
    client = login(world.a.admin)
    response = client.get(reverse("households:roster-export", kwargs={"township_slug": "town-a"}))
    before = snapshot(world.a.township)
    upload(client, world.a.township, response.content, name="export.xlsx")
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.unchanged_count, batch.unit_count) == ([], 0, 2, 0)
    commit(client, world.a.township, batch)
    assert snapshot(world.a.township) == before

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    units = book["单位"]
    assert units.cell(row=2, column=2).value == unit.name
    units.cell(row=2, column=4).value = "新联系人"
    buffer = io.BytesIO()
    book.save(buffer)
    upload(client, world.a.township, buffer.getvalue(), name="export2.xlsx")
    errors = latest_batch(world.a.township).errors
    assert [(e["sheet"], e["row"], e["column"]) for e in errors] == [("单位", 2, "单位名称")]


def test_a_member_who_left_is_not_on_the_export_and_the_export_still_imports_back_unchanged(world, login):
    from households import services
    from tests.contract import member

    with township_scope(world.a.township):
        household = Household.objects.get(number="A-001")
        left = Resident.objects.create(township=world.a.township, household=household, name="赵老汉")
        services.remove_resident(membership=member(world.a.admin), resident=left, reason="去世")
    client = login(world.a.admin)
    names = {row[HEADERS.index("姓名")] for row in export_rows(client)[1:]}
    assert "张三明" in names and "赵老汉" not in names
    response = client.get(reverse("households:roster-export", kwargs={"township_slug": "town-a"}))
    before = snapshot(world.a.township)
    upload(client, world.a.township, response.content, name="export.xlsx")
    batch = latest_batch(world.a.township)
    assert (batch.errors, batch.household_count, batch.unchanged_count) == ([], 0, 2)
    commit(client, world.a.township, batch)
    assert snapshot(world.a.township) == before
