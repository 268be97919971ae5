"""PDF documents with WeasyPrint: Noto Sans CJK SC named explicitly, checked before rendering."""

import base64
import functools
import subprocess

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


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    require_cjk_font()
    html = render_to_string(template, {**context, "cjk_font": CJK_FONT})
    return HTML(string=html).write_pdf()
