"""A big notice sheet renders in parts joined into one PDF: the same rows in the same order, the title block on the
first page, the signature on the last, the table's header and the village on every page, and "第 x 页 共 y 页"
counted across the parts (publicity.documents.notice_sheet_pdf)."""

import re
import subprocess

import pytest

from publicity.documents import notice_parts, notice_sheet_pdf
from publicity.notice import NoticeRow
from tests.publicity.conftest import on_notice

pytestmark = pytest.mark.django_db


def _pages(content: bytes, tmp_path) -> list[str]:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return text.stdout.split("\f")[:-1]  # pdftotext ends every page with a form feed


def _numbers(pages: list[str]) -> list[str]:
    return [number for page in pages for number in re.findall(r"\b[AN]-\d+\b", page)]


def test_rows_are_cut_between_areas_and_a_big_area_every_size_rows():
    rows = [NoticeRow(area, str(n), "", [], 0) for n, area in enumerate("一" * 3 + "二" * 7 + "三" * 2)]
    parts = notice_parts(rows, 4)
    # 一组 (3) fits; 二组 (7) does not fit beside it, and alone is cut after 4; 三组 (2) joins its last 3 rows.
    assert [[row.area for row in part] for part in parts] == [
        ["一"] * 3,
        ["二"] * 4,
        ["二"] * 3,
        ["三"] * 2,
    ]


def test_a_sheet_in_parts_has_every_row_once_and_pages_numbered_across_the_parts(rw, tmp_path):
    from tests.publicity.conftest import add_households

    add_households(rw, 40)  # 一组: A-001; 二组: A-201 and N-0000 … N-0039 = 41 households
    round_ = on_notice(rw)
    whole = _pages(notice_sheet_pdf(round_, part_rows=1000)[0], tmp_path)
    parts = _pages(notice_sheet_pdf(round_, part_rows=20)[0], tmp_path)

    # In one piece: 42 rows fit in 35 on the first page and 7 on the second. In parts of at most 20 rows, cut
    # between the areas: 一组's 1 row, then 二组's 41 cut as 20 + 20 + 1, each part starting a page: 4 pages.
    assert len(whole) == 2 and len(parts) == 4
    expected = ["A-001", "A-201", *(f"N-{n:04d}" for n in range(40))]
    assert _numbers(whole) == expected and _numbers(parts) == expected
    for number, page in enumerate(parts, start=1):
        flat = page.replace(" ", "")
        assert f"第{number}页共4页" in flat and flat.count("页共") == 1  # numbered once, across the parts
        assert "户号" in flat and "合计" in flat  # the table's header
        assert "a东村·2026年度" in flat  # the village and period at the top of every page
    assert "积分评议结果公示" in parts[0] and "户数：42户" in parts[0].replace(" ", "")
    assert all("积分评议结果公示" not in page for page in parts[1:])
    assert "村民委员会" in parts[3] and all("村民委员会" not in page for page in parts[:3])


def test_an_a3_sheet_in_parts_keeps_its_pages(rw, tmp_path):
    from tests.publicity.conftest import add_households

    add_households(rw, 70)  # 72 households: 23 × 2 under the title block, then 26 on a second page
    round_ = on_notice(rw)
    whole = _pages(notice_sheet_pdf(round_, size="a3", part_rows=1000)[0], tmp_path)
    parts = _pages(notice_sheet_pdf(round_, size="a3", part_rows=60)[0], tmp_path)  # one A3 page a part
    assert len(whole) == len(parts) == 2
    assert _numbers(parts) == _numbers(whole) and len(_numbers(parts)) == 72
    assert "第2页共2页" in parts[1].replace(" ", "")
