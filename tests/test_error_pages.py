"""Chinese error pages (issue 17.5): a refused, a missing and a failed page answer in the user's language, with a
way back, instead of Django's bare English "403 Forbidden" / "Not Found" / "Server Error"."""

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_a_page_the_role_may_not_use_answers_a_chinese_403_with_a_way_back(world, login):
    response = login(world.a.clerk).get(reverse("households:membership-list", args=["town-a"]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权操作" in page and "您的角色无权进行此操作" in page and "Forbidden" not in page
    assert 'href="/"' in page  # a way back


def test_an_unknown_address_and_another_townships_record_answer_the_same_chinese_404(world, login):
    client = login(world.a.clerk)
    for url in (
        "/t/town-a/no-such-page/",
        reverse("households:household-detail", args=["town-a", world.b.households[0].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404
        page = response.content.decode()
        assert "找不到这个页面" in page and "Not Found" not in page
        assert world.b.households[0].number not in page


def test_the_404_speaks_english_to_an_english_reader(client):
    client.cookies["django_language"] = "en"
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_a_server_error_page_renders_without_a_request_context_or_the_database():
    request = RequestFactory().get("/t/town-a/")
    response = defaults.server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "出错了" in page and "没有保存" in page and "Server Error" not in page


def test_an_expired_form_answers_a_chinese_403_that_says_nothing_was_saved():
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "表单已过期" in page and "没有保存任何内容" in page


def test_every_page_names_the_favicon_and_the_files_exist(client):
    page = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in page and "img/favicon.svg" in page and "img/favicon.ico" in page
    assert finders.find("img/favicon.svg") and finders.find("img/favicon.ico")
