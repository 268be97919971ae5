"""Cross-review on every panel decision (issue 12, item 2): inspection, declaration decision, proposal change,
objection resolution and the panel meeting's vote refuse a member who lives in the household concerned or sits on
the panel of its own area; nothing is written. The township office may override with a reason, which the round's
trail shows. rw's village: panel 1 (home 一组) inspects 二组 (h2), panel 2 (home 二组) inspects 一组 (h1)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from core.errors import DomainError
from review import services
from review.models import (
    DeclarationState,
    Inspection,
    ObjectionState,
    PanelMember,
    PanelMemberKind,
    ProposalChange,
    RoundMove,
)
from scoring.models import Entry, EntryState
from tests.review.conftest import Q1_DAY
from tests.review.test_api import Stages, as_user, snapshot
from tests.review.test_pages import client_for, page_url, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def stages(rw):
    return Stages(rw)


REASON = "本村仅两个评议小组，经镇办研究由镇办直接评定"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def overrides(round_) -> list[tuple[str, str]]:
    return list(
        RoundMove.objects.filter(round=round_, move=services.CROSS_REVIEW_OVERRIDE).values_list(
            "actor__username", "comment"
        )
    )


def live_in(rw, household, member) -> None:
    """Make the panel member a registered resident of the household."""
    head = household.members.get(is_head=True)
    head.account = member.user
    head.save()


def refused(code, call, **kwargs):
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.message
    assert snapshot() == before
    return caught.value


# Inspection ------------------------------------------------------------------------------------------------------


def test_an_inspection_by_a_member_who_also_sits_on_the_households_own_area_panel_is_refused(rw, stages):
    round_ = stages.collecting()
    inspector = rw.members2[0]  # panel 2 is assigned to 一组 …
    PanelMember.objects.create(  # … but this member also sits on panel 1, whose home is 一组
        township=rw.township, panel=rw.panel1, user=inspector.user, kind=PanelMemberKind.COMMITTEE
    )
    visit = {"round": round_, "household": rw.h1, "inspected_on": Q1_DAY, "findings": [{"item": rw.clean}]}
    error = refused("own_area", services.record_inspection, membership=inspector, **visit)
    assert "第一评议小组" in error.message and "township office may override" in error.message


def test_the_township_overrides_an_inspection_with_a_reason_shown_in_the_trail(rw, stages):
    round_ = stages.collecting()
    visit = {"round": round_, "household": rw.h1, "inspected_on": Q1_DAY, "findings": [{"item": rw.clean}]}
    with pytest.raises(PermissionDenied):  # without a reason the township office does no panel work
        services.record_inspection(membership=rw.membership(rw.admin), **visit)
    refused(  # a panel member cannot override
        "override_not_allowed",
        services.record_inspection,
        membership=rw.members1[0],
        override_reason=REASON,
        **visit,
    )

    services.record_inspection(membership=rw.membership(rw.admin), override_reason=REASON, **visit)

    assert Inspection.objects.get(round=round_, household=rw.h1).inspector == rw.admin
    assert overrides(round_) == [(rw.admin.username, f"Inspection, household A-001: {REASON}")]


# Declaration decision --------------------------------------------------------------------------------------------


def test_a_declaration_decision_by_the_own_area_panel_or_a_resident_is_refused_and_the_township_may_override(
    rw, stages
):
    round_ = stages.annual_collecting()
    declaration = stages.declared(round_)  # h1, 一组
    stages.move(round_, "start_panel_review")
    decide = {"declaration": declaration, "decision": DeclarationState.ACCEPTED}

    refused("own_area", services.decide_declaration, membership=rw.members1[0], **decide)
    live_in(rw, rw.h1, rw.members2[1])
    refused("conflict_of_interest", services.decide_declaration, membership=rw.members2[1], **decide)

    services.decide_declaration(membership=rw.membership(rw.admin), override_reason=REASON, **decide)

    declaration.refresh_from_db()
    assert (declaration.state, declaration.decided_by) == (DeclarationState.ACCEPTED, rw.admin)
    assert overrides(round_) == [(rw.admin.username, f"Declaration decision, household A-001: {REASON}")]


def test_another_panels_member_decides_a_declaration_without_any_override(rw, stages):
    round_ = stages.annual_collecting()
    declaration = stages.declared(round_)
    stages.move(round_, "start_panel_review")
    services.decide_declaration(
        membership=rw.members2[0], declaration=declaration, decision=DeclarationState.ACCEPTED
    )
    assert overrides(round_) == []


# Proposal change -------------------------------------------------------------------------------------------------


def test_a_proposal_change_by_the_own_area_panel_or_a_resident_is_refused_and_the_township_may_override(
    rw, stages
):
    round_ = stages.panel_review()
    proposal = Entry.objects.get(household=rw.h1)  # +2 庭院整洁, proposed by panel 2
    change = {"round": round_, "entry": proposal, "reason": "复核后撤销"}

    refused("own_area", services.change_proposal, membership=rw.members1[0], **change)
    live_in(rw, rw.h1, rw.members2[2])
    refused("conflict_of_interest", services.change_proposal, membership=rw.members2[2], **change)

    services.change_proposal(membership=rw.membership(rw.admin), override_reason=REASON, **change)

    proposal.refresh_from_db()
    assert proposal.state == EntryState.WITHDRAWN
    assert ProposalChange.objects.get(round=round_).actor == rw.admin
    assert overrides(round_) == [(rw.admin.username, f"Proposal change, household A-001: {REASON}")]


# Objection resolution --------------------------------------------------------------------------------------------


def test_an_objection_resolved_by_the_own_area_panel_or_a_resident_clerk_is_refused_and_the_township_may_override(
    rw, stages
):
    round_, objection = stages.objected()  # about h2, 二组: panel 2's home
    penalty = Entry.objects.get(household=rw.h2)
    outcome = {"objection": objection, "upheld": True, "outcome": "经复核属实，撤销扣分"}
    changes = [{"entry": penalty, "reason": "异议成立"}]

    refused("own_area", services.resolve_objection, membership=rw.members2[0], changes=changes, **outcome)
    clerk = rw.membership(rw.clerk)
    live_in(rw, rw.h2, clerk)  # the clerk who records at the counter lives in 周二's household
    refused("conflict_of_interest", services.resolve_objection, membership=clerk, changes=changes, **outcome)

    services.resolve_objection(
        membership=rw.membership(rw.admin), changes=changes, override_reason=REASON, **outcome
    )

    objection.refresh_from_db()
    assert (objection.state, objection.resolved_by) == (ObjectionState.UPHELD, rw.admin)
    assert overrides(round_) == [(rw.admin.username, f"Objection resolution, household A-201: {REASON}")]
    assert list(RoundMove.objects.filter(round=round_).values_list("move", flat=True))[-2:] == [
        services.CROSS_REVIEW_OVERRIDE,
        "fresh_notice",
    ]


def test_an_objection_is_dismissed_by_the_other_areas_panel_without_override(rw, stages):
    _round, objection = stages.objected()
    services.resolve_objection(
        membership=rw.members1[0], objection=objection, upheld=False, outcome="经核实无误"
    )
    objection.refresh_from_db()
    assert objection.state == ObjectionState.DISMISSED


# The panel meeting's vote ----------------------------------------------------------------------------------------


def _meeting(rw, round_, panel, members, changes, **kwargs):
    return {
        "round": round_,
        "panel": panel,
        "held_on": Q1_DAY,
        "attendees": [m.user for m in members],
        "changes": changes,
        **kwargs,
    }


def test_a_panel_meeting_changing_its_own_home_areas_proposals_is_refused_and_the_township_may_override(
    rw, stages
):
    round_ = stages.panel_review()
    h1_proposal = Entry.objects.get(household=rw.h1)  # 一组: panel 1's home
    changes = [{"entry": h1_proposal, "reason": "复核后撤销"}]
    clerk = rw.membership(rw.clerk)

    error = refused(
        "own_area",
        services.record_panel_meeting,
        membership=clerk,
        **_meeting(rw, round_, rw.panel1, rw.members1, changes),
    )
    assert "第一评议小组 cannot decide about household A-001" in error.message
    refused(
        "override_not_allowed",
        services.record_panel_meeting,
        membership=clerk,
        **_meeting(rw, round_, rw.panel1, rw.members1, changes, override_reason=REASON),
    )

    meeting = services.record_panel_meeting(
        membership=rw.membership(rw.admin),
        **_meeting(rw, round_, rw.panel1, rw.members1, changes, override_reason=REASON),
    )

    assert ProposalChange.objects.get(round=round_).meeting == meeting
    assert overrides(round_) == [
        (rw.admin.username, f"Panel meeting of 第一评议小组, household A-001: {REASON}")
    ]


def test_a_panel_meeting_vote_on_an_attendees_own_household_is_refused(rw, stages):
    round_ = stages.panel_review()
    h1_proposal = Entry.objects.get(household=rw.h1)  # panel 2 inspected 一组: no own-area conflict
    live_in(rw, rw.h1, rw.members2[3])
    changes = [{"entry": h1_proposal, "reason": "复核后撤销"}]
    error = refused(
        "conflict_of_interest",
        services.record_panel_meeting,
        membership=rw.membership(rw.clerk),
        **_meeting(rw, round_, rw.panel2, rw.members2, changes),
    )
    assert "p2-3 is a member of household A-001" in error.message
    # Without that attendee's household concerned, the same meeting confirms and changes as before.
    live_in(rw, rw.h1, rw.members1[3])  # a member of the other panel, not at this meeting
    services.record_panel_meeting(
        membership=rw.membership(rw.clerk), **_meeting(rw, round_, rw.panel2, rw.members2, changes)
    )
    assert ProposalChange.objects.filter(round=round_).count() == 1 and overrides(round_) == []


# API and pages ---------------------------------------------------------------------------------------------------


def test_the_api_refuses_each_decision_type_with_a_code_and_writes_nothing(rw, stages):
    annual = stages.annual_collecting()
    declaration = stages.declared(annual)
    stages.move(annual, "start_panel_review")
    round_, objection = stages.objected()
    panel1 = as_user(rw, rw.members1[0].user)
    panel2 = as_user(rw, rw.members2[0].user)
    before = snapshot()

    decided = panel1.post(f"declarations/{declaration.pk}/decide/", {"decision": "accepted"})
    resolved = panel2.post(f"objections/{objection.pk}/resolve/", {"upheld": False, "outcome": "经核实无误"})
    overriding = panel2.post(
        f"objections/{objection.pk}/resolve/",
        {"upheld": False, "outcome": "经核实无误", "override_reason": REASON},
    )

    assert (decided.status_code, decided.json()["code"]) == (400, "own_area")
    assert decided.json()["field"] == "household"
    assert "another panel must decide" in decided.json()["errors"]["household"][0]
    assert (resolved.status_code, resolved.json()["code"]) == (400, "own_area")
    assert (overriding.status_code, overriding.json()["code"]) == (400, "override_not_allowed")
    assert snapshot() == before


def test_the_api_takes_the_townships_override_and_the_round_detail_shows_it_in_the_trail(rw, stages):
    round_ = stages.panel_review()
    h1_proposal = Entry.objects.get(household=rw.h1)
    meeting = {
        "kind": "panel",
        "panel": rw.panel1.pk,
        "held_on": Q1_DAY.isoformat(),
        "attendees": [m.user.pk for m in rw.members1],
        "changes": [{"entry": h1_proposal.pk, "reason": "复核后撤销"}],
    }
    before = snapshot()
    refused_vote = as_user(rw, rw.clerk).post(f"rounds/{round_.pk}/meetings/", meeting)
    assert (refused_vote.status_code, refused_vote.json()["code"]) == (400, "own_area")
    assert snapshot() == before

    admin = as_user(rw, rw.admin)
    created = admin.post(f"rounds/{round_.pk}/meetings/", {**meeting, "override_reason": REASON})

    assert created.status_code == 201, created.json()
    trail = admin.get(f"rounds/{round_.pk}/").json()["trail"]
    assert [(row["move"], row["move_label"], row["comment"]) for row in trail][-1] == (
        "cross_review_override",
        "township override of cross-review",
        f"Panel meeting of 第一评议小组, household A-001: {REASON}",
    )


def test_the_api_lets_the_township_inspect_in_the_panels_place_with_a_reason(rw, stages):
    round_ = stages.collecting()
    visit = {"household": rw.h1.pk, "inspected_on": Q1_DAY.isoformat(), "findings": [{"item": rw.clean.pk}]}
    admin = as_user(rw, rw.admin)
    assert admin.post(f"rounds/{round_.pk}/inspections/", visit).status_code == 403
    created = admin.post(f"rounds/{round_.pk}/inspections/", {**visit, "override_reason": REASON})
    assert created.status_code == 201, created.json()
    assert overrides(round_) == [(rw.admin.username, f"Inspection, household A-001: {REASON}")]


def test_the_decision_page_says_why_it_is_refused_and_the_township_overrides_it_there(rw, stages):
    round_ = stages.annual_collecting()
    declaration = stages.declared(round_)
    stages.move(round_, "start_panel_review")
    target = page_url("declaration-decide", rw.township, pk=declaration.pk)
    before = snapshot()

    member_page = client_for(rw.members1[0].user).post(target, {"decision": "accepted"})
    assert member_page.status_code == 200
    assert "交叉评议：您是第一评议小组成员，A-001 户在本组所在片区" in text(member_page)
    assert "override_reason" not in text(member_page)  # only the township office sees the override
    assert snapshot() == before

    admin = client_for(rw.admin)
    assert 'name="override_reason"' in text(admin.get(target))
    response = admin.post(target, {"decision": "accepted", "override_reason": REASON})

    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.state == DeclarationState.ACCEPTED
    round_page = text(admin.get(page_url("round-detail", rw.township, pk=round_.pk)))
    assert REASON in round_page[round_page.index('id="trail"') :]
