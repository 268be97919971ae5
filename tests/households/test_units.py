"""Units (单位): the rules on the services, then the pages — who sees and changes what, and that the list stays cheap.

The `world` fixture (tests/conftest.py) gives townships A and B with villages a东村 (village 0) and a西村 (village
1); the clerk and the panel member of A work in a东村 only. `units` adds a cooperative to a东村 and a shop to a西村.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import DomainError
from core.tenancy import dangerously_all_townships, no_township_scope, township_scope
from households.models import Unit, UnitKind
from households.units import services
from tests.contract import member
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_a(world):
    """Run the test body inside township A's scope only, as a request would."""
    with no_township_scope(), township_scope(world.a.township):
        yield world.a


@pytest.fixture
def units(world):
    east = UnitFactory(
        village=world.a.villages[0],
        name="兴农合作社",
        kind=UnitKind.COOPERATIVE,
        contact_name="王建国",
        contact_mobile="13900000001",
        address="东街1号",
    )
    west = UnitFactory(
        village=world.a.villages[1],
        name="西村小卖部",
        kind=UnitKind.INDIVIDUAL_BUSINESS,
        contact_name="李秀英",
        contact_mobile="13900000002",
    )
    return east, west


def new_unit(t, user, **fields):
    values = {
        "village": t.villages[0],
        "name": "东村农机合作社",
        "kind": UnitKind.COOPERATIVE,
        "contact_name": "赵卫东",
        "contact_mobile": "13900000003",
        **fields,
    }
    return services.create_unit(membership=member(user), **values)


def unit_rows():
    with dangerously_all_townships():
        return sorted(
            Unit.objects.values_list(
                "pk", "village_id", "name", "kind", "contact_name", "contact_mobile", "archived_at"
            )
        )


# Services -------------------------------------------------------------------------------------------------------


def test_a_clerk_adds_a_unit_to_their_village_and_the_history_names_them(in_a):
    unit = new_unit(in_a, in_a.clerk, name=" 东村农机合作社 ", address="东街9号", note="农机服务")

    unit.refresh_from_db()
    assert (unit.township_id, unit.village_id, unit.name, unit.kind) == (
        in_a.township.pk, in_a.villages[0].pk, "东村农机合作社", UnitKind.COOPERATIVE,
    )  # fmt: skip
    assert (unit.contact_name, unit.contact_mobile, unit.address, unit.note) == (
        "赵卫东", "13900000003", "东街9号", "农机服务",
    )  # fmt: skip
    assert not unit.is_archived
    assert unit.history.get().history_user == in_a.clerk


def test_the_same_name_is_refused_in_one_village_and_allowed_in_another(in_a, units):
    with pytest.raises(DomainError) as refused:
        new_unit(in_a, in_a.admin, name="兴农合作社")

    assert (refused.value.field, refused.value.code) == ("name", "duplicate")
    assert str(refused.value.message) == "本村已有名为“兴农合作社”的单位。"
    assert new_unit(in_a, in_a.admin, name="兴农合作社", village=in_a.villages[1]).village == in_a.villages[1]


def test_the_name_of_an_archived_unit_says_restore_it(in_a, units):
    services.archive_unit(membership=member(in_a.admin), unit=units[0], reason="停业")

    with pytest.raises(DomainError) as refused:
        new_unit(in_a, in_a.admin, name="兴农合作社")

    assert "已归档" in str(refused.value.message) and "恢复" in str(refused.value.message)


def test_the_database_itself_keeps_names_unique_per_village(in_a, units):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            township=in_a.township, village=in_a.villages[0], name="兴农合作社", kind="other",
            contact_name="某人", contact_mobile="13900000009",
        )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "请填写单位名称。"),
        ({"contact_name": ""}, "contact_name", "请填写单位联系人的姓名。"),
        ({"contact_mobile": " "}, "contact_mobile", "请填写联系人的手机号码。"),
        ({"contact_mobile": "0716-1234567"}, "contact_mobile", "手机号码应为以1开头的11位数字。"),
        ({"kind": "bank"}, "kind", None),
        ({"name": "社" * 101}, "name", None),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(in_a, fields, field, message):
    before = unit_rows()

    with pytest.raises(DomainError) as refused:
        new_unit(in_a, in_a.admin, **fields)

    assert refused.value.field == field
    if message:
        assert str(refused.value.message) == message
    assert unit_rows() == before


