"""The review round's state machine, with hand-computed totals and the clock moved by time-machine."""

import datetime
import threading
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone, translation

from core.errors import DomainError
from core.tenancy import township_scope
from review import selectors, services
from review.models import Declaration, DeclarationState, ObjectionState, RoundKind, RoundMove, RoundState
from scoring.models import Entry, EntryState
from scoring.selectors import annual_totals
from tests.review.conftest import Q1_DAY

pytestmark = pytest.mark.django_db
D = Decimal
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
POSTED = datetime.datetime(2026, 12, 6, 23, 50, tzinfo=SHANGHAI)
# Posted on 6 Dec at 23:50 local time: three whole calendar days (7, 8 and 9 Dec), ending at 10 Dec 00:00.
NOTICE_END = datetime.datetime(2026, 12, 10, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def before_the_notice():
    """The rounds are drafted the day before they are posted (POSTED), whatever today's date is: the moves made
    before the notice are older than the notice, so the trail (ordered by time) reads as it happened."""
    with time_machine.travel(POSTED - datetime.timedelta(days=1), tick=True):
        yield


@pytest.fixture(autouse=True)
def english():
    """These tests match the English messages; the Chinese catalog translates them for users."""
    with translation.override("en"):
        yield


def _quarterly(rw, **kwargs):
    return services.create_round(
        membership=rw.membership(rw.clerk),
        village=rw.village,
        scheme=rw.scheme,
        kind=RoundKind.QUARTERLY,
        period="2026-Q1",
        **kwargs,
    )


def _move(rw, round_, move, user=None, comment=""):
    return services.move_round(
        membership=rw.membership(user or rw.clerk), round=round_, move=move, comment=comment
    )


def _inspect(rw, round_, household, member, findings=()):
    return services.record_inspection(
        membership=member,
        round=round_,
        household=household,
        inspected_on=Q1_DAY,
        findings=[{"item": i} for i in findings],
    )


def _through_panel(rw, round_):
    """Rotation, both households inspected (h1 +2 by panel 2; h2 −2 by panel 1), both panels meet."""
    services.apply_rotation(membership=rw.membership(rw.clerk), round=round_)
    _move(rw, round_, "open")
    _inspect(rw, round_, rw.h1, rw.members2[0], [rw.clean])
    _inspect(rw, round_, rw.h2, rw.members1[0], [rw.mess])
    _move(rw, round_, "start_panel_review")
    for panel, members in ((rw.panel1, rw.members1), (rw.panel2, rw.members2)):
        services.record_panel_meeting(
            membership=rw.membership(rw.clerk),
            round=round_,
            panel=panel,
            held_on=Q1_DAY,
            attendees=[m.user for m in members],
        )


def test_quarterly_round_from_draft_to_approval_posts_every_proposal_once(rw):
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    with time_machine.travel(POSTED, tick=False) as clock:
        _move(rw, round_, "open_notice")
        round_.refresh_from_db()
        assert round_.notice_ends_at == NOTICE_END
        clock.move_to(datetime.datetime(2026, 12, 9, 23, 59, 59, tzinfo=SHANGHAI))
        with pytest.raises(DomainError, match="only after it ends"):
            _move(rw, round_, "submit")
        clock.shift(datetime.timedelta(seconds=1))
        _move(rw, round_, "submit")
        assert annual_totals(rw.scheme)[rw.h1.pk] == D("60.00")  # nothing counts before the township approves
        _move(rw, round_, "approve", user=rw.admin, comment="同意")
    # h1: 环境整治 40 + 2 = 42, 党的建设 20 → 62; h2: 40 − 2 = 38, 20 → 58.
    totals = annual_totals(rw.scheme)
    assert (totals[rw.h1.pk], totals[rw.h2.pk]) == (D("62.00"), D("58.00"))
    assert list(RoundMove.objects.filter(round=round_).values_list("move", flat=True)) == [
        "open",
        "start_panel_review",
        "open_notice",
        "submit",
        "approve",
    ]
    with pytest.raises(DomainError, match="cannot be moved"):
        _move(rw, round_, "approve", user=rw.admin)  # a second click is told, and posts nothing again
    assert Entry.objects.filter(state=EntryState.APPROVED).count() == 2


def test_illegal_moves_are_refused_with_the_reason(rw):
    round_ = _quarterly(rw)
    with pytest.raises(DomainError, match="Assign review panels"):
        _move(rw, round_, "open")
    for move in ("start_panel_review", "open_notice", "submit", "approve", "return", "to_representatives"):
        with pytest.raises((DomainError, PermissionDenied)):
            _move(rw, round_, move, user=rw.admin)
    services.apply_rotation(membership=rw.membership(rw.clerk), round=round_)
    _move(rw, round_, "open")
    with pytest.raises(DomainError, match="2 households"):
        _move(rw, round_, "start_panel_review")
    _inspect(rw, round_, rw.h1, rw.members2[0])
    _inspect(rw, round_, rw.h2, rw.members1[0])
    _move(rw, round_, "start_panel_review")
    with pytest.raises(DomainError, match="quorum"):
        _move(rw, round_, "open_notice")
    with pytest.raises(DomainError, match="representatives"):
        _move(rw, round_, "to_representatives")  # quarterly rounds have no representatives' meeting
    assert RoundMove.objects.filter(round=round_).count() == 2


def test_only_the_township_approves_and_a_return_needs_reasons(rw):
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=0), tick=False) as clock:
        _move(rw, round_, "open_notice")
        clock.shift(datetime.timedelta(days=4))
        _move(rw, round_, "submit")
    with pytest.raises(PermissionDenied):
        _move(rw, round_, "approve", user=rw.clerk)
    with pytest.raises(PermissionDenied):
        _move(rw, round_, "approve", user=rw.supervisor)
    with pytest.raises(DomainError, match="why"):
        _move(rw, round_, "return", user=rw.admin)
    _move(rw, round_, "return", user=rw.admin, comment="二组评分依据不足")
    round_.refresh_from_db()
    assert round_.state == RoundState.PANEL_REVIEW
    assert not Entry.objects.filter(state=EntryState.APPROVED).exists()


