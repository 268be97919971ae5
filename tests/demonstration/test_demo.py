"""The demo's programme (`seed_programme`): a city with two counties, each with a township and applying villages,
and a complete call; a second run changes nothing. Here on a stand-in for the demo township (the full `seed_demo`
runs it too: tests/households/test_demo.py)."""

from decimal import Decimal as D

import pytest
from django.core.management import call_command

from demonstration.comparison import comparison
from demonstration.models import Application, ApplicationMove, Call, CallState, Region, RegionKind
from households.models import Role
from tests.factories import MembershipFactory, TownshipFactory, UserFactory, VillageFactory

pytestmark = pytest.mark.django_db


def test_the_demo_programme_is_a_city_with_two_counties_and_a_complete_call(capsys):
    qingshan = TownshipFactory(slug="qingshan", name="青山镇")
    for name in ("青山村", "石桥村"):
        VillageFactory(township=qingshan, name=name)
    MembershipFactory(user=UserFactory(username="demo-admin"), township=qingshan, role=Role.TOWNSHIP_ADMIN)

    call_command("seed_programme")
    assert "created" in capsys.readouterr().out
    counts = (
        Region.objects.count(),
        Call.objects.count(),
        Application.objects.count(),
        ApplicationMove.objects.count(),
    )
    call_command("seed_programme")
    assert "nothing changed" in capsys.readouterr().out
    assert (Region.objects.count(), Call.objects.count(), Application.objects.count()) == counts[:3]
    assert ApplicationMove.objects.count() == counts[3]

    city = Region.objects.get(kind=RegionKind.CITY)
    assert sorted(city.children.values_list("name", flat=True)) == ["河东县", "青山县"]
    call = Call.objects.get(region=city)
    assert call.state == CallState.CLOSED
    states = dict(Application.objects.values_list("village__name", "state"))
    assert states == {
        "青山村": "awarded",
        "石桥村": "not_selected",
        "河东村": "awarded",
        "杨柳村": "not_preselected",
    }

    result = comparison(city, call)
    assert [c.county.name for c in result.counties] == ["河东县", "青山县"]
    villages = {v.name: v for v in result.counties[0].villages}
    he_dong, yang_liu = villages["河东村"], villages["杨柳村"]
    assert (he_dong.households, he_dong.households_with_entries, he_dong.participation) == (12, 10, D("83.3"))
    assert (he_dong.points_spent, he_dong.award) == (4, 250000)
    assert he_dong.redemption_share is not None and he_dong.per_resident == D("20833.33")  # 250,000 / 12
    assert (yang_liu.households_with_entries, yang_liu.points_spent) == (6, 0)

    # Issue 20's demo: the call's notices (the township's for each application it forwarded, the city's result with
    # an objection dismissed), the awarded villages' spending with a spot check, and the villages' survey answers.
    from django.utils import timezone

    from core.tenancy import dangerously_all_townships
    from demonstration.models import (
        ApplicationNotice,
        AwardCheck,
        AwardSpending,
        ResultNotice,
        ResultObjection,
        SurveyAnswer,
    )

    result_notice = ResultNotice.objects.get(call=call)
    assert result_notice.ends_at < timezone.now()
    assert list(ResultObjection.objects.values_list("state", flat=True)) == ["dismissed"]
    with dangerously_all_townships():
        assert ApplicationNotice.objects.count() == 4  # every application was posted by its township
        spending = AwardSpending.objects.filter(application__village__name="青山村")
        assert spending.exists() and AwardCheck.objects.filter(application__village__name="青山村").exists()
        answered = set(SurveyAnswer.objects.values_list("village__name", flat=True))
    assert answered == {"河东村", "杨柳村"}  # the stand-in 青山镇 here has no households to answer
    assert he_dong.survey_answers > 0 and he_dong.survey_score("satisfaction") is not None
    assert result.total.misuse_checks == 0