def test_an_unknown_kind_lists_the_kinds_in_chinese(in_a):
    with pytest.raises(DomainError) as refused:
        new_unit(in_a, in_a.admin, kind="bank")

    assert (
        str(refused.value.message) == "请选择单位类别：企业、个体工商户、合作社、社会组织、事业单位、其他。"
    )


def test_a_mobile_number_typed_with_spaces_and_dashes_is_kept_as_its_digits(in_a):
    assert new_unit(in_a, in_a.admin, contact_mobile=" 139-0000 0004 ").contact_mobile == "13900000004"


def test_update_changes_the_fields_and_keeps_the_reason_in_the_history(in_a, units):
    east = units[0]
    services.update_unit(
        membership=member(in_a.clerk), unit=east, reason="换了负责人", contact_name="王小明",
        contact_mobile="13900000005", kind=UnitKind.ENTERPRISE,
    )  # fmt: skip

    east.refresh_from_db()
    assert (east.contact_name, east.contact_mobile, east.kind) == ("王小明", "13900000005", "enterprise")
    latest = east.history.first()
    assert (latest.history_user, latest.history_change_reason) == (in_a.clerk, "换了负责人")


def test_update_refuses_fields_it_does_not_know(in_a, units):
    with pytest.raises(DomainError):
        services.update_unit(membership=member(in_a.admin), unit=units[0], township_id=999)


def test_a_unit_moves_only_between_villages_the_member_keeps(in_a, world, units):
    east = units[0]
    with pytest.raises(PermissionDenied):
        services.update_unit(membership=member(in_a.clerk), unit=east, village=in_a.villages[1])
    with pytest.raises(DomainError) as outside:
        services.update_unit(membership=member(in_a.admin), unit=east, village=world.b.villages[0])
    assert outside.value.field == "village"

    services.update_unit(membership=member(in_a.admin), unit=east, village=in_a.villages[1])

    east.refresh_from_db()
    assert east.village == in_a.villages[1]


def test_archiving_needs_a_reason_keeps_the_unit_and_restoring_brings_it_back(in_a, units):
    east = units[0]
    with pytest.raises(DomainError) as no_reason:
        services.archive_unit(membership=member(in_a.clerk), unit=east, reason=" ")
    assert no_reason.value.field == "reason"

    services.archive_unit(membership=member(in_a.clerk), unit=east, reason="合并到镇合作社")

    east.refresh_from_db()
    assert east.is_archived and Unit.objects.filter(pk=east.pk).exists()
    assert east.history.first().history_change_reason == "合并到镇合作社"

    services.restore_unit(membership=member(in_a.clerk), unit=east)

    east.refresh_from_db()
    assert not east.is_archived


def test_an_archived_unit_cannot_be_changed_or_archived_again_and_an_active_one_not_restored(in_a, units):
    east, west = units
    services.archive_unit(membership=member(in_a.admin), unit=east, reason="停业")

    with pytest.raises(DomainError) as changed:
        services.update_unit(membership=member(in_a.admin), unit=east, contact_name="某人")
    with pytest.raises(DomainError) as again:
        services.archive_unit(membership=member(in_a.admin), unit=east, reason="再次")
    with pytest.raises(DomainError) as active:
        services.restore_unit(membership=member(in_a.admin), unit=west)

    assert (changed.value.code, again.value.code, active.value.code) == (
        "archived",
        "illegal_state",
        "illegal_state",
    )


# Pages ----------------------------------------------------------------------------------------------------------


def url(name: str, township, **kwargs) -> str:
    return reverse(f"households:{name}", kwargs={"township_slug": township.slug, **kwargs})


def names_listed(response) -> list[str]:
    return [unit.name for unit in response.context["page"].object_list]


def test_the_township_office_sees_every_unit_and_a_clerk_those_of_their_villages(world, login, units):
    assert names_listed(login(world.a.admin).get(url("unit-list", world.a.township))) == [
        "兴农合作社",
        "西村小卖部",
    ]
    assert names_listed(login(world.a.clerk).get(url("unit-list", world.a.township))) == ["兴农合作社"]
    assert names_listed(login(world.a.panel).get(url("unit-list", world.a.township))) == ["兴农合作社"]


