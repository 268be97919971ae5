"""The oversight pages: who may open them, what they show, exports, and the county view's limits."""

import io
import subprocess

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from core.models import Job, JobState
from households.models import Role
from tests.factories import MembershipFactory, TownshipFactory, UserFactory, VillageFactory


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name, township=None, **kwargs):
    if township is not None:
        kwargs["township_slug"] = township.slug
    return reverse(f"oversight:{name}", kwargs=kwargs)


def text(response) -> str:
    return response.content.decode()


def test_township_office_sees_the_dashboard_with_every_village_and_chart(dash):
    response = client_for(dash.admin).get(url("dashboard", dash.township), {"year": 2026})
    body = text(response)

    assert response.status_code == 200
    for expected in (
        "a东村",
        "a西村",
        "83.3",
        "61.2",
        "60.7",
        "公示",
        "环境整治",
        "<svg",
        "总分分布",
        "各类别平均分",
    ):
        assert expected in body, expected
    assert "已发布的星级评定" in body  # which rating the stars come from
    assert "<style" not in body and 'style="' not in body


def test_village_page_shows_areas_the_biggest_losers_and_the_alerts(dash):
    response = client_for(dash.a.clerk).get(
        url("village", dash.township, pk=dash.v1.pk), {"year": 2026, "quarter": 2}
    )
    body = text(response)

    assert response.status_code == 200
    for expected in ("一组", "二组", "A-001", "A-004", "乱堆乱放", "约谈户主", "<svg", "2026-Q2", "公示中"):
        assert expected in body, expected


@pytest.mark.parametrize("role", ["admin", "supervisor", "county"])
def test_whole_township_members_open_the_dashboard(dash, role):
    assert client_for(getattr(dash.a, role)).get(url("dashboard", dash.township)).status_code == 200


def test_a_clerk_sees_only_their_own_villages(dash):
    body = text(client_for(dash.a.clerk).get(url("dashboard", dash.township), {"year": 2026}))

    assert "a东村" in body and "a西村" not in body
    assert client_for(dash.a.clerk).get(url("village", dash.township, pk=dash.v2.pk)).status_code == 404


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("dashboard", {}),
        ("dashboard-xlsx", {}),
        ("dashboard-pdf", {}),
        ("village", {"pk": "v1"}),
        ("village-xlsx", {"pk": "v1"}),
        ("village-pdf", {"pk": "v1"}),
    ],
)
def test_a_user_of_another_township_gets_404(dash, name, kwargs):
    outsider = client_for(dash.world.b.admin)
    kwargs = dict.fromkeys(kwargs, dash.v1.pk)
    send = outsider.post if name.endswith("-pdf") else outsider.get

    assert send(url(name, dash.township, **kwargs) + "?year=2026").status_code == 404
    if kwargs:  # their own township's slug with A's village
        assert send(url(name, dash.world.b.township, **kwargs) + "?year=2026").status_code == 404
    assert not Job.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(dash):
    response = Client().get(url("dashboard", dash.township))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = Client().get(url("county"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def read_workbook(response):
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_every_table_of_the_dashboard_downloads_as_xlsx(dash):
    response = client_for(dash.admin).get(url("dashboard-xlsx", dash.township), {"year": 2026})
    book = read_workbook(response)

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert book.sheetnames == ["概览", "各类别平均分", "季度趋势", "评议轮次", "总分分布"]
    overview = [[c.value for c in row] for row in book["概览"].iter_rows(min_row=4)]
    assert overview[0][:6] == ["a东村", 5, 4, 3, 75.0, 60.7]
    assert overview[2][:6] == ["合计", 7, 6, 5, 83.3, 61.2]


def test_village_xlsx_has_the_losers_and_the_alerts(dash):
    response = client_for(dash.a.clerk).get(
        url("village-xlsx", dash.township, pk=dash.v1.pk), {"year": 2026, "quarter": 2}
    )
    book = read_workbook(response)

    losers = [[c.value for c in row] for row in book.worksheets[5].iter_rows(min_row=4)]
    assert [row[0] for row in losers] == ["A-001", "A-004"]
    alerts = [[c.value for c in row] for row in book.worksheets[6].iter_rows(min_row=4)]
    assert alerts[0][:4] == ["A-001", "乱堆乱放", "2026-Q2", 2]


def embeds_cjk_font(content: bytes) -> bool:
    fonts = subprocess.run(["pdffonts", "-"], input=content, capture_output=True, check=True).stdout.decode()  # noqa: S607
    return any("NotoSansCJK" in line.replace("-", "") and " yes " in line for line in fonts.splitlines())


def test_yearly_reports_are_pdf_jobs_with_the_charts_and_the_chinese_font(
    dash, django_capture_on_commit_callbacks
):
    client = client_for(dash.admin)
    targets = (url("dashboard-pdf", dash.township), url("village-pdf", dash.township, pk=dash.v1.pk))
    for target in targets:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(target + "?year=2026&quarter=2")
        job = Job.objects.latest("pk")
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "households:job-detail", kwargs={"township_slug": dash.township.slug, "pk": job.pk}
        )
        job.refresh_from_db()
        assert (job.kind, job.state, job.created_by) == ("oversight_report", JobState.DONE, dash.admin)
        content = job.file.read()
        assert content.startswith(b"%PDF") and embeds_cjk_font(content)
        text_of = subprocess.run(
            ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
        ).stdout.decode()  # noqa: S607
        assert "年度总分分布" in text_of and "各类别平均分" in text_of and "季度趋势" in text_of  # the charts
    assert job.params == {"year": 2026, "village_id": dash.v1.pk, "quarter": 2}


def test_a_report_is_asked_for_with_a_post(dash):
    assert client_for(dash.admin).get(url("dashboard-pdf", dash.township)).status_code == 405
    assert not Job.objects.exists()


def test_a_county_viewers_village_report_has_no_households(dash, django_capture_on_commit_callbacks):
    client = client_for(dash.a.county)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("village-pdf", dash.township, pk=dash.v1.pk) + "?year=2026&quarter=2")
    content = Job.objects.get().file.read()
    text_of = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()  # noqa: S607

    assert "一组" in text_of and "A-001" not in text_of and "约谈户主" not in text_of


