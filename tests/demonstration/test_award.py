"""The use of an award (issue 20, item 3): spending against the award with invoices, a balance that never goes below
zero, reversals instead of edits, the region's checks with their misuse flag, and the printed document.

The award of a东村 (township A, 东县, the city's call) is 50,000 yuan unless a test says otherwise.
"""

import io
import subprocess
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core.errors import DomainError
from core.tenancy import township_scope
from demonstration import selectors, services
from demonstration.award_document import award_use_pdf
from demonstration.models import ApplicationState, AwardCheck, AwardSpending
from tests.contract import member
from tests.demonstration.conftest import PDF, region_member
from tests.demonstration.contract_cases import _application

D = Decimal


def invoice(name="发票.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png_invoice():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return SimpleUploadedFile("发票照片.jpg", buffer.getvalue(), content_type="image/jpeg")


def awarded(p, award=D("50000"), name="a东村"):
    return _application(p, name, ApplicationState.AWARDED, award=award)


def spend(user, application, amount, *, purpose="shop_goods", supplier="惠民超市", file=None, note=""):
    return services.record_spending(
        membership=member(user),
        application=application,
        spent_on=timezone.localdate(),
        purpose=purpose,
        amount=amount,
        supplier=supplier,
        invoice=file or invoice(),
        note=note,
    )


def balance(application):
    with township_scope(application.township):
        return selectors.award_balance(application)


def rows(application) -> int:
    with township_scope(application.township):
        return AwardSpending.objects.filter(application=application).count()


# Spending ------------------------------------------------------------------------------------------------------


def test_the_village_clerk_records_spending_and_the_balance_falls(programme, world):
    application = awarded(programme)
    spend(world.a.clerk, application, D("12000.50"), supplier="惠民超市")
    spend(world.a.admin, application, D("7999.50"), purpose="publicity_training", file=png_invoice())
    figures = balance(application)
    assert (figures.award, figures.spent, figures.balance) == (D("50000"), D("20000.00"), D("30000.00"))
    with township_scope(application.township):
        photo = AwardSpending.objects.get(purpose="publicity_training")
    assert (photo.invoice_content_type, photo.invoice_name) == (
        "image/png",
        "发票照片.png",
    )  # named by its bytes


def test_spending_above_the_balance_is_refused_and_nothing_is_written(programme, world):
    application = awarded(programme, award=D("1000"))
    spend(world.a.admin, application, D("600"))
    with pytest.raises(DomainError) as refused:
        spend(world.a.admin, application, D("400.01"))
    assert refused.value.field == "amount"
    assert "400.01" in refused.value.message and "400.00" in refused.value.message  # asked, and what is left
    assert rows(application) == 1
    spend(world.a.admin, application, D("400"))  # exactly the balance is allowed
    assert balance(application).balance == D("0.00")


@pytest.mark.parametrize(
    ("amount", "file", "field"),
    [
        (D("-5"), None, "amount"),
        (D("0"), None, "amount"),
        (D("10"), invoice("发票.pdf", b"this is a text file, not a PDF\n"), "invoice"),
        (D("10"), invoice("发票.pdf", b""), "invoice"),
    ],
    ids=["negative", "zero", "text-named-pdf", "empty-file"],
)
def test_bad_spending_is_refused_with_the_field_to_fix(programme, world, amount, file, field):
    application = awarded(programme)
    with pytest.raises(DomainError) as refused:
        spend(world.a.admin, application, amount, file=file)
    assert refused.value.field == field
    assert rows(application) == 0


def test_another_approved_use_says_who_approved_it(programme, world):
    application = awarded(programme)
    with pytest.raises(DomainError) as refused:
        spend(world.a.admin, application, D("10"), purpose="other_approved")
    assert refused.value.field == "note"
    spend(world.a.admin, application, D("10"), purpose="other_approved", note="领导小组2026年9月1日会议同意")
    assert rows(application) == 1


def test_an_application_that_was_not_awarded_takes_no_spending(programme, world):
    application = _application(programme, "a东村", ApplicationState.SELECTED)
    with pytest.raises(DomainError) as refused:
        spend(world.a.admin, application, D("10"))
    assert refused.value.code == "not_awarded"
    assert rows(application) == 0


def test_the_database_refuses_an_overdraw_and_any_change_of_a_spending(programme, world):
    application = awarded(programme, award=D("100"))
    spending = spend(world.a.admin, application, D("100"))
    with township_scope(application.township):
        for sql, params in [
            # A row written past the service: the balance trigger refuses it.
            (
                "INSERT INTO demonstration_awardspending (township_id, application_id, spent_on, purpose, amount, "
                "supplier, note, invoice, invoice_name, invoice_content_type, invoice_size, reason, recorded_by_id, "
                "recorded_at) VALUES (%s, %s, now(), 'shop_goods', 0.01, 'x', '', 'x.pdf', 'x.pdf', "
                "'application/pdf', 1, '', %s, now())",
                [application.township_id, application.pk, world.a.admin.pk],
            ),
            ("UPDATE demonstration_awardspending SET amount = 1 WHERE id = %s", [spending.pk]),
            ("DELETE FROM demonstration_awardspending WHERE id = %s", [spending.pk]),
        ]:
            with (
                pytest.raises((IntegrityError, InternalError)),
                transaction.atomic(),
                connection.cursor() as cur,
            ):
                cur.execute(sql, params)
        assert list(AwardSpending.objects.values_list("amount", flat=True)) == [D("100.00")]


def test_a_reversal_puts_a_spending_right_once_and_restores_the_balance(programme, world):
    application = awarded(programme, award=D("1000"))
    wrong = spend(world.a.admin, application, D("800"))
    with pytest.raises(DomainError) as refused:
        services.reverse_spending(membership=member(world.a.admin), spending=wrong, reason="  ")
    assert refused.value.field == "reason"
    reversal = services.reverse_spending(membership=member(world.a.clerk), spending=wrong, reason="金额录错")
    assert (reversal.amount, reversal.reverses_id, reversal.reason) == (D("-800.00"), wrong.pk, "金额录错")
    assert balance(application).balance == D("1000.00")
    with pytest.raises(DomainError) as twice:
        services.reverse_spending(membership=member(world.a.admin), spending=wrong, reason="再次")
    assert twice.value.code == "already_reversed"
    with pytest.raises(DomainError):
        services.reverse_spending(membership=member(world.a.admin), spending=reversal, reason="冲回冲销")
    assert rows(application) == 2


@pytest.mark.django_db(transaction=True)
def test_two_spendings_at_once_cannot_together_overdraw_the_award(programme, world):
    """Both ask for 600 of 1,000 at the same moment: the application's row lock makes the second wait and then
    see the first, so exactly one is written."""
    application = awarded(programme, award=D("1000"))
    admin = member(world.a.admin)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker():
        try:
            barrier.wait(timeout=10)
            services.record_spending(
                membership=admin,
                application=application,
                spent_on=timezone.localdate(),
                purpose="shop_goods",
                amount=D("600"),
                supplier="惠民超市",
                invoice=invoice(),
            )
            outcomes.append("written")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["over_balance", "written"]
    assert balance(application).balance == D("400.00")


# Checks --------------------------------------------------------------------------------------------------------


def test_a_city_check_finding_misappropriation_flags_the_village(programme, world):
    p = programme
    application = awarded(p)
    goods = spend(world.a.admin, application, D("3000"), supplier="惠民超市")
    spend(world.a.admin, application, D("2000"), purpose="facilities", supplier="建材店")
    clean = services.record_check(
        membership=region_member(p.east_officer),
        application=application,
        checked_on=timezone.localdate(),
        finding="none",
        sampled=[goods.pk],
    )
    assert selectors.misuse_flags([application.pk]) == {}
    services.record_check(
        membership=region_member(p.city_officer),
        application=application,
        checked_on=timezone.localdate(),
        finding="misappropriation",
        sampled=[goods],
        details="3000元用于村委会办公用品",
        follow_up="限期30日内退回专户",
    )
    flag = selectors.misuse_flags([application.pk, 999_999])[application.pk]
    assert (flag.checks, flag.last_finding, flag.follow_up) == (1, "misappropriation", "限期30日内退回专户")
    with township_scope(application.township):
        assert list(clean.sampled.values_list("pk", flat=True)) == [goods.pk]


def test_a_check_is_refused_without_follow_up_or_with_items_of_another_award(programme, world):
    p = programme
    application = awarded(p)
    other = awarded(p, name="b东村")
    spend(world.a.admin, application, D("100"))
    foreign = spend(world.b.admin, other, D("100"))
    city = region_member(p.city_officer)
    today = timezone.localdate()
    with pytest.raises(DomainError) as no_follow_up:
        services.record_check(
            membership=city,
            application=application,
            checked_on=today,
            finding="false_report",
            details="发票重复",
        )
    assert no_follow_up.value.field == "follow_up"
    with pytest.raises(DomainError) as wrong_item:
        services.record_check(
            membership=city, application=application, checked_on=today, finding="none", sampled=[foreign.pk]
        )
    assert wrong_item.value.field == "sampled"
    with pytest.raises(DomainError) as nothing_sampled:
        services.record_check(membership=city, application=application, checked_on=today, finding="none")
    assert nothing_sampled.value.field == "sampled"
    with pytest.raises(PermissionDenied):  # 西县 does not check 东县's villages
        services.record_check(
            membership=region_member(p.west_officer),
            application=application,
            checked_on=today,
            finding="none",
        )
    assert AwardCheck.objects.count() == 0


# The document --------------------------------------------------------------------------------------------------


def test_the_spending_and_the_checks_print_as_one_pdf(programme, world, tmp_path):
    p = programme
    application = awarded(p, award=D("50000"))
    goods = spend(world.a.admin, application, D("3000"), supplier="惠民超市")
    wrong = spend(world.a.admin, application, D("250"), purpose="publicity_training", supplier="印刷厂")
    services.reverse_spending(membership=member(world.a.admin), spending=wrong, reason="重复录入")
    services.record_check(
        membership=region_member(p.city_officer),
        application=application,
        checked_on=timezone.localdate(),
        finding="not_as_planned",
        sampled=[goods.pk],
        details="部分商品未进入积分超市",
        follow_up="补录兑换台账",
    )
    content, filename = award_use_pdf(application)
    path = tmp_path / filename
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    words = " ".join(text.stdout.split())
    for expected in [
        "a东村",
        "惠民超市",
        "3000.00",
        "-250.00",
        "重复录入",
        "未按方案使用",
        "补录兑换台账",
        "银川市",
    ]:
        assert expected in words, expected
    assert "47000.00" in words  # 50,000 − 3,000 − 250 + 250
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts  # the Chinese font is embedded, not boxes


# Pages ---------------------------------------------------------------------------------------------------------


def test_the_township_page_records_a_spending_and_refuses_an_overdraw(programme, world, client):
    application = awarded(programme, award=D("500"))
    client.force_login(world.a.clerk)
    url = reverse("demonstration:award", kwargs={"township_slug": "town-a", "pk": application.pk})
    data = {"spent_on": timezone.localdate().isoformat(), "purpose": "shop_goods", "supplier": "惠民超市"}
    response = client.post(url, {**data, "amount": "300", "invoice": invoice()})
    assert response.status_code == 302
    response = client.post(url, {**data, "amount": "300", "invoice": invoice()})
    assert response.status_code == 200
    assert "200.00" in response.content.decode()  # the balance left, in the refusal and on the page
    assert rows(application) == 1
    page = client.get(url).content.decode()
    assert "惠民超市" in page and 'name="invoice"' in page


def test_a_supervisor_reads_the_award_page_but_records_nothing(programme, world, client):
    application = awarded(programme)
    client.force_login(world.a.supervisor)
    url = reverse("demonstration:award", kwargs={"township_slug": "town-a", "pk": application.pk})
    assert 'name="invoice"' not in client.get(url).content.decode()
    data = {
        "spent_on": timezone.localdate().isoformat(),
        "purpose": "shop_goods",
        "supplier": "x",
        "amount": "1",
    }
    assert client.post(url, {**data, "invoice": invoice()}).status_code == 403
    assert rows(application) == 0


def test_the_region_pages_show_the_misuse_flag_and_record_a_check(programme, world, client):
    p = programme
    application = awarded(p)
    goods = spend(world.a.admin, application, D("3000"))
    client.force_login(p.city_officer)
    award_url = reverse(
        "demonstration_region:award", kwargs={"region_slug": "yinchuan", "pk": application.pk}
    )
    response = client.post(
        award_url,
        {
            "kind": "spot_check",
            "checked_on": timezone.localdate().isoformat(),
            "sampled": [goods.pk],
            "finding": "false_report",
            "details": "发票金额与实物不符",
            "follow_up": "追回资金",
        },
    )
    assert response.status_code == 302
    listing = client.get(reverse("demonstration_region:award-list", kwargs={"region_slug": "yinchuan"}))
    assert "award-flagged" in listing.content.decode() and "47000.00" in listing.content.decode()
    detail = client.get(
        reverse("demonstration_region:application", kwargs={"region_slug": "yinchuan", "pk": application.pk})
    )
    assert "award-flag" in detail.content.decode() and "追回资金" in detail.content.decode()
    client.force_login(p.east_viewer)  # reads, does not check
    assert 'name="finding"' not in client.get(award_url.replace("yinchuan", "east")).content.decode()
    invoice_url = reverse(
        "demonstration_region:award-invoice",
        kwargs={"region_slug": "east", "pk": application.pk, "spending_pk": goods.pk},
    )
    assert client.get(invoice_url).status_code == 200


def test_the_demo_records_spending_a_reversal_and_a_spot_check_once(programme, world):
    from demonstration.demo_award import seed_award_use

    application = awarded(programme)
    office, city = member(world.a.admin), region_member(programme.city_officer)
    assert seed_award_use(application, township_membership=office, officer_membership=city) is True
    assert seed_award_use(application, township_membership=office, officer_membership=city) is False
    # 50,000 − (18,600 + 9,800 + 2,400 + 860 − 860)
    assert balance(application).balance == D("19200.00")
    assert AwardCheck.objects.get().finding == "none" and selectors.misuse_flags([application.pk]) == {}
