"""The roster pages: who may see and do what, that the flows change what they should, and that lists stay cheap.

The `world` fixture (tests/conftest.py) gives townships A and B, each with villages v0/v1, areas a0/a1 (one per
village), households A-001 (village 0, head 张三明 with an ID and a mobile number) and A-002 (village 1), and one user
per role; the clerk and the panel member work in village 0 only.
"""

import os
import subprocess
import sys
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Area, Household, HouseholdMove, Membership, Resident, Role, Village
from tests.factories import (
    PASSWORD,
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    ResidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

User = get_user_model()


def url(name: str, township, **kwargs) -> str:
    return reverse(f"households:{name}", kwargs={"township_slug": township.slug, **kwargs})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot() -> dict:
    """Everything a page could change, in both townships."""

    def rows(model, *fields):
        return sorted(model.objects.values_list("pk", *fields))

    return {
        "villages": rows(Village, "name", "code"),
        "areas": rows(Area, "name", "village_id"),
        "households": rows(
            Household, "number", "address", "participation", "participation_reason", "village_id", "area_id"
        ),
        "residents": rows(
            Resident, "name", "is_head", "gender", "birth_year", "id_number", "mobile", "is_party_member"
        ),
        "memberships": rows(Membership, "user_id", "role", "villages"),
        "moves": rows(HouseholdMove, "household_id", "to_area_id"),
        "users": rows(User, "username", "password"),
        "history": [model.history.count() for model in (Village, Area, Household, Resident, Membership)],
    }


@dataclass
class Page:
    name: str
    needs: str  # "view", "edit" (EDIT_ROSTER), "manage" (MANAGE_TOWNSHIP) or "history" (VIEW_HISTORY)
    kwargs: callable = None  # the objects of the township named in the URL, if any
    post: callable = field(default=lambda t: {})  # a POST that would change something if it were allowed

    @property
    def writes(self) -> bool:
        return self.needs in ("edit", "manage")

    def url(self, township, objects_of):
        return url(self.name, township, **(self.kwargs(objects_of) if self.kwargs else {}))


def _membership_of(user):
    return Membership.objects.get(user=user)


PAGES = [
    Page("township-home", "view"),
    Page("village-create", "manage", post=lambda t: {"name": "新建村", "code": "N1"}),
    Page("village-detail", "view", lambda t: {"pk": t.villages[0].pk}),
    Page(
        "village-edit",
        "manage",
        lambda t: {"pk": t.villages[0].pk},
        lambda t: {"name": "改名村", "code": "X"},
    ),
    Page("area-create", "edit", lambda t: {"village_pk": t.villages[0].pk}, lambda t: {"name": "新建组"}),
    Page("area-edit", "edit", lambda t: {"pk": t.areas[0].pk}, lambda t: {"name": "改名组"}),
    Page("household-list", "view"),
    Page(
        "household-create",
        "edit",
        post=lambda t: {
            "area": t.areas[0].pk,
            "number": "NEW-1",
            "participation": "taking_part",
            "name": "王五",
        },
    ),
    Page("household-detail", "view", lambda t: {"pk": t.households[0].pk}),
    Page(
        "household-edit",
        "edit",
        lambda t: {"pk": t.households[0].pk},
        lambda t: {"number": "CHG-1", "address": "新地址", "participation": "taking_part"},
    ),
    Page(
        "household-move",
        "edit",
        lambda t: {"pk": t.households[0].pk},
        lambda t: {"to_area": t.areas[1].pk, "reason": "搬家"},
    ),
    Page("resident-create", "edit", lambda t: {"pk": t.households[0].pk}, lambda t: {"name": "赵六"}),
    Page("resident-edit", "edit", lambda t: {"pk": t.resident.pk}, lambda t: {"name": "张三改"}),
    Page(
        "resident-remove",
        "edit",
        lambda t: {"pk": t.resident.pk},
        lambda t: {"reason": "moved_out", "ended_on": "2026-01-05"},
    ),
    Page("membership-list", "manage"),
    Page(
        "membership-grant",
        "manage",
        post=lambda t: {"username": "newcomer", "password": "a-long-pass-9173", "role": Role.SUPERVISOR},
    ),
    Page("membership-revoke", "manage", lambda t: {"pk": _membership_of(t.clerk).pk}),
    Page("history", "history"),
]
OBJECT_PAGES = [page for page in PAGES if page.kwargs is not None]
WRITE_PAGES = [page for page in PAGES if page.writes]
ids = [page.name for page in PAGES]


def test_the_pages_load_outside_any_township_scope():
    """Module-level code must not query tenant rows: a server imports the URLconf with no scope open."""
    code = (
        "import django; django.setup(); from django.urls import get_resolver; "
        "import households.forms, households.selectors; print(len(get_resolver().reverse_dict))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]


# Every page renders for a role that may use it -----------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=ids)
def test_township_admin_can_open_every_page(world, page):
    response = client_for(world.a.admin).get(page.url(world.a.township, world.a))
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


def test_household_list_is_in_chinese_and_lists_the_households(world, login):
    page = login(world.a.clerk).get(url("household-list", world.a.township)).content.decode()
    assert "农户" in page
    assert "A-001" in page and "张三明" in page  # the clerk's village 0
    assert "A-002" not in page  # village 1 is not the clerk's


def test_supervisor_reads_the_roster_and_the_history(world, login):
    client = login(world.a.supervisor)
    for page in PAGES:
        if page.needs in ("view", "history"):
            assert client.get(page.url(world.a.township, world.a)).status_code == 200, page.name


def test_clerk_opens_the_write_pages_of_their_village(world, login):
    client = login(world.a.clerk)
    for page in PAGES:
        if page.needs == "edit":
            assert client.get(page.url(world.a.township, world.a)).status_code == 200, page.name


def test_pages_speak_chinese(world, login):
    client = login(world.a.admin)
    expectations = {
        "township-home": "新建村",
        "village-detail": "片区",
        "household-create": "户主",
        "household-move": "迁移",
        "membership-list": "乡镇工作人员",
        "history": "变更记录",
    }
    for name, text in expectations.items():
        page = next(p for p in PAGES if p.name == name)
        assert text in client.get(page.url(world.a.township, world.a)).content.decode(), name


def test_every_form_carries_a_csrf_token(world, login):
    client = login(world.a.admin)
    for page in WRITE_PAGES:
        assert "csrfmiddlewaretoken" in client.get(page.url(world.a.township, world.a)).content.decode(), (
            page.name
        )


def test_post_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a.admin)
    before = snapshot()
    response = client.post(url("village-create", world.a.township), {"name": "无令牌村"})
    assert response.status_code == 403
    assert snapshot() == before


# Outsiders, read-only roles, anonymous users --------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=ids)
def test_user_of_another_township_gets_404_through_that_townships_slug(world, page):
    client = client_for(world.b.admin)
    before = snapshot()
    target = page.url(world.a.township, world.a)
    assert client.get(target).status_code == 404
    assert client.post(target, page.post(world.a)).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("page", OBJECT_PAGES, ids=[p.name for p in OBJECT_PAGES])
def test_user_of_another_township_gets_404_for_its_objects_through_their_own_slug(world, page):
    client = client_for(world.b.admin)
    before = snapshot()
    target = page.url(world.b.township, world.a)  # B's slug, A's ids
    assert client.get(target).status_code == 404
    assert client.post(target, page.post(world.a)).status_code == 404
    assert snapshot() == before


def test_object_pages_list_is_complete():
    names = {page.name for page in OBJECT_PAGES}
    assert names == {
        "village-detail", "village-edit", "area-create", "area-edit", "household-detail", "household-edit",
        "household-move", "resident-create", "resident-edit", "resident-remove", "membership-revoke",
    }  # fmt: skip


@pytest.mark.parametrize("role", ["supervisor", "county", "panel"])
@pytest.mark.parametrize("page", WRITE_PAGES, ids=[p.name for p in WRITE_PAGES])
def test_read_only_roles_get_403_on_write_pages_and_nothing_changes(world, page, role):
    client = client_for(getattr(world.a, role))
    before = snapshot()
    target = page.url(world.a.township, world.a)
    assert client.get(target).status_code == 403
    assert client.post(target, page.post(world.a)).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("page", [p for p in PAGES if p.needs in ("manage", "history")], ids=lambda p: p.name)
def test_clerk_gets_403_on_township_management_and_history(world, page):
    client = client_for(world.a.clerk)
    before = snapshot()
    target = page.url(world.a.township, world.a)
    assert client.get(target).status_code == 403
    assert client.post(target, page.post(world.a)).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", ["county", "panel"])
def test_only_admin_and_supervisor_see_the_history(world, role):
    assert client_for(getattr(world.a, role)).get(url("history", world.a.township)).status_code == 403


def test_clerk_gets_404_for_objects_of_a_village_that_is_not_theirs(world):
    client = client_for(world.a.clerk)
    other_household = world.a.households[1]  # village 1
    other_member = ResidentFactory(household=other_household, name="王其他")
    targets = [
        url("village-detail", world.a.township, pk=world.a.villages[1].pk),
        url("area-create", world.a.township, village_pk=world.a.villages[1].pk),
        url("area-edit", world.a.township, pk=world.a.areas[1].pk),
        url("household-detail", world.a.township, pk=other_household.pk),
        url("household-edit", world.a.township, pk=other_household.pk),
        url("household-move", world.a.township, pk=other_household.pk),
        url("resident-create", world.a.township, pk=other_household.pk),
        url("resident-edit", world.a.township, pk=other_member.pk),
        url("resident-remove", world.a.township, pk=other_member.pk),
    ]
    before = snapshot()
    for target in targets:
        assert client.get(target).status_code == 404, target
        assert client.post(target, {"name": "X", "reason": "X", "number": "X"}).status_code == 404, target
    assert snapshot() == before


def test_panel_member_gets_404_for_a_household_outside_their_villages(world, login):
    response = login(world.a.panel).get(
        url("household-detail", world.a.township, pk=world.a.households[1].pk)
    )
    assert response.status_code == 404


@pytest.mark.parametrize("page", PAGES, ids=ids)
def test_anonymous_users_are_sent_to_the_login_page(world, client, page):
    before = snapshot()
    target = page.url(world.a.township, world.a)
    for response in (client.get(target), client.post(target, page.post(world.a))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert snapshot() == before


def test_unknown_township_slug_is_404(world, login):
    assert login(world.a.admin).get("/t/no-such-town/households/").status_code == 404


def test_huge_ids_and_nul_bytes_are_404_or_ignored_not_500(world, login):
    client = login(world.a.admin)
    huge = 10**20
    assert client.get(url("household-detail", world.a.township, pk=huge)).status_code == 404
    response = client.get(url("household-list", world.a.township), {"q": "A-0\x00", "village": str(huge)})
    assert response.status_code == 200
    assert client.get(url("membership-grant", world.a.township), {"username": "x\x00"}).status_code == 200


# Ids of the other township inside a form are refused --------------------------------------------------------------


def test_household_cannot_be_created_in_an_area_of_another_township(world, login):
    before = snapshot()
    data = {"area": world.a.areas[0].pk, "number": "SNEAK-1", "participation": "taking_part", "name": "潜入"}
    response = login(world.b.admin).post(url("household-create", world.b.township), data)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert snapshot() == before


def test_household_cannot_move_into_an_area_of_another_township(world, login):
    before = snapshot()
    household = world.b.households[0]
    data = {"to_area": world.a.areas[0].pk, "reason": "越界"}
    response = login(world.b.admin).post(url("household-move", world.b.township, pk=household.pk), data)
    assert response.status_code == 200
    assert snapshot() == before


def test_membership_cannot_be_granted_on_villages_of_another_township(world, login):
    before = snapshot()
    data = {
        "username": world.b.supervisor.username,
        "role": Role.VILLAGE_CLERK,
        "villages": [world.a.villages[0].pk],
    }
    response = login(world.b.admin).post(url("membership-grant", world.b.township), data)
    assert response.status_code == 200
    assert snapshot() == before


def test_household_list_filter_by_a_village_of_another_township_shows_nothing_of_it(world, login):
    response = login(world.b.admin).get(
        url("household-list", world.b.township), {"village": world.a.villages[0].pk}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "A-001" not in page and "A-002" not in page


# Villages and areas ---------------------------------------------------------------------------------------------


def test_admin_creates_a_village(world, login):
    response = login(world.a.admin).post(
        url("village-create", world.a.township), {"name": "南村", "code": "0305"}
    )
    village = Village.objects.get(township=world.a.township, name="南村")
    assert response.status_code == 302
    assert response["Location"] == url("village-detail", world.a.township, pk=village.pk)
    assert village.code == "0305"


def test_village_name_taken_in_the_township_is_a_form_error(world, login):
    before = snapshot()
    response = login(world.a.admin).post(url("village-create", world.a.township), {"name": "a东村"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert snapshot() == before


def test_the_same_village_name_is_fine_in_another_township(world, login):
    response = login(world.b.admin).post(url("village-create", world.b.township), {"name": "a东村"})
    assert response.status_code == 302
    assert Village.objects.filter(name="a东村").count() == 2


def test_admin_renames_a_village(world, login):
    village = world.a.villages[0]
    login(world.a.admin).post(
        url("village-edit", world.a.township, pk=village.pk), {"name": "a东新村", "code": "7"}
    )
    village.refresh_from_db()
    assert (village.name, village.code) == ("a东新村", "7")


def test_clerk_creates_and_renames_an_area_of_their_village(world, login):
    client = login(world.a.clerk)
    village = world.a.villages[0]
    client.post(url("area-create", world.a.township, village_pk=village.pk), {"name": "二组"})
    area = Area.objects.get(village=village, name="二组")
    client.post(url("area-edit", world.a.township, pk=area.pk), {"name": "第二组"})
    area.refresh_from_db()
    assert area.name == "第二组"
    assert area.township_id == world.a.township.pk


def test_village_page_shows_household_counts_and_warns_about_big_areas(world, login, settings):
    settings.JIFEN_AREA_SOFT_LIMIT = 2
    area = world.a.areas[0]
    HouseholdFactory.create_batch(2, area=area)  # 1 + 2 = 3 households, above 2
    quiet = AreaFactory(village=world.a.villages[0], name="三组")
    HouseholdFactory(area=quiet)
    page = (
        login(world.a.admin).get(url("village-detail", world.a.township, pk=area.village_id)).content.decode()
    )
    assert page.count("badge warn") == 1
    assert "2 个片区 · 4 户" in page


def test_township_home_counts_areas_and_households_per_village(world, login):
    AreaFactory(village=world.a.villages[0], name="二组")
    HouseholdFactory.create_batch(3, area=world.a.areas[0])
    response = login(world.a.admin).get(url("township-home", world.a.township))
    villages = {
        village.name: (village.area_count, village.household_count)
        for village in response.context["villages"]
    }
    assert villages == {"a东村": (2, 4), "a西村": (1, 1)}
    assert "2 个村 · 5 户" in response.content.decode()


def test_clerk_sees_only_their_villages_on_the_home_page_and_no_new_village_link(world, login):
    response = login(world.a.clerk).get(url("township-home", world.a.township))
    page = response.content.decode()
    assert [v.name for v in response.context["villages"]] == ["a东村"]
    assert url("village-create", world.a.township) not in page


def test_township_home_costs_the_same_queries_with_more_villages(world, login):
    client = login(world.a.admin)
    target = url("township-home", world.a.township)
    client.get(target)
    with CaptureQueriesContext(connection) as few:
        client.get(target)
    for n in range(10):
        village = Village.objects.create(township=world.a.township, name=f"加村{n}")
        HouseholdFactory(area=AreaFactory(village=village))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(target).context["villages"]) == 12
    assert len(few) == len(many)


# Households -----------------------------------------------------------------------------------------------------


def test_clerk_creates_a_household_with_its_head(world, login):
    data = {
        "area": world.a.areas[0].pk, "number": "A-100", "address": "幸福路1号", "participation": "taking_part",
        "name": "钱七", "gender": "male", "birth_year": "1970", "id_number": "11010519491231002x",
        "mobile": "13900139000", "is_party_member": "on",
    }  # fmt: skip
    # The ID number is the world's resident's: taken in the township, so the form refuses first.
    response = login(world.a.clerk).post(url("household-create", world.a.township), data)
    assert response.status_code == 200
    assert not Household.objects.filter(number="A-100").exists()

    data["id_number"] = "110105197001010011"
    response = login(world.a.clerk).post(url("household-create", world.a.township), data)
    household = Household.objects.get(township=world.a.township, number="A-100")
    head = household.members.get()
    assert response.status_code == 302
    assert (household.village_id, household.area_id, household.address) == (
        world.a.villages[0].pk, world.a.areas[0].pk, "幸福路1号",
    )  # fmt: skip
    assert (head.name, head.is_head, head.gender, head.birth_year) == ("钱七", True, "male", 1970)
    assert (head.id_number, head.mobile, head.is_party_member) == ("110105197001010011", "13900139000", True)
    assert household.history.get().history_user == world.a.clerk


def test_household_form_offers_only_areas_of_the_members_villages(world, login):
    form = login(world.a.clerk).get(url("household-create", world.a.township)).context["form"]
    assert list(form.fields["area"].queryset) == [world.a.areas[0]]


def test_clerk_cannot_create_a_household_in_another_village(world, login):
    before = snapshot()
    data = {"area": world.a.areas[1].pk, "number": "A-101", "participation": "taking_part", "name": "孙八"}
    response = login(world.a.clerk).post(url("household-create", world.a.township), data)
    assert response.status_code == 200
    assert snapshot() == before


def test_bad_input_shows_every_mistake_and_writes_nothing(world, login):
    before = snapshot()
    data = {
        "area": world.a.areas[0].pk, "number": "A-102", "participation": "taking_part", "name": "周九",
        "id_number": "110105194912310042", "mobile": "2390013900", "birth_year": "1800",
    }  # fmt: skip
    response = login(world.a.clerk).post(url("household-create", world.a.township), data)
    errors = response.context["form"].errors
    assert response.status_code == 200
    assert set(errors) == {"id_number", "mobile", "birth_year"}
    assert "身份证号码校验位不正确" in response.content.decode()
    future = {**data, "birth_year": "2999", "id_number": "", "mobile": ""}
    response = login(world.a.clerk).post(url("household-create", world.a.township), future)
    assert response.context["form"].errors == {"birth_year": ["出生年份不能晚于今年。"]}
    assert snapshot() == before


def test_household_number_already_used_is_a_form_error_not_a_500(world, login):
    before = snapshot()
    data = {"area": world.a.areas[0].pk, "number": "A-001", "participation": "taking_part", "name": "吴十"}
    response = login(world.a.admin).post(url("household-create", world.a.township), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


def test_household_not_taking_part_needs_a_reason(world, login):
    before = snapshot()
    data = {"area": world.a.areas[0].pk, "number": "A-103", "participation": "opted_out", "name": "郑一"}
    response = login(world.a.admin).post(url("household-create", world.a.township), data)
    assert response.context["form"].errors["participation_reason"] == ["请填写该户不参与的原因。"]
    assert snapshot() == before


def test_creating_a_household_in_a_full_area_warns(world, login, settings):
    settings.JIFEN_AREA_SOFT_LIMIT = 1
    data = {"area": world.a.areas[0].pk, "number": "A-104", "participation": "taking_part", "name": "冯二"}
    response = login(world.a.admin).post(url("household-create", world.a.township), data, follow=True)
    assert "片区“一组”现有2户，超过建议的1户。" in response.content.decode()


def test_clerk_edits_a_household(world, login):
    household = world.a.households[0]
    data = {
        "number": "A-001", "address": "和平街9号", "participation": "not_eligible",
        "participation_reason": "常年在外", "change_reason": "年度核对",
    }  # fmt: skip
    response = login(world.a.clerk).post(url("household-edit", world.a.township, pk=household.pk), data)
    household.refresh_from_db()
    assert response.status_code == 302
    assert (household.address, household.participation, household.participation_reason) == (
        "和平街9号", "not_eligible", "常年在外",
    )  # fmt: skip
    assert household.history.first().history_change_reason == "年度核对"


def test_household_detail_shows_members_with_masked_numbers(world, login):
    page = login(world.a.clerk).get(url("household-detail", world.a.township, pk=world.a.households[0].pk))
    text = page.content.decode()
    assert "张三明" in text
    assert "110105********002X" in text and "11010519491231002X" not in text
    assert "138****8000" in text and "13800138000" not in text


def test_household_detail_shows_history_only_to_roles_that_read_it(world, login):
    target = url("household-detail", world.a.township, pk=world.a.households[0].pk)
    assert "变更历史" in login(world.a.supervisor).get(target).content.decode()
    assert "变更历史" not in login(world.a.clerk).get(target).content.decode()


def test_admin_moves_a_household_to_another_village(world, login):
    household = world.a.households[0]
    to_area = world.a.areas[1]
    response = login(world.a.admin).post(
        url("household-move", world.a.township, pk=household.pk),
        {"to_area": to_area.pk, "reason": "分户搬迁"},
    )
    household.refresh_from_db()
    move = HouseholdMove.objects.get(household=household)
    assert response.status_code == 302
    assert (household.village_id, household.area_id) == (world.a.villages[1].pk, to_area.pk)
    assert (move.from_village_id, move.from_area_id, move.to_village_id, move.reason, move.moved_by) == (
        world.a.villages[0].pk, world.a.areas[0].pk, world.a.villages[1].pk, "分户搬迁", world.a.admin,
    )  # fmt: skip
    assert household.members.get().name == "张三明"  # the members go along
    detail = login(world.a.admin).get(url("household-detail", world.a.township, pk=household.pk))
    assert "分户搬迁" in detail.content.decode()


def test_move_needs_a_reason(world, login):
    before = snapshot()
    household = world.a.households[0]
    response = login(world.a.admin).post(
        url("household-move", world.a.township, pk=household.pk),
        {"to_area": world.a.areas[1].pk, "reason": " "},
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert snapshot() == before


def test_clerk_may_move_only_into_areas_of_their_villages(world, login):
    client = login(world.a.clerk)
    household = world.a.households[0]
    target = url("household-move", world.a.township, pk=household.pk)
    before = snapshot()
    response = client.post(target, {"to_area": world.a.areas[1].pk, "reason": "搬到西村"})
    assert response.status_code == 200
    assert snapshot() == before

    second_area = AreaFactory(village=world.a.villages[0], name="二组")
    response = client.post(target, {"to_area": second_area.pk, "reason": "换组"})
    household.refresh_from_db()
    assert response.status_code == 302
    assert household.area_id == second_area.pk


def test_household_list_searches_by_number_address_and_member_name(world, login):
    client = login(world.a.admin)
    target = url("household-list", world.a.township)
    HouseholdFactory(area=world.a.areas[1], number="A-003", address="光明路18号")

    def numbers(**params):
        return sorted(h.number for h in client.get(target, params).context["page"].object_list)

    assert numbers(q="A-00") == ["A-001", "A-002", "A-003"]
    assert numbers(q="光明路") == ["A-003"]
    assert numbers(q="三明") == ["A-001"]
    assert numbers(q="李四") == ["A-002"]
    assert numbers(village=world.a.villages[1].pk) == ["A-002", "A-003"]
    assert numbers(area=world.a.areas[0].pk) == ["A-001"]
    assert numbers(participation="opted_out") == []


def test_household_list_shows_head_and_member_count(world, login):
    ResidentFactory(household=world.a.households[0], name="张小明")
    response = login(world.a.admin).get(url("household-list", world.a.township), {"q": "A-001"})
    (household,) = response.context["page"].object_list
    assert (household.head_name, household.member_count) == ("张三明", 2)


def test_household_search_member_name_does_not_repeat_the_household(world, login):
    ResidentFactory(household=world.a.households[0], name="张三明")  # two members named alike
    response = login(world.a.admin).get(url("household-list", world.a.township), {"q": "张三明"})
    assert [h.number for h in response.context["page"].object_list] == ["A-001"]


def test_live_search_returns_only_the_results(world, login):
    response = login(world.a.admin).get(
        url("household-list", world.a.township),
        {"q": "A-002"},
        headers={"HX-Request": "true", "HX-Target": "household-results"},
    )
    text = response.content.decode()
    assert "A-002" in text and "A-001" not in text
    assert "<html" not in text


def test_household_list_pages_by_50(world, login):
    HouseholdFactory.create_batch(60, area=world.a.areas[0])
    client = login(world.a.admin)
    first = client.get(url("household-list", world.a.township)).context["page"]
    last = client.get(url("household-list", world.a.township), {"page": 2}).context["page"]
    assert (len(first.object_list), len(last.object_list), first.paginator.count) == (50, 12, 62)


def _populate(area, count):
    for household in HouseholdFactory.create_batch(count, area=area):
        ResidentFactory(household=household, is_head=True)
        ResidentFactory(household=household)


@pytest.mark.parametrize("user", ["admin", "clerk"])
def test_household_list_costs_the_same_queries_for_2_or_25_households(
    world, login, django_assert_num_queries, user
):
    client = login(getattr(world.a, user))
    target = url("household-list", world.a.township)
    client.get(target)  # warm caches (content types, translations)
    with CaptureQueriesContext(connection) as two:
        assert client.get(target).context["page"].paginator.count == (2 if user == "admin" else 1)
    _populate(world.a.areas[0], 23)
    with django_assert_num_queries(len(two)):
        response = client.get(target)
    assert response.context["page"].paginator.count == (25 if user == "admin" else 24)
    assert len(two) <= 14  # 12, and the points (this year's schemes) and stars of the page's households


def test_membership_list_costs_the_same_queries_for_few_or_many_members(
    world, login, django_assert_num_queries
):
    client = login(world.a.admin)
    target = url("membership-list", world.a.township)
    client.get(target)
    with CaptureQueriesContext(connection) as few:
        client.get(target)
    for n in range(20):
        MembershipFactory(
            user=UserFactory(username=f"extra{n}"), township=world.a.township, role=Role.VILLAGE_CLERK,
            villages=[world.a.villages[n % 2]],
        )  # fmt: skip
    with django_assert_num_queries(len(few)):
        client.get(target)


# Residents ------------------------------------------------------------------------------------------------------


def test_clerk_adds_a_member(world, login):
    household = world.a.households[0]
    data = {"name": "张小红", "gender": "female", "birth_year": "2010"}
    response = login(world.a.clerk).post(url("resident-create", world.a.township, pk=household.pk), data)
    member = household.members.get(name="张小红")
    assert response.status_code == 302
    assert (member.gender, member.birth_year, member.is_head, member.township_id) == (
        "female", 2010, False, world.a.township.pk,
    )  # fmt: skip


def test_a_new_head_replaces_the_old_one(world, login):
    household = world.a.households[0]
    login(world.a.clerk).post(
        url("resident-create", world.a.township, pk=household.pk), {"name": "张大明", "is_head": "on"}
    )
    assert list(household.members.filter(is_head=True).values_list("name", flat=True)) == ["张大明"]


def test_clerk_edits_a_member(world, login):
    resident = world.a.resident
    data = {
        "name": "张三明",
        "is_head": "on",
        "gender": "male",
        "birth_year": "1949",
        "mobile": "13700137000",
    }
    response = login(world.a.clerk).post(url("resident-edit", world.a.township, pk=resident.pk), data)
    resident.refresh_from_db()
    assert response.status_code == 302
    # A new mobile number replaces the old one; the empty ID box keeps the stored ID number.
    assert (resident.mobile, resident.id_number, resident.birth_year) == (
        "13700137000",
        "11010519491231002X",
        1949,
    )


def test_member_edit_page_never_shows_the_full_id_or_mobile_number(world, login):
    page = login(world.a.clerk).get(url("resident-edit", world.a.township, pk=world.a.resident.pk))
    text = page.content.decode()
    assert "11010519491231002X" not in text and "13800138000" not in text
    assert "110105********002X" in text and "138****8000" in text


def test_stored_id_number_can_be_deleted_on_purpose(world, login):
    resident = world.a.resident
    data = {"name": "张三明", "is_head": "on", "clear_id_number": "on"}
    login(world.a.clerk).post(url("resident-edit", world.a.township, pk=resident.pk), data)
    resident.refresh_from_db()
    assert (resident.id_number, resident.mobile) == ("", "13800138000")


def test_clerk_ends_a_member_with_a_reason_and_the_row_is_kept(world, login):
    resident = world.a.resident
    client = login(world.a.clerk)
    target = url("resident-remove", world.a.township, pk=resident.pk)
    before = snapshot()
    assert client.post(target, {"reason": "other", "ended_on": "2026-01-05"}).status_code == 200  # no note
    assert snapshot() == before
    response = client.post(target, {"reason": "other", "ended_on": "2026-01-05", "note": "迁出本镇"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (str(resident.ended_on), resident.end_reason, resident.end_note) == (
        "2026-01-05",
        "other",
        "迁出本镇",
    )
    assert Resident.history.filter(id=resident.pk).first().history_change_reason == "迁出本镇"


# Memberships ----------------------------------------------------------------------------------------------------


def test_membership_list_shows_this_townships_members_only(world, login):
    page = login(world.a.admin).get(url("membership-list", world.a.township)).content.decode()
    assert "a-village_clerk" in page and "a-supervisor" in page
    assert "b-village_clerk" not in page and "b-township_admin" not in page


def test_admin_grants_a_role_to_an_existing_user(world, login):
    outsider = world.b.clerk  # a user of township B may also work in A
    data = {"username": outsider.username, "role": Role.PANEL_MEMBER, "villages": [world.a.villages[1].pk]}
    response = login(world.a.admin).post(url("membership-grant", world.a.township), data)
    membership = Membership.objects.get(user=outsider, township=world.a.township)
    assert response.status_code == 302
    assert (membership.role, list(membership.villages.all())) == (Role.PANEL_MEMBER, [world.a.villages[1]])
    assert outsider.check_password(PASSWORD)  # untouched


def test_admin_creates_a_new_account_with_a_first_password(world, login):
    data = {"username": "xiaowang", "password": "Dongcun-2026-pw", "role": Role.VILLAGE_CLERK,
            "villages": [world.a.villages[0].pk]}  # fmt: skip
    login(world.a.admin).post(url("membership-grant", world.a.township), data)
    user = User.objects.get(username="xiaowang")
    assert user.check_password("Dongcun-2026-pw")
    assert Membership.objects.get(user=user).role == Role.VILLAGE_CLERK
    response = Client().post(reverse("login"), {"username": "xiaowang", "password": "Dongcun-2026-pw"})
    # the office knows this password: the owner chooses their own first (households.people)
    assert (response.status_code, response["Location"]) == (302, reverse("password_change"))


def test_password_of_an_existing_account_is_never_set_by_the_grant_form(world, login):
    before = snapshot()
    data = {"username": world.b.admin.username, "password": "Takeover-2026-pw", "role": Role.SUPERVISOR}
    response = login(world.a.admin).post(url("membership-grant", world.a.township), data)
    assert "password" in response.context["form"].errors
    assert snapshot() == before


def test_new_account_needs_a_password_and_a_clerk_needs_villages(world, login):
    client = login(world.a.admin)
    before = snapshot()
    response = client.post(
        url("membership-grant", world.a.township), {"username": "nopass", "role": Role.SUPERVISOR}
    )
    assert "password" in response.context["form"].errors
    response = client.post(
        url("membership-grant", world.a.township),
        {"username": "novillage", "password": "Dongcun-2026-pw", "role": Role.VILLAGE_CLERK},
    )
    assert response.context["form"].errors["villages"] == ["请选择该成员负责的村。"]
    assert snapshot() == before  # the account is not created either


def test_weak_password_is_refused(world, login):
    before = snapshot()
    data = {"username": "weak", "password": "12345678", "role": Role.SUPERVISOR}
    response = login(world.a.admin).post(url("membership-grant", world.a.township), data)
    assert "password" in response.context["form"].errors
    assert snapshot() == before


def test_revoked_member_is_refused_on_their_very_next_request(world, login):
    clerk_client = client_for(world.a.clerk)
    home = url("township-home", world.a.township)
    assert clerk_client.get(home).status_code == 200
    membership = Membership.objects.get(user=world.a.clerk)
    response = login(world.a.admin).post(url("membership-revoke", world.a.township, pk=membership.pk))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert clerk_client.get(home).status_code == 404
    assert (
        clerk_client.get(url("household-detail", world.a.township, pk=world.a.households[0].pk)).status_code
        == 404
    )


def test_changed_role_applies_on_the_next_request(world, login):
    clerk_client = client_for(world.a.clerk)
    target = url("household-create", world.a.township)
    assert clerk_client.get(target).status_code == 200
    data = {"username": world.a.clerk.username, "role": Role.SUPERVISOR}
    login(world.a.admin).post(url("membership-grant", world.a.township), data)
    assert clerk_client.get(target).status_code == 403


def test_admin_cannot_revoke_their_own_membership(world, login):
    before = snapshot()
    own = Membership.objects.get(user=world.a.admin)
    response = login(world.a.admin).post(url("membership-revoke", world.a.township, pk=own.pk))
    assert response.status_code == 302
    assert snapshot() == before


def test_change_link_prefills_the_current_role(world, login):
    response = login(world.a.admin).get(
        url("membership-grant", world.a.township), {"username": "a-village_clerk"}
    )
    initial = response.context["form"].initial
    assert (initial["role"], initial["villages"]) == (Role.VILLAGE_CLERK, [world.a.villages[0]])
