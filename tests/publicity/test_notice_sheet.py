"""The printed notice sheet, checked with poppler: text, embedded CJK font, pages, repeated header, QR code."""

import datetime
import subprocess
import zoneinfo

import pytest
import time_machine
from PIL import Image
from pyzbar.pyzbar import decode

from core import pdf
from core.errors import DomainError
from publicity.documents import notice_sheet_pdf
from publicity.models import NoticeSettings
from publicity.notice import public_url
from tests.publicity.conftest import add_categories, on_notice

pytestmark = pytest.mark.django_db


def _poppler(tool, path, *args):
    return subprocess.run(
        [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else []),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def sheet_300(rw, tmp_path):
    round_ = on_notice(rw, extra_households=298)  # 2 households of the fixture + 298 = 300
    content, _name = notice_sheet_pdf(round_, size="a4")
    path = tmp_path / "notice.pdf"
    path.write_bytes(content)
    return round_, path


def test_sheet_text_names_masked_and_totals(rw, sheet_300):
    round_, path = sheet_300
    text = _poppler("pdftotext", path, "-layout")
    assert "a东村" in text and "积分评议结果公示" in text
    assert "王*明" in text and "王一明" not in text  # masked by default
    # h1: 环境整治 40 + 党的建设 20 + the accepted declaration 3 = 63; everybody else stands at 60.
    assert "63" in text and text.count("60") >= 290
    assert "村民委员会" in text
    # Proposed stars on the annual notice: N = 300; h1 (63) ranks 1 and the other 299 tie at 60 with rank 2;
    # 100·2 ≤ 10·300, so every household gets five stars (ties share the band; 60 ≥ the floor 60).
    flat = text.replace(" ", "")
    assert flat.count("5星") == 300 and "4星" not in flat and "拟评星级" in flat


def test_sheet_embeds_the_noto_cjk_font(sheet_300):
    _round, path = sheet_300
    fonts = _poppler("pdffonts", path)
    cjk = [line for line in fonts.splitlines() if "NotoSansCJK" in line.replace("-", "")]
    assert cjk and all(" yes " in line for line in cjk)  # embedded


def test_300_households_fill_eight_pages_with_the_header_on_each(sheet_300):
    _round, path = sheet_300
    pages = int(
        next(line for line in _poppler("pdfinfo", path).splitlines() if line.startswith("Pages:")).split()[1]
    )
    # A4 with 16/18 mm margins leaves 263 mm; rows are 6 mm high (the sheet's CSS), the repeated header too: 42 rows
    # on a continuation page, about 35 on the first under the ~45 mm title block. 35 + 6 × 42 = 287 < 300 ≤
    # 35 + 7 × 42 → 8 pages (PITFALLS measured 8 for 300 rows too).
    assert pages == 8
    page_two = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(path), "-"], capture_output=True, text=True
    ).stdout
    assert "户号" in page_two and "合计" in page_two and "第2页共8页" in page_two.replace(" ", "")


def test_qr_code_on_the_sheet_opens_the_public_page(sheet_300, tmp_path):
    round_, path = sheet_300
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True
    )
    image = Image.open(next(tmp_path.glob("page*.png")))
    codes = [symbol.data.decode() for symbol in decode(image)]
    assert codes == [public_url(round_)]
    assert round_.notice_token in codes[0]


def test_full_names_when_the_township_says_so_and_a3_landscape(rw, tmp_path):
    NoticeSettings.objects.create(township=rw.township, full_names=True, contact="镇综治办 0571-1234")
    round_ = on_notice(rw)
    content, _name = notice_sheet_pdf(round_, size="a3")
    path = tmp_path / "a3.pdf"
    path.write_bytes(content)
    assert "张三明" in _poppler("pdftotext", path)
    assert "镇综治办 0571-1234" in _poppler("pdftotext", path)  # the township's way to object
    size = next(line for line in _poppler("pdfinfo", path).splitlines() if line.startswith("Page size"))
    assert "1190.55 x 841.89" in size  # A3 landscape in points


def test_failures_say_what_is_wrong(rw, monkeypatch):
    from review.services import create_round

    draft = create_round(
        membership=rw.membership(rw.clerk),
        village=rw.village,
        scheme=rw.scheme,
        kind="quarterly",
        period="2026-Q2",
    )
    with pytest.raises(DomainError) as not_on_notice:
        notice_sheet_pdf(draft)
    assert not_on_notice.value.code == "not_on_notice"
    round_ = on_notice(rw)
    monkeypatch.setattr(pdf, "CJK_FONT", "No Such Font SC")
    pdf.cjk_font_installed.cache_clear()
    try:
        with pytest.raises(DomainError) as missing:
            notice_sheet_pdf(round_)
        assert missing.value.code == "missing_font" and "fonts-noto-cjk" in str(missing.value.message)
    finally:
        pdf.cjk_font_installed.cache_clear()


