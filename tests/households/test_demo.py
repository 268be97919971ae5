import pytest
from django.core.management import call_command

from demonstration.models import Call, Region
from households.models import Household, Membership, Resident, Role, Village
from publicity.models import ParentComment
from review.models import PanelMember, ReviewPanel, ReviewRound, WeeklySummary
from rewards.models import Budget, Product, Redemption, RewardAllocation, Shop, StarRun
from scoring.models import Entry

pytestmark = pytest.mark.django_db


def _counts():
    return {
        "villages": Village.objects.count(),
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "memberships": Membership.objects.count(),
        "panels": ReviewPanel.objects.count(),
        "panel_members": PanelMember.objects.count(),
        "household_history": Household.history.count(),
        "resident_history": Resident.history.count(),
        "entries": Entry.objects.count(),
        "approved": Entry.objects.filter(state="approved").count(),
        "star_runs": StarRun.objects.filter(state="published").count(),
        "budgets": Budget.objects.count(),
        "allocations": RewardAllocation.objects.count(),
        "shops": Shop.objects.count(),
        "products": Product.objects.count(),
        "redemptions": Redemption.objects.count(),
        "summaries": WeeklySummary.objects.count(),
        "comments": ParentComment.objects.count(),
    }


def test_seed_demo_builds_a_township_and_a_second_run_changes_nothing(capsys):
    call_command("seed_demo")
    first = _counts()
    output = capsys.readouterr().out
    call_command("seed_demo")
    assert _counts() == first
    assert "nothing changed" in capsys.readouterr().out
    township = {
        "township__slug": "qingshan"
    }  # the demo school (shiyan) is tested in tests/scoring/test_demo.py
    assert Village.objects.filter(**township).count() == 3
    assert Household.objects.filter(**township).count() == 300  # 10 areas × 30
    assert first["residents"] > first["households"]
    assert first["panels"] == 6 and first["panel_members"] == 30
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)  # the township's roles and the school's
    for username in (
        "demo-admin",
        "demo-clerk",
        "demo-panel",
        "demo-supervisor",
        "demo-county",
        "demo-teacher",
    ):
        assert username in output
    assert Resident.objects.filter(is_head=True, **township).count() == 300
    entries = Entry.objects.filter(**township)
    assert entries.count() > 100 and entries.filter(state="approved").count() == entries.count()
    # Rewards: the rating published, rewards allocated in each village's budget, a supermarket per village.
    assert first["star_runs"] == 1 and first["budgets"] == 3 and first["allocations"] > 0
    # 青山镇's three supermarkets with five goods each, and 河东村's with one (the programme's second township).
    assert first["shops"] == 4 and first["products"] == 16 and first["redemptions"] > 0
    # The demo school's November: four weekly summaries filed and posted; three notices ended and approved, the
    # last one on notice; the parent's comment on November's report.
    school = {"township__slug": "shiyan"}
    summaries = WeeklySummary.objects.filter(**school)
    assert summaries.count() == 4 and set(summaries.values_list("state", flat=True)) == {"filed"}
    notices = ReviewRound.objects.filter(pk__in=summaries.values("notice_round"))
    assert sorted(notices.values_list("state", flat=True)) == [
        "approved",
        "approved",
        "approved",
        "on_notice",
    ]
    week_entries = Entry.objects.filter(**school, round_link__round__in=notices)
    assert week_entries.filter(state="approved").exists() and week_entries.filter(state="proposed").exists()
    assert ParentComment.objects.filter(**school, month="2026-11").count() == 1
    # The demonstration-village programme (demonstration.demo; tested in tests/demonstration/test_demo.py): a city
    # with two counties and its complete call.
    city = Region.objects.get(kind="city")
    assert city.children.count() == 2 and Call.objects.get(region=city).state == "closed"
    assert "demo-city" in output