def test_cross_review_refuses_a_panels_own_area_and_a_members_own_household(rw):
    round_ = _quarterly(rw)
    with pytest.raises(DomainError, match="own home area"):
        services.assign_panel(
            membership=rw.membership(rw.clerk), round=round_, panel=rw.panel1, area=rw.area1
        )
    proposal = selectors.propose_rotation(round_)
    assert all(panel.home_area_id != area.pk for panel, area in proposal) and len(proposal) == 2
    services.apply_rotation(membership=rw.membership(rw.clerk), round=round_)
    _move(rw, round_, "open")
    # Panel 1 inspects area 2 (h2), never area 1 (its home).
    with pytest.raises(DomainError, match="not assigned"):
        _inspect(rw, round_, rw.h1, rw.members1[0])
    head = rw.h2.members.get(is_head=True)
    head.account = rw.members1[1].user
    head.save()
    with pytest.raises(DomainError, match="member of household"):
        _inspect(rw, round_, rw.h2, rw.members1[1], [rw.clean])
    assert not Entry.objects.exists()


def test_quarterly_inspection_takes_quarterly_items_in_the_quarter(rw):
    round_ = _quarterly(rw)
    services.apply_rotation(membership=rw.membership(rw.clerk), round=round_)
    _move(rw, round_, "open")
    with pytest.raises(DomainError, match="quarterly items only"):
        _inspect(rw, round_, rw.h1, rw.members2[0], [rw.meeting])
    with pytest.raises(DomainError, match="first quarter of 2026|2026年第一季度"):  # the period by its label
        services.record_inspection(
            membership=rw.members2[0], round=round_, household=rw.h1, inspected_on=datetime.date(2026, 4, 2)
        )
    progress = selectors.inspection_progress(round_)
    assert [(p["area"], p["inspected"], p["total"]) for p in progress] == [("一组", 0, 1), ("二组", 0, 1)]


def test_quorum_needs_more_than_half_and_at_least_five(rw):
    round_ = _quarterly(rw)
    _through_panel(rw, round_)  # both panels met with all five
    extra = rw.members1[:4]
    with pytest.raises(DomainError, match="No quorum: 4 of 5"):
        services.record_panel_meeting(
            membership=rw.membership(rw.clerk),
            round=round_,
            panel=rw.panel1,
            held_on=Q1_DAY,
            attendees=[m.user for m in extra],
        )
    with pytest.raises(DomainError, match="not members"):
        services.record_panel_meeting(
            membership=rw.membership(rw.clerk),
            round=round_,
            panel=rw.panel1,
            held_on=Q1_DAY,
            attendees=[m.user for m in rw.members2],
        )


