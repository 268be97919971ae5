"""The township office's people (issue 16, item 1): accounts created with a one-time password shown once and
replaced at the first sign-in, resets, deactivation, roles on the person's page — and never across townships."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from core.errors import DomainError
from core.tenancy import township_scope
from households import people
from households.models import LoginAccount, Membership, Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
User = get_user_model()


def url(name: str, township, **kwargs) -> str:
    return reverse(f"households:{name}", kwargs={"township_slug": township.slug, **kwargs})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def accounts() -> list:
    """Every account and membership, in both townships: what a refused act must leave alone."""
    return [
        sorted(User.objects.values_list("pk", "username", "password", "is_active", "first_name")),
        sorted(Membership.objects.values_list("pk", "user_id", "township_id", "role")),
        sorted(LoginAccount.objects.values_list("pk", "user_id", "must_change_password", "act")),
    ]


def _member(user) -> Membership:
    return Membership.objects.get(user=user)


# Services ---------------------------------------------------------------------------------------------------------


def test_a_new_person_gets_a_one_time_password_stored_only_as_a_hash(world):
    admin = _member(world.a.admin)
    with township_scope(world.a.township):
        granted, password = people.create_person(
            membership=admin,
            name="王小红",
            username="wang-xiaohong",
            role=Role.VILLAGE_CLERK,
            villages=[world.a.villages[0]],
        )
    user = User.objects.get(username="wang-xiaohong")
    assert (granted.user, granted.role, user.first_name) == (user, Role.VILLAGE_CLERK, "王小红")
    assert user.check_password(password) and password not in user.password
    account = LoginAccount.objects.get(user=user)
    assert (account.must_change_password, account.act, account.changed_by) == (True, "created", world.a.admin)
    assert account.history.get().history_user == world.a.admin


def test_one_time_passwords_differ_and_pass_the_password_rules(world):
    from django.contrib.auth.password_validation import validate_password

    passwords = {people.one_time_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in list(passwords)[:5]:
        validate_password(password, User(username="someone"))  # raises if too weak


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": " ", "username": "new-one", "role": Role.SUPERVISOR}, "name"),
        ({"name": "周五", "username": "a-village_clerk", "role": Role.SUPERVISOR}, "username"),
        ({"name": "周五", "username": "new-one", "role": Role.VILLAGE_CLERK}, "villages"),
        ({"name": "周五", "username": "new-one", "role": Role.HEAD_TEACHER}, "role"),
    ],
)
def test_bad_input_for_a_new_person_writes_nothing(world, fields, field):
    before = accounts()
    with township_scope(world.a.township), pytest.raises(DomainError) as refused:
        people.create_person(membership=_member(world.a.admin), **fields)
    assert refused.value.field == field
    assert accounts() == before


def test_the_username_suggestion_skips_taken_names(world):
    UserFactory(username="town-a-clerk-1")
    assert people.suggest_username(world.a.township, Role.VILLAGE_CLERK) == "town-a-clerk-2"
    assert people.suggest_username(world.a.township, Role.GRID_WORKER) == "town-a-worker-1"


def test_reset_gives_a_new_one_time_password_and_records_who_and_why(world):
    with township_scope(world.a.township):
        password = people.reset_password(
            membership=_member(world.a.admin), user=world.a.clerk, reason="忘记密码"
        )
    world.a.clerk.refresh_from_db()
    assert world.a.clerk.check_password(password) and not world.a.clerk.check_password(PASSWORD)
    record = LoginAccount.history.filter(user=world.a.clerk).latest("history_date")
    assert (record.act, record.note, record.history_user, record.must_change_password) == (
        "password_reset",
        "忘记密码",
        world.a.admin,
        True,
    )


def test_an_office_cannot_reset_or_deactivate_itself_a_superuser_or_a_stranger(world):
    admin = _member(world.a.admin)
    root = UserFactory(username="root", is_superuser=True)
    MembershipFactory(user=root, township=world.a.township, role=Role.SUPERVISOR)
    before = accounts()
    with township_scope(world.a.township):
        with pytest.raises(DomainError):
            people.deactivate_person(membership=admin, user=world.a.admin, reason="试试")
        with pytest.raises(PermissionDenied):
            people.reset_password(membership=admin, user=root, reason="试试")
        with pytest.raises(PermissionDenied):  # B's clerk has no membership in A
            people.deactivate_person(membership=admin, user=world.b.clerk, reason="试试")
    assert accounts() == before


def test_an_account_shared_with_another_township_is_not_deactivated_by_one_of_them(world):
    MembershipFactory(user=world.b.clerk, township=world.a.township, role=Role.SUPERVISOR)
    before = accounts()
    with township_scope(world.a.township), pytest.raises(DomainError) as refused:
        people.deactivate_person(membership=_member(world.a.admin), user=world.b.clerk, reason="离任")
    assert refused.value.code == "shared_account"
    assert "end their membership" in refused.value.message or "结束" in refused.value.message
    assert accounts() == before


def test_deactivation_needs_a_reason_and_is_undone_by_reactivation(world):
    admin = _member(world.a.admin)
    with township_scope(world.a.township):
        with pytest.raises(DomainError):
            people.deactivate_person(membership=admin, user=world.a.clerk, reason=" ")
        people.deactivate_person(membership=admin, user=world.a.clerk, reason="离任")
        world.a.clerk.refresh_from_db()
        assert not world.a.clerk.is_active
        people.reactivate_person(membership=admin, user=world.a.clerk, reason="返任")
    world.a.clerk.refresh_from_db()
    assert world.a.clerk.is_active
    acts = list(
        LoginAccount.history.filter(user=world.a.clerk).order_by("history_date").values_list("act", "note")
    )
    assert acts == [("deactivated", "离任"), ("reactivated", "返任")]


# Pages ------------------------------------------------------------------------------------------------------------


def test_the_one_time_password_is_shown_once_and_never_again(world):
    admin = client_for(world.a.admin)
    data = {
        "name": "赵六",
        "username": "zhao-liu",
        "role": Role.VILLAGE_CLERK,
        "villages": [world.a.villages[0].pk],
    }
    response = admin.post(url("person-create", world.a.township), data)
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    target = Membership.objects.get(user__username="zhao-liu")
    for page in [url("person-detail", world.a.township, pk=target.pk), url("people-list", world.a.township)]:
        assert password not in admin.get(page).content.decode()
    assert password not in str(list(LoginAccount.history.values()))


def test_first_sign_in_with_a_one_time_password_must_set_an_own_password(world):
    with township_scope(world.a.township):
        _granted, password = people.create_person(
            membership=_member(world.a.admin), name="钱七", username="qian-qi", role=Role.SUPERVISOR
        )
    client = Client()
    response = client.post(reverse("login"), {"username": "qian-qi", "password": password})
    assert response["Location"] == reverse("password_change")
    home = url("township-home", world.a.township)
    assert client.get(home)["Location"] == reverse("password_change")  # every page leads there first
    api = client.get(f"/api/v1/t/{world.a.township.slug}/households/")  # the API answers, in JSON, why not
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    own = "Qianqi-own-2026"
    data = {"old_password": password, "new_password1": own, "new_password2": own}
    assert client.post(reverse("password_change"), data).status_code == 302
    assert client.get(home).status_code == 200
    assert not LoginAccount.objects.get(user__username="qian-qi").must_change_password
    assert Client().post(reverse("login"), {"username": "qian-qi", "password": own})["Location"] == reverse(
        "home"
    )


def test_a_reset_ends_the_users_session_and_shows_the_new_password_once(world):
    clerk = client_for(world.a.clerk)
    home = url("township-home", world.a.township)
    assert clerk.get(home).status_code == 200
    target = _member(world.a.clerk)
    response = client_for(world.a.admin).post(
        url("person-reset-password", world.a.township, pk=target.pk), {"reason": "忘记密码"}
    )
    assert response.status_code == 200 and response.context["password"] in response.content.decode()
    assert clerk.get(home).status_code == 302  # signed out: back to the login page


def test_a_deactivated_user_is_refused_on_the_next_request(world):
    clerk = client_for(world.a.clerk)
    home = url("township-home", world.a.township)
    target = _member(world.a.clerk)
    client_for(world.a.admin).post(url("person-active", world.a.township, pk=target.pk), {"reason": "离任"})
    world.a.clerk.refresh_from_db()
    assert not world.a.clerk.is_active
    assert clerk.get(home).status_code == 302
    assert (
        Client()
        .post(reverse("login"), {"username": world.a.clerk.username, "password": PASSWORD})
        .status_code
        == 200
    )


def test_deactivating_oneself_is_refused_on_the_page(world):
    own = _member(world.a.admin)
    before = accounts()
    response = client_for(world.a.admin).post(
        url("person-active", world.a.township, pk=own.pk), {"reason": "试试"}, follow=True
    )
    assert "不能对自己的账号" in response.content.decode()
    assert accounts() == before


def test_a_shared_account_gets_a_clear_message_and_stays_active(world):
    shared = MembershipFactory(user=world.b.clerk, township=world.a.township, role=Role.SUPERVISOR)
    before = accounts()
    response = client_for(world.a.admin).post(
        url("person-active", world.a.township, pk=shared.pk), {"reason": "离任"}, follow=True
    )
    assert "同时在其他乡镇任职" in response.content.decode()
    assert accounts() == before


def test_another_townships_people_are_not_found(world):
    admin_a = client_for(world.a.admin)
    b_clerk = _member(world.b.clerk)
    before = accounts()
    for name in ["person-detail", "person-reset-password", "person-active"]:
        assert admin_a.get(url(name, world.a.township, pk=b_clerk.pk)).status_code == 404
        assert admin_a.post(url(name, world.a.township, pk=b_clerk.pk), {"reason": "x"}).status_code == 404
    assert accounts() == before
    page = admin_a.get(url("people-list", world.a.township)).content.decode()
    assert "a-village_clerk" in page and "b-village_clerk" not in page


def test_only_the_township_office_manages_people(world):
    target = _member(world.a.panel)
    for user in [world.a.clerk, world.a.supervisor]:
        client = client_for(user)
        assert client.get(url("people-list", world.a.township)).status_code == 403
        assert (
            client.post(url("person-active", world.a.township, pk=target.pk), {"reason": "x"}).status_code
            == 403
        )


def test_people_list_searches_and_shows_last_sign_in(world):
    Client().post(reverse("login"), {"username": world.a.clerk.username, "password": PASSWORD})
    admin = client_for(world.a.admin)
    page = admin.get(url("people-list", world.a.township), {"q": "clerk"}).content.decode()
    assert "a-village_clerk" in page and "a-supervisor" not in page
    assert "从未登录" in admin.get(url("people-list", world.a.township), {"q": "supervisor"}).content.decode()
    assert admin.get(url("people-list", world.a.township), {"q": "x\x00"}).status_code == 200


def test_people_list_makes_a_constant_number_of_queries(world, django_assert_max_num_queries):
    admin = client_for(world.a.admin)
    admin.get(url("people-list", world.a.township))  # warm the session and caches
    for n in range(12):
        user = UserFactory(username=f"extra-{n}")
        MembershipFactory(
            user=user, township=world.a.township, role=Role.VILLAGE_CLERK, villages=world.a.villages
        )
    with django_assert_max_num_queries(14):
        assert admin.get(url("people-list", world.a.township)).status_code == 200


def test_the_role_and_villages_change_on_the_persons_page(world):
    target = _member(world.a.clerk)
    data = {"role": Role.VILLAGE_CLERK, "villages": [v.pk for v in world.a.villages]}
    response = client_for(world.a.admin).post(url("person-detail", world.a.township, pk=target.pk), data)
    assert response.status_code == 302
    assert set(_member(world.a.clerk).villages.all()) == set(world.a.villages)
    page = (
        client_for(world.a.admin).get(url("person-detail", world.a.township, pk=target.pk)).content.decode()
    )
    assert "a西村" in page


def test_the_role_form_offers_the_roles_of_the_kind_of_organisation(world):
    target = _member(world.a.clerk)
    response = client_for(world.a.admin).get(url("person-detail", world.a.township, pk=target.pk))
    roles = [value for value, _label in response.context["form"].fields["role"].choices]
    assert Role.VILLAGE_CLERK in roles and Role.HEAD_TEACHER not in roles