def test_the_list_searches_names_and_contacts_and_filters_by_village_and_status(world, login, units):
    client = login(world.a.admin)
    target = url("unit-list", world.a.township)
    services.archive_unit(membership=member(world.a.admin), unit=units[0], reason="停业")

    assert names_listed(client.get(target)) == ["西村小卖部"], "archived units are hidden by default"
    assert names_listed(client.get(target, {"status": "archived"})) == ["兴农合作社"]
    assert names_listed(client.get(target, {"status": "all", "search": "李秀"})) == ["西村小卖部"]
    assert names_listed(client.get(target, {"status": "all", "search": "兴农"})) == ["兴农合作社"]
    assert names_listed(client.get(target, {"status": "all", "village": world.a.villages[0].pk})) == [
        "兴农合作社"
    ]
    # A village of another township, a NUL byte, a huge id: dropped, never an error page.
    for bad in (
        {"village": world.b.villages[0].pk},
        {"search": "a\x00b"},
        {"village": "99999999999999999999"},
    ):
        assert client.get(target, {"status": "all", **bad}).status_code == 200


def test_the_list_answers_htmx_with_the_results_only(world, login, units):
    response = login(world.a.admin).get(
        url("unit-list", world.a.township),
        {"search": "兴农"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="unit-results",
    )

    assert [t.name for t in response.templates][0] == "households/_unit_results.html"
    assert "兴农合作社" in response.content.decode()


@pytest.mark.parametrize("user", ["admin", "clerk"])
def test_the_unit_list_costs_the_same_queries_for_2_or_60_units(world, login, units, user):
    client = login(getattr(world.a, user))
    target = url("unit-list", world.a.township)
    client.get(target)  # warm caches (content types, translations)
    with CaptureQueriesContext(connection) as two:
        client.get(target)
    for n in range(58):
        UnitFactory(village=world.a.villages[n % 2], name=f"商户{n:02d}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(target)

    assert len(many) == len(two) and len(two) <= 12
    assert response.context["page"].paginator.count == (60 if user == "admin" else 30)
    assert len(response.context["page"].object_list) == (50 if user == "admin" else 30)


def test_the_roster_navigation_and_the_village_page_link_to_the_units(world, login):
    client = login(world.a.clerk)
    home = client.get(url("township-home", world.a.township)).content.decode()
    village = client.get(url("village-detail", world.a.township, pk=world.a.villages[0].pk)).content.decode()

    assert url("unit-list", world.a.township) in home
    assert f"{url('unit-list', world.a.township)}?village={world.a.villages[0].pk}" in village


def test_a_clerk_adds_a_unit_through_the_form_and_sees_it(world, login):
    client = login(world.a.clerk)
    form = client.get(url("unit-create", world.a.township))
    assert [v.name for v in form.context["form"].fields["village"].queryset] == ["a东村"]

    response = client.post(
        url("unit-create", world.a.township),
        {
            "village": world.a.villages[0].pk, "name": "东村超市", "kind": "individual_business",
            "contact_name": "孙丽", "contact_mobile": "139 0000 0006", "address": "", "note": "",
        },
    )  # fmt: skip

    unit = Unit.objects.get(name="东村超市")
    assert response.status_code == 302 and response.url == url("unit-detail", world.a.township, pk=unit.pk)
    assert unit.contact_mobile == "13900000006"
    page = client.get(response.url).content.decode()
    assert "东村超市" in page and "个体工商户" in page and "13900000006" in page


def test_the_form_shows_what_to_fix(world, login, units):
    client = login(world.a.admin)
    response = client.post(
        url("unit-create", world.a.township),
        {"village": world.a.villages[0].pk, "name": "兴农合作社", "kind": "cooperative", "contact_name": "某人",
         "contact_mobile": "12345"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors == {"contact_mobile": ["手机号码应为以1开头的11位数字。"]}

    response = client.post(
        url("unit-create", world.a.township),
        {"village": world.a.villages[0].pk, "name": "兴农合作社", "kind": "cooperative", "contact_name": "某人",
         "contact_mobile": "13900000008"},
    )  # fmt: skip
    assert response.context["form"].errors == {"name": ["本村已有名为“兴农合作社”的单位。"]}
    assert Unit.objects.filter(name="兴农合作社").count() == 1


def test_a_clerk_cannot_offer_a_unit_to_a_village_they_do_not_keep(world, login):
    response = login(world.a.clerk).post(
        url("unit-create", world.a.township),
        {"village": world.a.villages[1].pk, "name": "越界商店", "kind": "other", "contact_name": "某人",
         "contact_mobile": "13900000008"},
    )  # fmt: skip

    assert response.status_code == 200 and "village" in response.context["form"].errors
    assert not Unit.objects.filter(name="越界商店").exists()


def test_editing_archiving_and_restoring_through_the_pages(world, login, units):
    east = units[0]
    client = login(world.a.clerk)
    edit = client.post(
        url("unit-edit", world.a.township, pk=east.pk),
        {"village": east.village_id, "name": "兴农合作社", "kind": "cooperative", "contact_name": "王小明",
         "contact_mobile": "13900000001", "address": "东街1号", "note": "", "change_reason": "换人"},
    )  # fmt: skip
    assert edit.status_code == 302
    east.refresh_from_db()
    assert east.contact_name == "王小明" and east.history.first().history_change_reason == "换人"

    assert client.post(url("unit-archive", world.a.township, pk=east.pk), {"reason": ""}).status_code == 200
    archived = client.post(url("unit-archive", world.a.township, pk=east.pk), {"reason": "停业"})
    assert archived.status_code == 302
    east.refresh_from_db()
    assert east.is_archived
    detail = client.get(url("unit-detail", world.a.township, pk=east.pk)).content.decode()
    assert "已归档" in detail and url("unit-restore", world.a.township, pk=east.pk) in detail
    assert url("unit-edit", world.a.township, pk=east.pk) not in detail

    assert client.get(url("unit-restore", world.a.township, pk=east.pk)).status_code == 405
    assert client.post(url("unit-restore", world.a.township, pk=east.pk)).status_code == 302
    east.refresh_from_db()
    assert not east.is_archived


UNIT_PAGES = [
    ("unit-detail", "get", {}),
    ("unit-edit", "get", {}),
    (
        "unit-edit",
        "post",
        {"name": "改名", "kind": "other", "contact_name": "某", "contact_mobile": "13900000009"},
    ),
    ("unit-archive", "get", {}),
    ("unit-archive", "post", {"reason": "停业"}),
    ("unit-restore", "post", {}),
]


@pytest.mark.parametrize(("name", "method", "data"), UNIT_PAGES)
def test_a_clerk_gets_404_for_the_units_of_a_village_they_do_not_keep(
    world, login, units, name, method, data
):
    west = units[1]
    before = unit_rows()

    response = getattr(login(world.a.clerk), method)(url(name, world.a.township, pk=west.pk), data)

    assert response.status_code == 404
    assert unit_rows() == before


@pytest.mark.parametrize("role", ["supervisor", "county", "panel"])
def test_read_only_roles_see_units_with_masked_numbers_and_change_nothing(world, login, units, role):
    east = units[0]
    client = login(getattr(world.a, role))
    before = unit_rows()

    detail = client.get(url("unit-detail", world.a.township, pk=east.pk))
    listing = client.get(url("unit-list", world.a.township)).content.decode()

    page = detail.content.decode()
    assert detail.status_code == 200 and "兴农合作社" in page
    assert "139****0001" in page and "13900000001" not in page and "13900000001" not in listing
    assert url("unit-edit", world.a.township, pk=east.pk) not in page
    assert client.get(url("unit-create", world.a.township)).status_code == 403
    for name, method, data in UNIT_PAGES[1:]:
        assert getattr(client, method)(url(name, world.a.township, pk=east.pk), data).status_code == 403
    assert unit_rows() == before


def test_a_member_of_another_township_gets_404_for_the_units(world, login, units):
    client = login(world.b.admin)
    assert client.get(url("unit-list", world.a.township)).status_code == 404
    for name, method, data in UNIT_PAGES:
        assert getattr(client, method)(url(name, world.a.township, pk=units[0].pk), data).status_code == 404
        assert getattr(client, method)(url(name, world.b.township, pk=units[0].pk), data).status_code == 404


def test_the_supervisor_reads_a_units_change_history_and_the_township_history_lists_it(world, login, units):
    east = units[0]
    services.update_unit(membership=member(world.a.clerk), unit=east, reason="换人", contact_name="王小明")
    services.archive_unit(membership=member(world.a.clerk), unit=east, reason="停业")
    client = login(world.a.supervisor)

    detail = client.get(url("unit-detail", world.a.township, pk=east.pk))
    history = client.get(url("history", world.a.township)).content.decode()

    entries = detail.context["history"]
    assert [(entry.change_type, entry.reason) for entry in entries] == [
        ("~", "停业"),
        ("~", "换人"),
        ("+", ""),
    ]
    assert entries[1].changes[0].label == "联系人" and (entries[1].changes[0].before, entries[1].changes[0].after) == (
        "王建国", "王小明",
    )  # fmt: skip
    assert "a东村 · 兴农合作社" in history
    assert (
        login(world.a.clerk).get(url("unit-detail", world.a.township, pk=east.pk)).context.get("history")
        is None
    )