def test_objections_only_while_the_notice_runs_and_an_upheld_change_restarts_it(rw):
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    with time_machine.travel(POSTED, tick=False) as clock:
        with pytest.raises(DomainError, match="not running"):
            services.file_public_objection(
                round=round_, household=rw.h2, objector_name="周二", reason="没有乱堆乱放"
            )
        _move(rw, round_, "open_notice")
        objection = services.file_public_objection(
            round=round_, household=rw.h2, objector_name="周二", reason="没有乱堆乱放"
        )
        clock.shift(datetime.timedelta(days=2))  # 8 Dec, 23:50
        penalty = Entry.objects.get(household=rw.h2)
        services.resolve_objection(
            membership=rw.membership(rw.clerk),
            objection=objection,
            upheld=True,
            outcome="经复核属实，撤销扣分",
            changes=[{"entry": penalty, "reason": "异议成立"}],
        )
        round_.refresh_from_db()
        assert round_.notice_number == 2  # the changed result goes on a fresh notice of three days
        # Posted again on 8 Dec: 9, 10 and 11 Dec, ending at 12 Dec 00:00.
        assert round_.notice_ends_at == datetime.datetime(2026, 12, 12, 0, 0, tzinfo=SHANGHAI)
        clock.move_to(datetime.datetime(2026, 12, 11, 23, 59, tzinfo=SHANGHAI))
        with pytest.raises(DomainError, match="only after it ends"):
            _move(rw, round_, "submit")
        clock.move_to(datetime.datetime(2026, 12, 12, 0, 0, tzinfo=SHANGHAI))
        with pytest.raises(DomainError, match="no longer accepted"):
            services.file_public_objection(
                round=round_, household=rw.h1, objector_name="张三", reason="分数太低"
            )
        assert services.close_ended_notices() == 1
        _move(rw, round_, "submit")
        _move(rw, round_, "approve", user=rw.admin)
    objection.refresh_from_db()
    assert objection.state == ObjectionState.UPHELD
    totals = annual_totals(rw.scheme)
    assert totals[rw.h2.pk] == D("60.00")  # the −2 was withdrawn: 40 + 20


def test_open_objection_blocks_submission(rw):
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    with time_machine.travel(POSTED, tick=False) as clock:
        _move(rw, round_, "open_notice")
        objection = services.file_public_objection(
            round=round_, household=rw.h1, objector_name="张三", reason="分数不对"
        )
        clock.move_to(NOTICE_END)
        with pytest.raises(DomainError, match="1 objections"):
            _move(rw, round_, "submit")
        services.resolve_objection(
            membership=rw.membership(rw.clerk), objection=objection, upheld=False, outcome="经核实无误"
        )
        _move(rw, round_, "submit")


