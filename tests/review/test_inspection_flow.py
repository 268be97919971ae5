"""The panel member's phone flow (issue 17, problem 6 and item 7): after saving, the message is on top of the next
household's form (or of the list, never below an anchor); a photo sent with a form that has other errors is kept
as a pending upload for the sender only, used by the next valid submit, and swept when never used."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import PendingUpload
from core.tenancy import dangerously_all_townships, township_scope
from core.uploads import purge_pending_uploads
from households import tasks as household_tasks
from review import forms as review_forms
from review.models import Inspection, RoundKind, RoundState
from scoring import forms as scoring_forms
from scoring.models import ClaimChannel, Entry, Evidence
from tests.factories import HouseholdFactory, ResidentFactory
from tests.review.test_pages import client_for, key, make_round, messages_of, page_url, photo, text

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def area_of_three(rw):
    """一组, inspected by panel 2, holds A-001 (the world's), A-011 and A-012, in that order."""
    for number, head in (("A-011", "赵一"), ("A-012", "钱二")):
        ResidentFactory(household=HouseholdFactory(area=rw.area1, number=number), name=head, is_head=True)
    with dangerously_all_townships():
        return {h.number: h for h in rw.area1.households.all()}


def inspect_url(rw, round_, household):
    return page_url("inspect-household", rw.township, pk=round_.pk, household_pk=household.pk)


# Save, and the next household ----------------------------------------------------------------------------------


def test_save_and_next_opens_the_next_household_still_to_inspect_with_the_message_on_top(rw, area_of_three):
    round_ = make_round(rw, RoundState.COLLECTING)
    client = client_for(rw.members2[0].user)
    first, second = area_of_three["A-001"], area_of_three["A-011"]
    page = text(client.get(inspect_url(rw, round_, first)))
    assert 'name="then" value="next"' in page and "保存并查看下一户" in page

    response = client.post(
        inspect_url(rw, round_, first),
        {"findings": [rw.clean.pk], "inspected_on": "2026-03-10", "idempotency_key": key(), "then": "next"},
    )
    assert response.status_code == 302 and response["Location"] == inspect_url(rw, round_, second)
    assert "#" not in response["Location"]
    page = client.get(response["Location"])
    assert messages_of(page) == ["A-001 户已查看：拟定 1 项积分。"]
    body = text(page)
    assert body.index('class="messages"') < body.index("<h1>")  # the message sits above the household's title
    assert Inspection.objects.filter(round=round_, household=first).exists()


def test_the_next_household_skips_those_inspected_and_wraps_round_to_the_start(rw, area_of_three):
    round_ = make_round(rw, RoundState.COLLECTING)
    client = client_for(rw.members2[0].user)
    a001, a011, a012 = area_of_three["A-001"], area_of_three["A-011"], area_of_three["A-012"]
    client.post(inspect_url(rw, round_, a011), {"inspected_on": "2026-03-10", "idempotency_key": key()})
    response = client.post(
        inspect_url(rw, round_, a012),
        {"inspected_on": "2026-03-10", "idempotency_key": key(), "then": "next"},
    )
    assert response["Location"] == inspect_url(rw, round_, a001)  # after the last one: the first still to do


def test_saving_the_last_household_goes_to_the_top_of_the_list_saying_all_are_inspected(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    client = client_for(rw.members2[0].user)
    page = text(client.get(inspect_url(rw, round_, rw.h1)))
    assert 'value="next"' not in page  # A-001 is panel 2's only household: no "next" to offer
    response = client.post(
        inspect_url(rw, round_, rw.h1),
        {"inspected_on": "2026-03-10", "idempotency_key": key(), "then": "next"},
    )
    assert response["Location"] == page_url("inspect-list", rw.township, pk=round_.pk)
    assert messages_of(client.get(response["Location"])) == [
        "A-001 户已查看：拟定 0 项积分。",
        "本轮评议中您负责片区的农户都已查看。",
    ]


def test_a_plain_save_goes_to_the_top_of_the_list_without_an_anchor(rw, area_of_three):
    round_ = make_round(rw, RoundState.COLLECTING)
    response = client_for(rw.members2[0].user).post(
        inspect_url(rw, round_, area_of_three["A-001"]),
        {"inspected_on": "2026-03-10", "idempotency_key": key()},
    )
    assert response["Location"] == page_url("inspect-list", rw.township, pk=round_.pk)


def test_the_inspection_page_costs_the_same_queries_however_many_households_the_area_holds(
    rw, django_assert_max_num_queries
):
    round_ = make_round(rw, RoundState.COLLECTING)
    client = client_for(rw.members2[0].user)
    client.get(inspect_url(rw, round_, rw.h1))
    for n in range(15):
        HouseholdFactory(area=rw.area1, number=f"A-3{n:02d}")
    with django_assert_max_num_queries(30) as queries:
        client.get(inspect_url(rw, round_, rw.h1))
    few = len(queries)
    for n in range(15):
        HouseholdFactory(area=rw.area1, number=f"A-4{n:02d}")
    with django_assert_max_num_queries(few):
        client.get(inspect_url(rw, round_, rw.h1))


# A photo kept when the form has other errors --------------------------------------------------------------------


def test_a_photo_sent_with_a_wrong_date_is_kept_shown_and_used_by_the_next_valid_submit(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    member = rw.members2[0].user
    client = client_for(member)
    target = inspect_url(rw, round_, rw.h1)
    response = client.post(
        target,
        {
            "findings": [rw.clean.pk],
            "photos": [photo("院子.png")],
            "inspected_on": "2026-04-02",  # outside 2026-Q1
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 200 and "查看日期必须在 2026年第一季度 之内。" in text(response)
    with township_scope(rw.township):
        pending = PendingUpload.objects.get()
    assert (pending.user, pending.original_name, pending.content_type) == (member, "院子.png", "image/png")
    assert len(pending.token) >= 40
    body = text(response)
    assert f'name="photos_kept" value="{pending.token}"' in body and "照片已保留" in body
    thumbnail = client.get(f"/t/{rw.township.slug}/uploads/{pending.token}/")
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/png"
    assert thumbnail["Cache-Control"] == "private, no-store"

    response = client.post(
        target,
        {
            "findings": [rw.clean.pk],
            "photos_kept": [pending.token],
            "inspected_on": "2026-03-10",
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 302
    entry = Entry.objects.get(household=rw.h1)
    assert list(entry.evidence.values_list("content_type", "original_name")) == [("image/png", "院子.png")]
    with township_scope(rw.township):
        assert not PendingUpload.objects.exists()


def test_a_photo_sent_without_a_finding_is_kept_until_the_finding_is_ticked(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    client = client_for(rw.members2[0].user)
    target = inspect_url(rw, round_, rw.h1)
    response = client.post(
        target, {"photos": [photo()], "inspected_on": "2026-03-10", "idempotency_key": key()}
    )
    assert "照片要附在一项查看结果上" in text(response)
    with township_scope(rw.township):
        token = PendingUpload.objects.get().token
    # Kept photos alone still need a finding.
    response = client.post(
        target, {"photos_kept": [token], "inspected_on": "2026-03-10", "idempotency_key": key()}
    )
    assert response.status_code == 200 and "照片要附在一项查看结果上" in text(response)
    with township_scope(rw.township):
        assert PendingUpload.objects.count() == 1  # kept once, not copied by each failed try
    client.post(
        target,
        {
            "findings": [rw.clean.pk],
            "photos_kept": [token],
            "inspected_on": "2026-03-10",
            "idempotency_key": key(),
        },
    )
    assert Evidence.objects.count() == 1


def test_a_file_that_is_not_a_photo_is_not_kept_and_says_why(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    response = client_for(rw.members2[0].user).post(
        inspect_url(rw, round_, rw.h1),
        {
            "findings": [rw.clean.pk],
            "photos": [SimpleUploadedFile("假照片.png", b"not an image", content_type="image/png")],
            "inspected_on": "2026-04-02",
            "idempotency_key": key(),
        },
    )
    assert "假照片.png 不是照片（JPEG、PNG、WebP）或 PDF 文件。" in response.context["form"].errors["photos"]
    with township_scope(rw.township):
        assert not PendingUpload.objects.exists()


def _kept_for(rw, user):
    """A collecting round and the token of a photo `user` sent with a wrong date (so kept)."""
    round_ = make_round(rw, RoundState.COLLECTING)
    client_for(user).post(
        inspect_url(rw, round_, rw.h1),
        {
            "findings": [rw.clean.pk],
            "photos": [photo()],
            "inspected_on": "2026-04-02",
            "idempotency_key": key(),
        },
    )
    with township_scope(rw.township):
        return round_, PendingUpload.objects.get(user=user).token


def test_another_members_token_is_ignored_and_their_photo_is_not_shown(rw):
    owner, other = rw.members2[0].user, rw.members2[1].user
    round_, token = _kept_for(rw, owner)
    client = client_for(other)
    assert client.get(f"/t/{rw.township.slug}/uploads/{token}/").status_code == 404
    response = client.post(
        inspect_url(rw, round_, rw.h1),
        {
            "findings": [rw.clean.pk],
            "photos_kept": [token],
            "inspected_on": "2026-03-10",
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 302
    assert not Evidence.objects.exists()  # the other member's photo was not taken
    with township_scope(rw.township):
        assert PendingUpload.objects.filter(token=token, user=owner).exists()  # and is still the owner's


def test_a_member_of_another_township_gets_404_for_a_kept_photo(rw):
    _round, token = _kept_for(rw, rw.members2[0].user)
    outsider = client_for(rw.world.b.admin)
    assert outsider.get(f"/t/{rw.township.slug}/uploads/{token}/").status_code == 404
    assert outsider.get(f"/t/{rw.world.b.township.slug}/uploads/{token}/").status_code == 404
    assert client_for(rw.admin).get(f"/t/{rw.township.slug}/uploads/{token}/").status_code == 404


def test_the_retention_sweep_removes_old_kept_photos_and_their_files_and_is_safe_twice(rw):
    _round, token = _kept_for(rw, rw.members2[0].user)
    with dangerously_all_townships():
        pending = PendingUpload.objects.get(token=token)
        storage, name = pending.file.storage, pending.file.name
        assert storage.exists(name)
        assert purge_pending_uploads() == 0  # fresh: kept
        later = timezone.now() + datetime.timedelta(hours=25)
        assert purge_pending_uploads(now=later) == 1
        assert purge_pending_uploads(now=later) == 0
        assert not PendingUpload.objects.exists()
    assert not storage.exists(name)


def test_the_hourly_retention_beat_sweeps_the_kept_photos_too(rw):
    _round, token = _kept_for(rw, rw.members2[0].user)
    with dangerously_all_townships():
        PendingUpload.objects.filter(token=token).update(
            created_at=timezone.now() - datetime.timedelta(days=2)
        )
    household_tasks.purge_import_identities()  # the beat's call, outside any township scope
    with dangerously_all_townships():
        assert not PendingUpload.objects.exists()


# Downscaled in the browser --------------------------------------------------------------------------------------


def test_every_photo_input_asks_the_browser_to_downscale_to_1600_px():
    from publicity.forms import VillagerDeclarationForm
    from rewards.forms import ProductForm

    widgets = [
        review_forms.PhotoField().widget,
        scoring_forms.EvidenceField().widget,
        VillagerDeclarationForm.base_fields["photo"].widget,
        ProductForm.base_fields["photo"].widget,
    ]
    assert [w.attrs.get("data-downscale") for w in widgets] == [1600] * 4


def test_the_inspection_form_loads_the_downscaling_script(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    body = text(client_for(rw.members2[0].user).get(inspect_url(rw, round_, rw.h1)))
    assert "/static/js/panel.js" in body and 'data-downscale="1600"' in body


def test_a_claim_keeps_its_photo_when_the_cause_is_missing(rw):
    client = client_for(rw.clerk)
    target = page_url("claim-create", rw.township)
    data = {
        "household": rw.h1.number,
        "item": rw.volunteer.pk,
        "occurred_on": "2026-12-01",
        "place": "村部",
        "channel": ClaimChannel.IN_PERSON,
    }
    response = client.post(target, {**data, "cause": "", "photos": [photo("扫雪.png")]})
    assert response.status_code == 200
    with township_scope(rw.township):
        token = PendingUpload.objects.get(user=rw.clerk).token
    assert f'name="photos_kept" value="{token}"' in text(response)
    response = client.post(target, {**data, "cause": "帮邻居扫雪", "photos_kept": [token]})
    assert response.status_code == 302
    entry = Entry.objects.get(household=rw.h1)
    assert list(entry.evidence.values_list("original_name", flat=True)) == ["扫雪.png"]
    with township_scope(rw.township):
        assert not PendingUpload.objects.exists()


def test_a_declaration_keeps_its_evidence_when_the_place_is_missing(rw):
    round_ = make_round(rw, RoundState.COLLECTING, kind=RoundKind.ANNUAL, period="2026")
    client = client_for(rw.clerk)
    target = page_url("declaration-create", rw.township, pk=round_.pk)
    data = {
        "household": rw.h1.number,
        "item": rw.volunteer.pk,
        "occurred_on": "2026-06-01",
        "description": "照顾孤寡老人",
        "on_behalf": "on",
    }
    response = client.post(target, {**data, "place": "", "evidence": [photo("照顾.png")]})
    assert response.status_code == 200
    with township_scope(rw.township):
        token = PendingUpload.objects.get(user=rw.clerk).token
    assert f'name="evidence_kept" value="{token}"' in text(response) and "照片已保留" in text(response)
    response = client.post(target, {**data, "place": "村部", "evidence_kept": [token]})
    assert response.status_code == 302
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["照顾.png"]
    with township_scope(rw.township):
        assert not PendingUpload.objects.exists()


def test_the_panel_members_home_links_to_the_areas_still_to_inspect_in_constant_queries(
    rw, django_assert_max_num_queries
):
    round_ = make_round(rw, RoundState.COLLECTING)
    client = client_for(rw.members2[0].user)
    home = reverse("households:township-home", kwargs={"township_slug": rw.township.slug})
    body = text(client.get(home))
    assert (
        'id="work-inspections"' in body and 'data-count="1"' in body
    )  # the home's work counts (review.selectors.counts)
    assert page_url("inspect-list", rw.township, pk=round_.pk) in body
    with django_assert_max_num_queries(40) as queries:
        client.get(home)
    for n in range(10):
        HouseholdFactory(area=rw.area1, number=f"A-5{n:02d}")
    with django_assert_max_num_queries(len(queries)):
        assert 'data-count="11"' in text(client.get(home))
    assert 'id="work-inspections"' not in text(client_for(rw.clerk).get(home))  # not the clerk's work


def test_the_entry_form_keeps_its_evidence_photo_when_the_date_is_missing(rw):
    from scoring.models import EntrySource

    client = client_for(rw.clerk)
    target = reverse("scoring:entry-record", kwargs={"township_slug": rw.township.slug})
    data = {
        "household": rw.h1.pk,
        "item": rw.clean.pk,
        "source": EntrySource.CLERK,
        "reason": "",
        "idempotency_key": "0" * 31 + "9",
    }
    response = client.post(target, {**data, "occurred_on": "", "evidence": [photo("院子.png")]})
    assert response.status_code == 200
    with township_scope(rw.township):
        token = PendingUpload.objects.get(user=rw.clerk).token
    assert f'name="evidence_kept" value="{token}"' in text(response) and "照片已保留" in text(response)
    other = client_for(rw.admin)  # another member's token is not theirs: ignored
    other.post(
        target, {**data, "occurred_on": "2026-06-01", "evidence_kept": [token], "idempotency_key": "1" * 32}
    )
    assert not Evidence.objects.filter(entry__idempotency_key="1" * 32).exists()
    response = client.post(target, {**data, "occurred_on": "2026-06-01", "evidence_kept": [token]})
    assert response.status_code == 302
    entry = Entry.objects.get(household=rw.h1, idempotency_key=data["idempotency_key"])
    assert list(entry.evidence.values_list("original_name", flat=True)) == ["院子.png"]
    with township_scope(rw.township):
        assert not PendingUpload.objects.exists()
