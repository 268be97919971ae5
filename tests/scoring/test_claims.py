"""Claims outside rounds (积分申报, issue 14 items 3 and 4): the grid worker records and checks, the village's
notice batch takes only checked claims, the township approves; a false claim costs double through the notice."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.errors import DomainError
from core.permissions import Role, can_see, restrict_to_visible
from households.models import Household
from review import selectors as review_selectors
from scoring import services
from scoring.models import ClaimDetail, Entry, EntrySource, EntryState
from tests.contract import member
from tests.factories import AreaFactory, HouseholdFactory, MembershipFactory, UserFactory
from tests.notices import approve_through_notice

from .contract_cases import Catalogue

D = Decimal


def grid_worker(world, villages, areas=()):
    user = UserFactory(username=f"grid-{len(villages)}-{len(areas)}")
    m = MembershipFactory(
        user=user, township=world.a.township, role=Role.GRID_WORKER, villages=list(villages)
    )
    m.areas.set(areas)
    m.refresh_from_db()
    return m


def claim(c, membership, household=None, **kwargs):
    values = {"channel": "wechat", "cause": "帮邻居抢收稻谷", "place": "村东头"} | kwargs
    return services.record_claim(
        membership=membership, household=household or c.h1, item=c.item, occurred_on=c.day, **values
    )


def png(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_grid_worker_claim_is_checked_and_counts_after_its_notice_batch(world):
    c = Catalogue(world)
    grid = grid_worker(world, [world.a.villages[0]])
    entry = claim(c, grid, declarer_name="王五", declarer_relation="邻居", channel="phone", photos=[png()])
    detail = ClaimDetail.objects.get(entry=entry)
    assert (entry.source, entry.state, entry.recorded_by) == (
        EntrySource.CLAIM,
        EntryState.PROPOSED,
        grid.user,
    )
    assert (detail.channel, detail.declarer_name, detail.declarer_relation) == ("phone", "王五", "邻居")
    assert detail.checked_by == grid.user and detail.checked_at is not None
    assert entry.evidence.count() == 1
    assert list(review_selectors.direct_proposals(world.a.villages[0], c.scheme)) == [entry]
    assert approve_through_notice([entry], membership=c.office) == 1
    entry.refresh_from_db()
    assert entry.state == EntryState.APPROVED


def test_unchecked_claim_is_not_taken_by_the_batch_until_checked(world):
    c = Catalogue(world)
    entry = claim(c, c.office, checked=False)
    assert not review_selectors.direct_proposals(world.a.villages[0], c.scheme).exists()
    grid = grid_worker(world, [world.a.villages[0]])
    services.check_claim(membership=grid, entry=entry)
    assert list(review_selectors.direct_proposals(world.a.villages[0], c.scheme)) == [entry]
    with pytest.raises(DomainError):
        services.check_claim(membership=grid, entry=entry)


def test_claims_for_another_village_area_or_township_are_refused_and_nothing_written(world):
    c = Catalogue(world)
    other_area = AreaFactory(village=world.a.villages[0], township=world.a.township, name="二组")
    stranger = HouseholdFactory(area=other_area, number="A-003")
    grid = grid_worker(world, [world.a.villages[0]], [world.a.areas[0]])
    before = Entry.objects.count()
    for household in (c.h2, stranger):
        with pytest.raises(PermissionDenied):
            claim(c, grid, household=household)
    assert Entry.objects.count() == before and not ClaimDetail.objects.exists()


def test_proxy_declarer_needs_a_relation_and_photos_must_be_images(world):
    c = Catalogue(world)
    grid = grid_worker(world, [world.a.villages[0]])
    with pytest.raises(DomainError) as exc:
        claim(c, grid, declarer_name="王五")
    assert exc.value.field == "declarer_relation"
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    with pytest.raises(DomainError):
        claim(c, grid, photos=[pdf])
    text = SimpleUploadedFile("a.png", b"not an image", content_type="image/png")
    with pytest.raises(DomainError):
        claim(c, grid, photos=[text])
    with pytest.raises(DomainError):
        claim(c, grid, cause="  ")
    assert not Entry.objects.filter(source=EntrySource.CLAIM).exists()


def test_oversized_photo_is_refused(world, settings):
    c = Catalogue(world)
    settings.JIFEN_EVIDENCE_MAX_BYTES = 10
    with pytest.raises(DomainError):
        claim(c, grid_worker(world, [world.a.villages[0]]), photos=[png()])
    assert not Entry.objects.filter(source=EntrySource.CLAIM).exists()


def test_false_claim_before_the_batch_costs_double_through_the_notice(world):
    c = Catalogue(world)  # the item gives 2 points; the scheme's multiplier is 2
    grid = grid_worker(world, [world.a.villages[0]])
    entry = claim(c, grid)
    penalty = services.penalise_false_declaration(membership=grid, entry=entry, reason="经核实不实")
    entry.refresh_from_db()
    assert entry.state == EntryState.WITHDRAWN
    assert (penalty.points, penalty.state) == (D("-4"), EntryState.PROPOSED)
    assert list(review_selectors.direct_proposals(world.a.villages[0], c.scheme)) == [penalty]
    approve_through_notice([penalty], membership=c.office)
    penalty.refresh_from_db()
    assert penalty.state == EntryState.APPROVED


def test_false_claim_on_the_notice_is_the_clerks_not_the_grid_workers(world):
    from review import services as review

    c = Catalogue(world)
    grid = grid_worker(world, [world.a.villages[0]])
    entry = claim(c, grid)
    review.post_notice_batch(membership=c.office, village=world.a.villages[0], scheme=c.scheme)
    with pytest.raises(PermissionDenied):
        services.penalise_false_declaration(membership=grid, entry=entry, reason="不实")
    penalty = services.penalise_false_declaration(
        membership=member(world.a.clerk), entry=entry, reason="不实"
    )
    assert penalty.points == D("-4") and penalty.state == EntryState.PROPOSED


def test_false_claim_after_approval_is_reversed_and_penalised_by_the_township(world):
    c = Catalogue(world)
    entry = claim(c, grid_worker(world, [world.a.villages[0]]))
    approve_through_notice([entry], membership=c.office)
    with pytest.raises(PermissionDenied):
        services.penalise_false_declaration(membership=member(world.a.clerk), entry=entry, reason="不实")
    penalty = services.penalise_false_declaration(membership=c.office, entry=entry, reason="不实")
    assert Entry.objects.get(corrects=entry, source=EntrySource.CORRECTION).points == D("-2")
    assert penalty.state == EntryState.PROPOSED and penalty.points == D("-4")
    with pytest.raises(DomainError):
        services.penalise_false_declaration(membership=c.office, entry=entry, reason="又一次")


def test_grid_worker_sees_only_households_of_their_villages_and_areas(world):
    other_area = AreaFactory(village=world.a.villages[0], township=world.a.township, name="二组")
    stranger = HouseholdFactory(area=other_area, number="A-003")
    grid = grid_worker(world, [world.a.villages[0]], [world.a.areas[0]])
    h1, h2 = world.a.households
    assert can_see(grid, h1) and not can_see(grid, h2) and not can_see(grid, stranger)
    assert list(restrict_to_visible(grid, Household.objects.all())) == [h1]
    whole_village = grid_worker(world, [world.a.villages[0]])
    assert set(restrict_to_visible(whole_village, Household.objects.all())) == {h1, stranger}