# The county view -----------------------------------------------------------------------------------------------


def test_county_view_compares_only_the_viewers_townships(dash):
    other = TownshipFactory(slug="town-c", name="C镇")
    VillageFactory(township=other, name="c村")
    MembershipFactory(user=dash.a.county, township=other, role=Role.COUNTY_VIEWER)
    response = client_for(dash.a.county).get(url("county"), {"year": 2026})
    body = text(response)

    assert response.status_code == 200
    assert "A镇" in body and "C镇" in body and "a东村" in body
    assert "B镇" not in body and "b东村" not in body  # township B is not theirs


def test_county_view_shows_no_household_data(dash):
    body = text(client_for(dash.a.county).get(url("county"), {"year": 2026}))

    for personal in ("A-001", "A-003", "张三明", "李四", "13800138000", "11010519491231002X", "周九"):
        assert personal not in body, personal


def test_county_view_is_not_found_for_users_who_are_not_county_viewers(dash):
    for user in (dash.admin, dash.a.supervisor, dash.a.clerk, UserFactory(username="nobody")):
        assert client_for(user).get(url("county")).status_code == 404


def test_county_xlsx_has_the_townships(dash):
    book = read_workbook(client_for(dash.a.county).get(url("county-xlsx"), {"year": 2026}))
    overview = [[c.value for c in row] for row in book.worksheets[0].iter_rows(min_row=4)]

    assert overview[0][:6] == ["A镇", 7, 6, 5, 83.3, 61.2]
    categories = [[c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=4)]
    assert categories == [["A镇", "环境整治", 40, 40, None], ["A镇", "党的建设", 20, 21.2, None]]


def test_county_viewer_gets_the_village_figures_without_households(dash):
    response = client_for(dash.a.county).get(
        url("village", dash.township, pk=dash.v1.pk), {"year": 2026, "quarter": 2}
    )
    body = text(response)

    assert response.status_code == 200 and "一组" in body
    assert "A-001" not in body and "约谈户主" not in body


def test_the_dashboard_shows_supermarket_participation_and_the_budget(dash_rewards):
    client = client_for(dash_rewards.admin)
    body = text(client.get(url("dashboard", dash_rewards.township), {"year": 2026}))
    village = text(client.get(url("village", dash_rewards.township, pk=dash_rewards.v1.pk), {"year": 2026}))
    book = read_workbook(client.get(url("dashboard-xlsx", dash_rewards.township), {"year": 2026}))
    header = [c.value for c in book["概览"][3]]
    east = [c.value for c in book["概览"][4]]

    assert "积分超市：兑换户比例（%）" in body and "66.7" in body and "40.0" in body
    assert "66.7 %" in village and "12.50 / 7.00 / 3.00" in village
    assert east[header.index("积分超市：兑换户比例（%）")] == 66.7
    assert east[header.index("奖励资金结余（元）")] == 3.0


def test_a_township_without_a_scheme_says_so(world):
    response = client_for(world.b.admin).get(url("dashboard", world.b.township))

    assert response.status_code == 200 and "尚无积分方案" in text(response)
    assert client_for(world.b.admin).get(url("dashboard-xlsx", world.b.township)).status_code == 404


@pytest.mark.parametrize("params", [{"year": 2030}, {"year": "abcd"}, {"year": "20261"}, {"quarter": "9"}])
def test_odd_years_and_quarters_never_fail(dash, params):
    client = client_for(dash.admin)

    assert client.get(url("dashboard", dash.township), params).status_code == 200
    assert client.get(url("village", dash.township, pk=dash.v1.pk), params).status_code == 200
    assert client.get(url("dashboard-xlsx", dash.township), params).status_code == 200


def test_a_year_without_a_scheme_shows_the_villages_with_no_figures(dash):
    body = text(client_for(dash.admin).get(url("dashboard", dash.township), {"year": 2030}))

    assert "2030年：本年度没有积分方案。" in body and "a东村" in body
