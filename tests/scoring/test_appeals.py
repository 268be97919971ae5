"""What a villager sends from their own page (issue 14, item 6): a self-declaration with a photo, taken by the
grid worker as a claim that counts after its notice batch; an appeal against one of the household's own entries,
decided by the clerk or the township office, whose upheld reversal counts only after the next notice."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from core.errors import DomainError
from core.permissions import Role
from review import selectors as review_selectors
from review import services as review
from review.models import RoundEntry
from scoring import services
from scoring.models import (
    Appeal,
    AppealState,
    ClaimDetail,
    Entry,
    EntrySource,
    EntryState,
    Evidence,
    SelfDeclaration,
    SelfDeclarationState,
)
from scoring.selectors import passbook
from tests.contract import member
from tests.factories import MembershipFactory, UserFactory
from tests.notices import admin_membership, approve_through_notice, run_out

from .contract_cases import Catalogue
from .test_claims import grid_worker

D = Decimal


def png(name="photo.png", size=(4, 4)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def total(c, household=None):
    return passbook(household or c.h1, c.scheme)["total"]


def code_of(world, household):
    return services.issue_code(membership=member(world.a.admin), household=household)[0]


def approved_entry(c):
    entry = c.record(c.h1)
    approve_through_notice([entry])
    entry.refresh_from_db()
    assert entry.state == EntryState.APPROVED
    return entry


def counts():
    return (
        SelfDeclaration.objects.count(),
        Appeal.objects.count(),
        Entry.objects.count(),
        Evidence.objects.count(),
    )


# Self-declarations ------------------------------------------------------------------------------------------------


def test_a_declaration_with_a_photo_is_taken_by_the_grid_worker_and_counts_after_its_batch(world):
    c = Catalogue(world)
    code = code_of(world, c.h1)
    grid = grid_worker(world, [world.a.villages[0]])
    before = total(c)
    declaration = services.submit_self_declaration(
        code=code, what_happened="帮五保户打扫院子", occurred_on=c.day, item=c.item, photo=png()
    )
    assert declaration.state == SelfDeclarationState.PENDING and declaration.photo_content_type == "image/png"
    assert declaration.household == c.h1 and declaration.photo.name.endswith(".png")
    assert list(review_selectors.worklist(grid).self_declarations) == [declaration]

    entry = services.take_self_declaration(membership=grid, declaration=declaration, item=c.item)
    declaration.refresh_from_db()
    assert (declaration.state, declaration.entry, declaration.decided_by) == (
        SelfDeclarationState.TAKEN,
        entry,
        grid.user,
    )
    claim = ClaimDetail.objects.get(entry=entry)
    assert claim.channel == "self_service" and claim.checked_by == grid.user
    assert claim.cause == "帮五保户打扫院子"
    [evidence] = Evidence.objects.filter(entry=entry)
    assert evidence.content_type == "image/png" and evidence.file.read().startswith(b"\x89PNG")
    assert entry.state == EntryState.PROPOSED and total(c) == before  # not before its notice
    assert entry in review_selectors.waiting_for_a_notice(c.scheme)
    assert approve_through_notice([entry]) == 1
    assert total(c) == before + D("2")
    assert list(review_selectors.worklist(grid).self_declarations) == []


def test_a_refused_declaration_says_why_and_writes_no_entry(world):
    c = Catalogue(world)
    declaration = services.submit_self_declaration(
        code=code_of(world, c.h1), what_happened="捡到钱包", occurred_on=c.day
    )
    entries = Entry.objects.count()
    with pytest.raises(DomainError):
        services.refuse_self_declaration(
            membership=member(world.a.clerk), declaration=declaration, reason=" "
        )
    services.refuse_self_declaration(
        membership=member(world.a.clerk), declaration=declaration, reason="未能核实"
    )
    declaration.refresh_from_db()
    assert (declaration.state, declaration.refusal_reason) == (SelfDeclarationState.REFUSED, "未能核实")
    assert Entry.objects.count() == entries
    with pytest.raises(DomainError):  # decided once
        services.take_self_declaration(membership=member(world.a.clerk), declaration=declaration, item=c.item)


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("note.txt", b"hello, not a photo", content_type="image/png"),
        SimpleUploadedFile("fake.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40, content_type="image/png"),
        SimpleUploadedFile("doc.pdf", b"%PDF-1.4 a document", content_type="application/pdf"),
    ],
    ids=["text", "broken-png", "pdf"],
)
def test_a_non_image_photo_is_refused_and_nothing_written(world, upload):
    c = Catalogue(world)
    code = code_of(world, c.h1)
    before = counts()
    with pytest.raises(DomainError) as refused:
        services.submit_self_declaration(code=code, what_happened="做好事", occurred_on=c.day, photo=upload)
    assert refused.value.field == "photo"
    assert counts() == before


@override_settings(JIFEN_EVIDENCE_MAX_BYTES=50)
def test_an_oversized_photo_is_refused_and_nothing_written(world):
    c = Catalogue(world)
    code = code_of(world, c.h1)
    before = counts()
    with pytest.raises(DomainError, match="MB"):
        services.submit_self_declaration(
            code=code, what_happened="做好事", occurred_on=c.day, photo=png(size=(200, 200))
        )
    assert counts() == before


def test_bad_declarations_are_refused_and_nothing_written(world):
    c = Catalogue(world)
    code = code_of(world, c.h1)
    before = counts()
    future = timezone.localdate() + datetime.timedelta(days=3)
    penalty = services.add_item(
        membership=c.office, category=c.category, name="乱堆乱放", kind="penalty", points=D("2")
    )
    for kwargs in (
        {"what_happened": "  "},
        {"what_happened": "a\x00b"},
        {"what_happened": "字" * 1001},
        {"what_happened": "做好事", "occurred_on": future},
        {"what_happened": "做好事", "item": penalty},  # not an item a household declares
    ):
        with pytest.raises(DomainError):
            services.submit_self_declaration(code=code, **{"occurred_on": c.day, **kwargs})
    assert counts() == before


def test_a_revoked_code_cannot_declare_or_appeal(world):
    c = Catalogue(world)
    entry = approved_entry(c)
    code = code_of(world, c.h1)
    services.revoke_code(membership=c.office, household=c.h1)
    before = counts()
    with pytest.raises(DomainError, match="作废|revoked"):
        services.submit_self_declaration(code=code, what_happened="做好事", occurred_on=c.day)
    with pytest.raises(DomainError, match="作废|revoked"):
        services.submit_appeal(code=code, entry_id=entry.pk, reason="记错了")
    assert counts() == before


def test_a_household_has_at_most_three_of_each_waiting(world):
    c = Catalogue(world)
    code = code_of(world, c.h1)
    for _ in range(services.appeals.MAX_PENDING):
        services.submit_self_declaration(code=code, what_happened="做好事", occurred_on=c.day)
    with pytest.raises(DomainError) as refused:
        services.submit_self_declaration(code=code, what_happened="做好事", occurred_on=c.day)
    assert refused.value.code == "too_many_pending"
    assert SelfDeclaration.objects.count() == services.appeals.MAX_PENDING


def test_only_the_grid_worker_of_the_village_takes_a_declaration(world):
    c = Catalogue(world)
    declaration = services.submit_self_declaration(
        code=code_of(world, c.h1), what_happened="做好事", occurred_on=c.day
    )
    other = grid_worker(world, [world.a.villages[1]])
    before = counts()
    for membership in (other, member(world.a.panel), member(world.a.supervisor)):
        with pytest.raises(PermissionDenied):
            services.take_self_declaration(membership=membership, declaration=declaration, item=c.item)
        with pytest.raises(PermissionDenied):
            services.refuse_self_declaration(membership=membership, declaration=declaration, reason="不实")
    assert counts() == before
    assert SelfDeclaration.objects.get().state == SelfDeclarationState.PENDING


# Appeals ----------------------------------------------------------------------------------------------------------


def test_an_upheld_appeal_posts_a_reversal_that_counts_only_after_the_next_notice(world):
    c = Catalogue(world)
    entry = approved_entry(c)
    code = code_of(world, c.h1)
    counted = total(c)
    appeal = services.submit_appeal(code=code, entry_id=entry.pk, reason="那天我不在家，没有参加")
    clerk = member(world.a.clerk)
    assert list(review_selectors.worklist(clerk).appeals) == [appeal]
    assert list(review_selectors.worklist(member(world.a.admin)).appeals) == [appeal]

    services.decide_appeal(membership=clerk, appeal=appeal, uphold=True, reason="核实无误，予以撤销")
    appeal.refresh_from_db()
    reversal = appeal.reversal
    assert appeal.state == AppealState.UPHELD and appeal.decided_by == world.a.clerk
    assert (reversal.source, reversal.state, reversal.points, reversal.corrects) == (
        EntrySource.CORRECTION,
        EntryState.PROPOSED,
        -entry.points,
        entry,
    )
    assert reversal.recorded_by == world.a.clerk and "核实无误" in reversal.reason
    assert total(c) == counted  # decided, but not counted before its notice
    assert reversal in review_selectors.waiting_for_a_notice(c.scheme)

    office = admin_membership(world.a.township.pk)
    batch = review.post_notice_batch(membership=clerk, village=world.a.villages[0], scheme=c.scheme)
    assert list(RoundEntry.objects.filter(round=batch).values_list("entry_id", flat=True)) == [reversal.pk]
    run_out(batch)
    review.move_round(membership=office, round=batch, move="submit")
    reversal.refresh_from_db()
    assert reversal.state == EntryState.PROPOSED and total(c) == counted  # on the notice, still not counted
    review.move_round(membership=office, round=batch, move="approve")
    reversal.refresh_from_db()
    assert reversal.state == EntryState.APPROVED
    assert total(c) == counted - entry.points
    # Reversed once: the entry cannot be appealed or corrected again.
    with pytest.raises(DomainError):
        services.submit_appeal(code=code, entry_id=entry.pk, reason="再申诉")
    with pytest.raises(DomainError):
        services.correct_entry(membership=office, entry=entry, reason="再更正")


def test_a_rejected_appeal_changes_no_points(world):
    c = Catalogue(world)
    entry = approved_entry(c)
    counted = total(c)
    appeal = services.submit_appeal(code=code_of(world, c.h1), entry_id=entry.pk, reason="分数不对")
    entries = Entry.objects.count()
    with pytest.raises(DomainError):  # the decision needs a reason too
        services.decide_appeal(membership=c.office, appeal=appeal, uphold=False, reason="")
    services.decide_appeal(membership=c.office, appeal=appeal, uphold=False, reason="经核实记录无误")
    appeal.refresh_from_db()
    assert (appeal.state, appeal.decision_reason, appeal.reversal) == (
        AppealState.REJECTED,
        "经核实记录无误",
        None,
    )
    assert Entry.objects.count() == entries and total(c) == counted
    with pytest.raises(DomainError):  # decided once
        services.decide_appeal(membership=c.office, appeal=appeal, uphold=True, reason="改判")


def test_bad_appeals_are_refused_and_nothing_written(world):
    c = Catalogue(world)
    own = approved_entry(c)
    code = code_of(world, c.h1)
    proposed = c.record(c.h1)
    others = c.record(c.h2)
    approve_through_notice([others])
    correction = services.correct_entry(membership=c.office, entry=others, reason="录错")
    before = counts()
    for entry_id, reason in (
        (others.pk, "别人的"),  # another household's entry
        (correction.pk, "更正"),  # another's, and a correction
        (proposed.pk, "还没计入"),  # not counted yet
        (2_000_000_000, "不存在"),
        (own.pk, "   "),  # an empty reason
    ):
        with pytest.raises(DomainError):
            services.submit_appeal(code=code, entry_id=entry_id, reason=reason)
    assert counts() == before
    services.submit_appeal(code=code, entry_id=own.pk, reason="记错了")
    with pytest.raises(DomainError):  # one appeal at a time per entry
        services.submit_appeal(code=code, entry_id=own.pk, reason="记错了")


def test_a_grid_worker_or_another_village_cannot_decide_an_appeal(world):
    c = Catalogue(world)
    entry = approved_entry(c)
    appeal = services.submit_appeal(code=code_of(world, c.h1), entry_id=entry.pk, reason="记错了")
    other_clerk = MembershipFactory(
        user=UserFactory(username="clerk-west"),
        township=world.a.township,
        role=Role.VILLAGE_CLERK,
        villages=[world.a.villages[1]],
    )
    before = counts()
    for membership in (
        grid_worker(world, [world.a.villages[0]]),
        other_clerk,
        member(world.a.panel),
        member(world.a.supervisor),
        member(world.b.admin),
    ):
        with pytest.raises(PermissionDenied):
            services.decide_appeal(membership=membership, appeal=appeal, uphold=True, reason="同意")
    assert counts() == before
    assert Appeal.objects.get().state == AppealState.PENDING
