"""PDF documents with WeasyPrint: Noto Sans CJK SC named explicitly, checked before rendering."""

import base64
import contextlib
import functools
import gc
import io
import subprocess
from collections.abc import Callable, Iterator

import segno
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.errors import DomainError

CJK_FONT = "Noto Sans CJK SC"
PAGE_SIZES = {"a4": "A4 portrait", "a3": "A3 landscape"}


@functools.cache
def cjk_font_installed() -> bool:
    try:
        found = subprocess.run(  # noqa: S603 — fixed arguments, no user input
            ["fc-list", f":family={CJK_FONT}", "family"],  # noqa: S607 — fontconfig's own tool on PATH
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return CJK_FONT in found.stdout


def require_cjk_font() -> None:
    if not cjk_font_installed():
        raise DomainError(
            _(
                "The Chinese font %(font)s is not installed on the server, so the PDF would show empty boxes. "
                "Install the Debian package fonts-noto-cjk (make install does it)."
            )
            % {"font": CJK_FONT},
            code="missing_font",
        )


def qr_data_uri(url: str) -> str:
    """A QR code as an SVG data URI (crisp at any print size)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@functools.cache
def _print_html() -> type:
    """WeasyPrint's HTML with its user-agent stylesheet less the pseudo-element rules our documents never use.

    As universal rules (`::footnote-call`, `::note-marker`, …, `::marker`) they give each element of a document six
    pseudo-element styles to compute: a 300-row notice sheet has ~3,600 elements, and 15% of its rendering went
    there (measured, issue 19). Footnotes and notes appear in none of our templates; `::marker` keeps its rule for
    list items, the only elements with markers. `_ua_stylesheets` is WeasyPrint's own hook for its stylesheet: if a
    release drops it, its full stylesheet applies again, slower and with the same PDF."""
    import re

    from weasyprint import CSS, HTML
    from weasyprint.html import UA, UA_COUNTER_STYLE

    unused = re.compile(r"^::(footnote|note)-[a-z]+ \{.*$", re.MULTILINE)
    stylesheet = unused.sub("", UA).replace("\n::marker {", "\nli::marker, summary::marker {")
    lean = CSS(string=stylesheet, counter_style=UA_COUNTER_STYLE)

    class PrintHTML(HTML):
        def _ua_stylesheets(self, forms: bool = False) -> list:
            return [lean]

    return PrintHTML


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector every 10,000 allocations instead of 700 while WeasyPrint lays out and writes
    (it allocates boxes by the hundred thousand, and keeps most of them to the end), then once when it is done: 13%
    less CPU for a 3,000-row sheet in parts, the same peak memory (measured, issue 19).

    The objects alive before rendering (the process's modules, Django, caches) are frozen meanwhile (`gc.freeze`):
    no collection during the rendering, nor the one after it, walks them again; they are unfrozen at the end, so
    whatever of theirs dies later is collected as usual. ~10% less CPU for a 300-row sheet in a process that has
    rendered before (a documents worker; measured alternating in one process, issue 19); within the noise in
    bench/notice.py's fresh process.

    A web worker froze what it loaded when it started (config/gunicorn.py) and keeps it frozen for its life: a
    sheet rendered by a page is then rendered with that freeze as it is, neither added to (whatever the requests in
    flight hold would stay frozen once they are gone) nor undone."""
    threshold = gc.get_threshold()
    frozen_already = gc.get_freeze_count() > 0
    if not frozen_already:
        gc.freeze()
    gc.set_threshold(10_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.collect()  # the rendering's own garbage: the frozen objects are not walked
        if not frozen_already:
            gc.unfreeze()


def render_pdf(template: str, context: dict) -> bytes:
    require_cjk_font()
    html = render_to_string(template, {**context, "cjk_font": CJK_FONT})
    with _fewer_collections():
        return _print_html()(string=html).write_pdf()


def join_pdfs(parts: list[bytes], *, overlay: Callable[[int], bytes] | None = None) -> bytes:
    """The pages of `parts`, in order, as one PDF. `overlay(pages)` renders a PDF of that many pages, each drawn
    over the joined page of its number: what no part can know alone, such as "page n of N" across them all."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    if overlay is not None:
        stamps = PdfReader(io.BytesIO(overlay(len(writer.pages)))).pages
        for page, stamp in zip(writer.pages, stamps, strict=True):
            page.merge_page(stamp)
    joined = io.BytesIO()
    writer.write(joined)
    return joined.getvalue()
