"""Villages and areas list in the order a clerk counts them: 一组 < 二组 < 三组 < 十组 < 十一组 (issue 17.4)."""

import pytest
from django.urls import reverse

from core.natural import natural_key
from core.tenancy import township_scope
from households.models import Area, Household, Village
from households.selectors import area_choices
from tests.contract import member
from tests.factories import AreaFactory, HouseholdFactory

ORDER = ["一组", "二组", "三组", "四组", "五组", "十组", "十一组", "二十组"]


def test_chinese_numerals_and_digits_sort_by_their_value():
    shuffled = ["五组", "十一组", "一组", "十组", "三组", "二十组", "四组", "二组"]
    assert sorted(shuffled, key=natural_key) == ORDER
    assert sorted(["10组", "2组", "１组"], key=natural_key) == ["１组", "2组", "10组"]
    assert sorted(["初一(10)班", "初一(3)班", "初二(1)班"], key=natural_key) == [
        "初一(3)班",
        "初一(10)班",
        "初二(1)班",
    ]
    assert natural_key("一百零五户") == natural_key("105户")
    assert natural_key("东村") == "东村"


@pytest.mark.django_db
def test_areas_villages_and_households_list_in_natural_order_and_a_rename_keeps_it(world, login):
    a = world.a
    east = a.villages[0]
    with township_scope(a.township):
        for n, name in enumerate(["五组", "十一组", "十组", "三组", "二十组", "四组", "二组"]):
            area = AreaFactory(village=east, township=a.township, name=name)
            HouseholdFactory(area=area, number=f"A-9{n}")
        Village.objects.create(township=a.township, name="十村")
        Village.objects.create(township=a.township, name="二村")
        assert [area.name for area in Area.objects.filter(village=east)] == ORDER
        assert [area.name for area in area_choices(member(a.admin)) if area.village_id == east.pk] == ORDER
        households = Household.objects.filter(village=east)
        assert [household.area.name for household in households] == ORDER
        names = list(Village.objects.values_list("name", flat=True))
        assert names.index("二村") < names.index("十村")
        renamed = Area.objects.get(village=east, name="二十组")
        renamed.name = "六组"
        renamed.save(update_fields=["name"])
        assert [area.name for area in Area.objects.filter(village=east)][5] == "六组"
    page = login(a.admin).get(reverse("households:household-list", kwargs={"township_slug": a.township.slug}))
    body = page.content.decode()
    positions = [body.index(f"a东村 · {name}<") for name in ["一组", "二组", "三组", "十组", "十一组"]]
    assert positions == sorted(positions)
