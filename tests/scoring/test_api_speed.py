"""The ledger's entries are answered straight from their rows (issue 19): what EntrySerializer answers is what
DRF's field-by-field path answers, for every kind of entry — a proposal with evidence, an approved entry, its
correction, a claim before and after its first check."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers

from scoring import services
from scoring.api.ledger import ENTRY_RELATED, EntrySerializer
from scoring.models import Entry
from tests.notices import approve_through_notice
from tests.scoring.contract_cases import Catalogue
from tests.scoring.test_api import PNG

pytestmark = pytest.mark.django_db


def drf_answer(entry: Entry) -> dict:
    """DRF's own answer (ModelSerializer.to_representation over every field): the oracle of the fast path."""
    return serializers.ModelSerializer.to_representation(EntrySerializer(entry), entry)


def test_the_fast_entry_answer_is_drfs_own_for_every_kind_of_entry(world):
    c = Catalogue(world)
    world.a.admin.first_name = "刘镇长"
    world.a.admin.save()
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    with_evidence = c.record(c.h1, reason="  打扫庭院 ", evidence=[photo])
    approved = c.record(c.h1)
    approve_through_notice([approved], membership=c.office)
    correction = services.correct_entry(membership=c.office, entry=approved, reason="记错了")
    claim = services.record_claim(
        membership=c.office,
        household=c.h2,
        item=c.item,
        occurred_on=c.day,
        channel="wechat",
        cause="拾金不昧",
        declarer_name="张小明",
        declarer_relation="儿子",
        place="村口",
        happened_at=datetime.time(8, 15),
        checked=False,
    )
    unchecked = services.record_claim(
        membership=c.office,
        household=c.h2,
        item=c.item,
        occurred_on=c.day,
        channel="phone",
        cause="助人",
        checked=False,
    )
    services.check_claim(membership=c.office, entry=claim)
    ids = [with_evidence.pk, approved.pk, correction.pk, claim.pk, unchecked.pk]

    entries = Entry.objects.filter(pk__in=ids).select_related(*ENTRY_RELATED).prefetch_related("evidence")
    answers = {entry.pk: (EntrySerializer(entry).data, drf_answer(entry)) for entry in entries}

    assert sorted(answers) == sorted(ids)
    for fast, generic in answers.values():
        assert fast == dict(generic)
        assert list(fast) == list(generic)  # the same keys in the same order: the same JSON bytes
    assert answers[with_evidence.pk][0]["evidence"][0]["original_name"] == "photo.png"
    assert answers[approved.pk][0]["approved_by"] == "刘镇长"
    assert answers[correction.pk][0]["corrects"] == approved.pk
    assert answers[claim.pk][0]["claim"]["happened_at"] == "08:15:00"
    assert answers[claim.pk][0]["claim"]["checked_by"] != ""
    assert answers[unchecked.pk][0]["claim"]["checked_at"] is None
    assert answers[approved.pk][0]["claim"] is None


def test_an_entry_just_written_is_answered_like_one_read_back(world):
    c = Catalogue(world)
    written = c.record(c.h1)

    assert EntrySerializer(written).data == drf_answer(Entry.objects.get(pk=written.pk))
