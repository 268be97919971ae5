import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_login_page_switches_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Log in" in client.get(reverse("login")).content.decode()


def test_member_logs_in_and_lands_in_their_township(client, world):
    response = client.post(reverse("login"), {"username": world.a.clerk.username, "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home["Location"] == f"/t/{world.a.township.slug}/"


def test_anonymous_user_is_sent_to_login(client, world):
    response = client.get(f"/t/{world.a.township.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_repeated_failed_logins_lock_the_account(client, world):
    username = world.a.clerk.username
    for _ in range(5):
        client.post(reverse("login"), {"username": username, "password": "wrong-password"})
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(client, world):
    client.force_login(world.a.clerk)
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_password_change_needs_the_old_password(client, world):
    client.force_login(world.a.clerk)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "not-it",
            "new_password1": "a-much-longer-passphrase-2026",
            "new_password2": "a-much-longer-passphrase-2026",
        },
    )
    assert response.status_code == 200
    world.a.clerk.refresh_from_db()
    assert world.a.clerk.check_password(PASSWORD)


def test_deactivated_user_loses_access_on_next_request(client, world):
    client.force_login(world.a.admin)
    world.a.admin.is_active = False
    world.a.admin.save()
    response = client.get(f"/t/{world.a.township.slug}/")
    assert response.status_code == 302  # AuthenticationMiddleware drops an inactive user: back to login