def test_annual_review_with_declarations_meetings_and_a_false_claim(rw):
    clerk = rw.membership(rw.clerk)
    round_ = services.create_round(
        membership=clerk, village=rw.village, scheme=rw.scheme, kind=RoundKind.ANNUAL, period="2026"
    )
    services.apply_rotation(membership=clerk, round=round_)
    _move(rw, round_, "open")
    day = datetime.date(2026, 6, 1)
    kept = services.declare(
        membership=clerk,
        round=round_,
        household=rw.h1,
        item=rw.meeting,
        occurred_on=day,
        place="村部",
        description="参加主题党日",
    )
    adjusted = services.declare(
        membership=clerk,
        round=round_,
        household=rw.h1,
        item=rw.meeting,
        occurred_on=day,
        place="村部",
        description="又一次",
        on_behalf=True,
    )
    false = services.declare(
        membership=clerk,
        round=round_,
        household=rw.h2,
        item=rw.meeting,
        occurred_on=day,
        place="村部",
        description="声称参加",
    )
    with pytest.raises(DomainError, match="panel review"):
        services.decide_declaration(
            membership=rw.members1[0], declaration=kept, decision=DeclarationState.ACCEPTED
        )
    _move(rw, round_, "start_panel_review")
    # Cross-review: panel 2 decides about h1 (area 1), panel 1 about h2 (area 2).
    panel_member = rw.members2[0]
    services.decide_declaration(membership=panel_member, declaration=kept, decision=DeclarationState.ACCEPTED)
    services.decide_declaration(
        membership=panel_member,
        declaration=adjusted,
        decision=DeclarationState.ADJUSTED,
        reason="属志愿服务",
        adjusted_item=rw.volunteer,
    )
    services.decide_declaration(
        membership=rw.members1[0], declaration=false, decision=DeclarationState.FALSE, reason="当天未到场"
    )
    with pytest.raises(DomainError, match="quorum"):
        _move(rw, round_, "to_representatives")
    for panel, members in ((rw.panel1, rw.members1), (rw.panel2, rw.members2)):
        services.record_panel_meeting(
            membership=clerk, round=round_, panel=panel, held_on=day, attendees=[m.user for m in members]
        )
    with pytest.raises(DomainError, match="representatives"):
        _move(rw, round_, "open_notice")
    _move(rw, round_, "to_representatives")
    with pytest.raises(DomainError, match="Record the representatives"):
        _move(rw, round_, "open_notice")
    services.record_representatives_meeting(
        membership=clerk,
        round=round_,
        held_on=day,
        attendee_names="党员代表8人、村民代表12人",
        township_staff="镇驻村干部李明",
    )
    with time_machine.travel(POSTED, tick=False) as clock:
        _move(rw, round_, "open_notice")
        clock.move_to(NOTICE_END)
        _move(rw, round_, "submit")
        _move(rw, round_, "approve", user=rw.admin)
    # h1: 党的建设 20 + 3 (kept) + 1 (adjusted to 志愿服务) = 24, 环境整治 40 → 64.
    # h2: the false +3 is withdrawn and costs double: 20 − 6 = 14, 环境整治 40 → 54.
    totals = annual_totals(rw.scheme)
    assert (totals[rw.h1.pk], totals[rw.h2.pk]) == (D("64.00"), D("54.00"))
    assert set(Declaration.objects.values_list("state", flat=True)) == {"accepted", "adjusted", "false"}


def test_roles_are_checked_for_each_step(rw):
    round_ = _quarterly(rw)
    with pytest.raises(PermissionDenied):
        services.create_round(
            membership=rw.membership(rw.supervisor),
            village=rw.village,
            scheme=rw.scheme,
            kind="quarterly",
            period="2026-Q2",
        )
    with pytest.raises(PermissionDenied):
        services.assign_panel(membership=rw.members1[0], round=round_, panel=rw.panel2, area=rw.area1)
    services.apply_rotation(membership=rw.membership(rw.clerk), round=round_)
    _move(rw, round_, "open")
    with pytest.raises(PermissionDenied):
        services.record_inspection(
            membership=rw.membership(rw.clerk), round=round_, household=rw.h1, inspected_on=Q1_DAY
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_post_the_entries_once(rw):
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=5), tick=True):
        _move(rw, round_, "open_notice")
    _move(rw, round_, "submit")
    outcomes, barrier = [], threading.Barrier(2)

    def approve():
        try:
            with township_scope(rw.township):  # a thread starts with no scope of its own
                barrier.wait()
                _move(rw, round_, "approve", user=rw.admin)
            outcomes.append("approved")
        except DomainError:
            outcomes.append("told")
        except Exception as exc:  # anything else fails the test below with its name
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "told"]
    assert Entry.objects.filter(state=EntryState.APPROVED).count() == 2
    assert RoundMove.objects.filter(round=round_, move="approve").count() == 1


def test_a_panel_member_cannot_decide_their_own_households_declaration(rw):
    clerk = rw.membership(rw.clerk)
    round_ = services.create_round(
        membership=clerk, village=rw.village, scheme=rw.scheme, kind=RoundKind.ANNUAL, period="2026"
    )
    services.apply_rotation(membership=clerk, round=round_)
    _move(rw, round_, "open")
    declaration = services.declare(
        membership=clerk,
        round=round_,
        household=rw.h1,
        item=rw.meeting,
        occurred_on=Q1_DAY,
        place="村部",
        description="党日",
    )
    _move(rw, round_, "start_panel_review")
    head = rw.h1.members.get(is_head=True)
    head.account = rw.members1[0].user
    head.save()
    with pytest.raises(DomainError, match="member of household"):
        services.decide_declaration(
            membership=rw.members1[0], declaration=declaration, decision=DeclarationState.ACCEPTED
        )
    declaration.refresh_from_db()
    assert declaration.state == DeclarationState.PENDING
