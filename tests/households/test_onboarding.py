"""Onboarding a township (issue 16, item 1): the service and `manage.py create_township`, with real .xlsx files."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from core.errors import DomainError
from households.models import Area, Membership, Role, Township, Village
from households.onboarding.services import OPERATOR, create_township
from tests.factories import TownshipFactory, UserFactory

pytestmark = pytest.mark.django_db


def xlsx(rows, *, merge=None, path=None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if path is not None:
        path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


PLACES = [
    ["村", "片区", "村编码"],
    ["东村", "一组", "001"],
    ["东村", "二组", "001"],
    ["西村", "一组", ""],
    ["南村", "", ""],
]


def _counts():
    return (
        Township.objects.count(),
        Village.objects.count(),
        Area.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
    )


def test_operator_creates_a_township_with_its_admin_villages_and_areas():
    created = create_township(
        operator=OPERATOR,
        name="青山镇",
        slug="qingshan",
        timezone="Asia/Urumqi",
        admin_username="qs-admin",
        admin_name="王主任",
        places=xlsx(PLACES),
    )
    township = Township.objects.get(slug="qingshan")
    assert (township.name, township.timezone, township.kind) == ("青山镇", "Asia/Urumqi", "township")
    assert created.villages == 3 and created.areas == 3
    assert sorted(Village.objects.filter(township=township).values_list("name", "code")) == [
        ("东村", "001"),
        ("南村", ""),
        ("西村", ""),
    ]
    assert sorted(Area.objects.filter(township=township).values_list("village__name", "name")) == [
        ("东村", "一组"),
        ("东村", "二组"),
        ("西村", "一组"),
    ]
    admin = get_user_model().objects.get(username="qs-admin")
    assert admin.first_name == "王主任"
    assert admin.check_password(created.password) and len(created.password) == 14
    assert Membership.objects.get(user=admin).role == Role.TOWNSHIP_ADMIN


def test_a_given_password_is_used_and_not_echoed():
    created = create_township(
        operator=OPERATOR,
        name="学校",
        slug="school-1",
        kind="school",
        admin_username="head",
        admin_password="Qs-2026-first",
    )
    assert created.password is None
    assert get_user_model().objects.get(username="head").check_password("Qs-2026-first")
    assert Township.objects.get(slug="school-1").kind == "school"


def test_a_township_admin_who_is_not_a_superuser_cannot_create_townships():
    outsider = UserFactory()
    before = _counts()
    with pytest.raises(PermissionDenied):
        create_township(operator=outsider, name="X镇", slug="x", admin_username="x-admin")
    assert _counts() == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"slug": "taken"}, "已被"),
        ({"timezone": "Asia/Beijing"}, "Asia/Beijing"),
        ({"name": "  "}, "名称"),
        ({"slug": "青山"}, "青山"),
        ({"admin_password": "123"}, "密码"),
    ],
)
def test_bad_township_input_is_refused_with_a_message_and_nothing_written(kwargs, message):
    TownshipFactory(slug="taken", name="已有镇")
    before = _counts()
    args = {"operator": OPERATOR, "name": "青山镇", "slug": "qingshan", "admin_username": "qs-admin"} | kwargs
    with pytest.raises(DomainError) as refused:
        create_township(**args, places=xlsx(PLACES))
    assert message in str(refused.value.message)
    assert _counts() == before


@pytest.mark.parametrize(
    ("rows", "merge", "message"),
    [
        ([["村", "片区"], ["东村", "=A1"]], None, "B2"),
        ([["村", "片区"], ["东村", "一组"], ["", "二组"]], "A2:A3", "A2:A3"),
        ([["村", "片区"], ["东村", "一组"], ["", "二组"]], None, "第 3 行"),
        ([["名称", "片区"], ["东村", "一组"]], None, "村"),
        ([["村", "组", "村编码"], ["东村", "一组", "1"], ["东村", "二组", "2"]], None, "第 3 行"),
    ],
)
def test_a_bad_places_file_is_refused_naming_row_or_cell_and_nothing_written(rows, merge, message):
    before = _counts()
    with pytest.raises(DomainError) as refused:
        create_township(
            operator=OPERATOR,
            name="青山镇",
            slug="qingshan",
            admin_username="qs-admin",
            places=xlsx(rows, merge=merge),
        )
    assert message in str(refused.value.message)
    assert _counts() == before


def test_a_file_that_is_not_excel_is_refused():
    with pytest.raises(DomainError):
        create_township(
            operator=OPERATOR, name="青山镇", slug="qingshan", admin_username="a", places=b"not a zip"
        )
    assert not Township.objects.filter(slug="qingshan").exists()


# The command ---------------------------------------------------------------------------------------------------


def test_command_creates_the_township_and_prints_the_password_once(tmp_path):
    places = tmp_path / "places.xlsx"
    xlsx(PLACES, path=places)
    out = io.StringIO()
    call_command(
        "create_township",
        "--name=青山镇",
        "--slug=qingshan",
        "--admin-username=qs-admin",
        "--admin-name=王主任",
        f"--places={places}",
        stdout=out,
    )
    text = out.getvalue()
    password = text.strip().splitlines()[-1].rsplit(" ", 1)[-1].split("：")[-1].split(":")[-1].strip()
    assert get_user_model().objects.get(username="qs-admin").check_password(password)
    assert text.count(password) == 1
    assert Village.objects.filter(township__slug="qingshan").count() == 3


@pytest.mark.parametrize(
    ("args", "rows", "merge"),
    [
        (["--timezone=Mars/Olympus"], PLACES, None),
        ([], [["村", "片区"], ["东村", "=A1"]], None),
        ([], [["村", "片区"], ["东村", "一组"], ["", "二组"]], "A2:A3"),
    ],
)
def test_command_refuses_bad_input_and_writes_nothing(tmp_path, args, rows, merge):
    places = tmp_path / "places.xlsx"
    xlsx(rows, merge=merge, path=places)
    before = _counts()
    with pytest.raises(CommandError):
        call_command(
            "create_township",
            "--name=青山镇",
            "--slug=qingshan",
            "--admin-username=qs-admin",
            f"--places={places}",
            *args,
        )
    assert _counts() == before


def test_a_schools_file_names_its_classes_and_groups():
    rows = [["班级", "小组"], ["一年级1班", "第一小组"], ["一年级1班", "第二小组"], ["一年级2班", "第一小组"]]
    created = create_township(
        operator=OPERATOR,
        name="实验小学",
        slug="shiyan",
        kind="school",
        admin_username="sy-head",
        places=xlsx(rows),
    )
    assert (created.villages, created.areas) == (2, 3)
    assert sorted(Village.objects.filter(township__slug="shiyan").values_list("name", flat=True)) == [
        "一年级1班",
        "一年级2班",
    ]