def test_a_round_without_households_taking_part_is_refused(rw):
    round_ = on_notice(rw)
    from households.models import Household

    Household.objects.filter(village=rw.village).update(
        participation="opted_out", participation_reason="外出"
    )
    with pytest.raises(DomainError) as empty:
        notice_sheet_pdf(round_)
    assert empty.value.code == "empty_round"


def test_render_for_eyes(sheet_300, artifacts):
    """Keeps page 1 and 2 as PNG artifacts, to look at the sheet as a villager would."""
    _round, path = sheet_300
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "2", "-r", "60", "-png", str(path), str(artifacts / "notice-a4")],
        check=True,
    )
    assert (artifacts / "notice-a4-01.png").exists() or (artifacts / "notice-a4-1.png").exists()


def test_the_sheet_shows_the_notices_calendar_days(rw, tmp_path):
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime.datetime(2026, 12, 6, 23, 50, tzinfo=shanghai), tick=False):
        round_ = on_notice(rw)  # posted late on 6 Dec: 7, 8 and 9 Dec are its three whole days
        content, _name = notice_sheet_pdf(round_, size="a4")
    path = tmp_path / "notice.pdf"
    path.write_bytes(content)
    assert "公示期：2026年12月6日至12月9日" in _poppler("pdftotext", path).replace(" ", "")


def _pages(path) -> list[str]:
    count = int(
        next(line for line in _poppler("pdfinfo", path).splitlines() if line.startswith("Pages:")).split()[1]
    )
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True,
            text=True,
        ).stdout
        for n in range(1, count + 1)
    ]


def test_the_a3_sheet_sets_two_columns_of_households_side_by_side_in_bigger_type(rw, tmp_path):
    add_categories(rw)  # six categories, as most schemes have
    round_ = on_notice(rw, extra_households=298)  # 300 households
    content, _name = notice_sheet_pdf(round_, size="a3")
    path = tmp_path / "a3.pdf"
    path.write_bytes(content)
    pages = _pages(path)
    # Two columns of 23 rows under the title block, then two of 30 a page: 46 + 4 × 60 = 286 < 300 → 6 pages (A4: 8),
    # none spilling onto an extra page.
    assert len(pages) == 6
    for text in pages:
        header = next(line for line in text.splitlines() if "户号" in line)
        assert header.count("户号") == 2 and header.count("合计") == 2
    assert "公示网址" in pages[-1]
    # The right column of page 1 starts at the 24th household: both columns are on the first data line.
    first_line = next(line for line in pages[0].splitlines() if "星" in line and "拟评星级" not in line)
    assert len([w for w in first_line.split() if w.endswith("星")]) == 2
    size = next(line for line in _poppler("pdfinfo", path).splitlines() if line.startswith("Page size"))
    assert "1190.55 x 841.89" in size


def test_the_qr_and_the_printed_address_use_the_configured_public_address(rw, tmp_path, settings):
    settings.JIFEN_PUBLIC_BASE_URL = "https://jifen.example.gov.cn/"
    round_ = on_notice(rw)
    # A token with dashes: a line break after one would read as a hyphenation, so the address never wraps.
    round_.notice_token = "Ab-" * 14 + "x"
    round_.save(update_fields=["notice_token"])
    content, _name = notice_sheet_pdf(round_, size="a4")
    path = tmp_path / "notice.pdf"
    path.write_bytes(content)
    address = f"https://jifen.example.gov.cn/notice/{round_.notice_token}/"
    assert any(address in line for line in _poppler("pdftotext", path).splitlines())  # whole, on one line
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", "150", "-png", str(path), str(tmp_path / "p")], check=True
    )
    codes = [symbol.data.decode() for symbol in decode(Image.open(next(tmp_path.glob("p*.png"))))]
    assert codes == [address]


def test_two_column_pages_fill_down_the_left_column_then_the_right_and_share_the_last_page():
    from publicity.documents import two_column_pages

    rows = list(range(1, 16))  # 15 rows; 3 a column on the first page, 4 after
    assert two_column_pages(rows, first=3, rest=4) == [
        ([1, 2, 3], [4, 5, 6]),
        ([7, 8, 9, 10], [11, 12, 13, 14]),
        ([15], []),
    ]
    assert two_column_pages(list(range(5)), first=3, rest=4) == [([0, 1, 2], [3, 4])]
    assert two_column_pages(list(range(4)), first=30, rest=40) == [([0, 1], [2, 3])]  # a short page, evenly
    assert two_column_pages([], first=3, rest=4) == []
