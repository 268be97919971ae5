"""Charts drawn on the server as SVG: the same markup shows in the page and prints in WeasyPrint's PDFs.

No script and no style attribute (the Content-Security-Policy forbids both): presentation attributes only. The
font is named explicitly so Chinese labels never fall back to boxes (PITFALLS: WeasyPrint, Playwright).
"""

import base64
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
BAR = "#b3261e"
BAR_LIGHT = "#e9a39c"
BASE = "#1f5fa8"
GRID = "#cccccc"
TEXT = "#222222"
SERIES = ["#b3261e", "#1f5fa8", "#2e7d32", "#8e5b00", "#6a1b9a", "#00838f", "#c2185b", "#455a64"]


def _number(value) -> str:
    if value is None:
        return "–"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _short(label: str, limit: int = 9) -> str:
    """Long names (a village, a category) are cut so the bars keep their room; the full name is in the table."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    font = escape(FONT)
    return mark_safe(  # noqa: S308 — every label below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" class="chart" font-family="{font}" '
        f'font-size="17" fill="{TEXT}"><title>{escape(title)}</title>'
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="19" font-weight="bold">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _scale(values, *, floor_zero: bool = True) -> tuple[float, float]:
    numbers = [float(v) for v in values if v is not None]
    low = min([0.0, *numbers]) if floor_zero else min(numbers, default=0.0)
    high = max([0.0, *numbers]) if floor_zero else max(numbers, default=1.0)
    if high == low:
        high = low + 1
    return low, high


def histogram(bins: list[tuple[Decimal, int]], *, title: str, width_points: Decimal, axis: str) -> SafeString:
    """Vertical bars: households per bucket of totals ("130–140" means 130 ≤ total < 140)."""
    width, height, left, bottom, top = 640, 320, 52, 64, 44
    plot_w, plot_h = width - left - 16, height - top - bottom
    body = []
    if not bins:
        body.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">–</text>')
        return _svg(width, height, title, body)
    high = max(count for _low, count in bins) or 1
    step = plot_w / len(bins)
    for tick in (0, high / 2, high):
        y = top + plot_h - plot_h * tick / high
        body.append(f'<line x1="{left}" x2="{width - 16}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{round(tick)}</text>')
    for i, (low, count) in enumerate(bins):
        bar_h = plot_h * count / high
        x = left + i * step
        body.append(
            f'<rect x="{x + 2:.1f}" y="{top + plot_h - bar_h:.1f}" width="{max(step - 4, 1):.1f}" '
            f'height="{bar_h:.1f}" fill="{BAR}"><title>{escape(_number(low))}–{escape(_number(low + width_points))}: '
            f"{count}</title></rect>"
        )
        if count:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{top + plot_h - bar_h - 4:.1f}" text-anchor="middle" '
                f'font-size="15">{count}</text>'
            )
        body.append(
            f'<text x="{x + step / 2:.1f}" y="{top + plot_h + 20}" text-anchor="middle" font-size="15">'
            f"{escape(_number(low))}</text>"
        )
    body.append(f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle">{escape(axis)}</text>')
    return _svg(width, height, title, body)


def horizontal_bars(
    rows: list[tuple[str, Decimal | None, Decimal | None]],
    *,
    title: str,
    legend: tuple[str, str] | None = None,
) -> SafeString:
    """One bar per row (label, value) with an optional marker (the base score): category bars, village ranking."""
    label_w, row_h, top = 170, 30, 40
    width = 640
    height = top + row_h * max(len(rows), 1) + (40 if legend else 16)
    plot_w = width - label_w - 60
    low, high = _scale([v for _l, v, _m in rows] + [m for _l, _v, m in rows])
    span = high - low

    def x_of(value) -> float:
        return label_w + plot_w * (float(value) - low) / span

    body = []
    zero = x_of(0)
    for i, (label, value, marker) in enumerate(rows):
        y = top + i * row_h
        body.append(
            f'<text x="{label_w - 8}" y="{y + row_h / 2 + 5:.1f}" text-anchor="end">{escape(_short(label))}</text>'
        )
        if value is not None:
            x0, x1 = sorted((zero, x_of(value)))
            body.append(
                f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 1):.1f}" height="{row_h - 8}" '
                f'fill="{BAR}"/>'
            )
            body.append(
                f'<text x="{x1 + 4:.1f}" y="{y + row_h / 2 + 4:.1f}" font-size="15">{escape(_number(value))}</text>'
            )
        if marker is not None:
            xm = x_of(marker)
            body.append(
                f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="{y + 1}" y2="{y + row_h - 1}" stroke="{BASE}" '
                f'stroke-width="3"/>'
            )
    body.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{top + row_h * len(rows)}" stroke="{GRID}"/>'
    )
    if legend:
        y = height - 14
        body.append(f'<rect x="{label_w}" y="{y - 10}" width="14" height="10" fill="{BAR}"/>')
        body.append(f'<text x="{label_w + 20}" y="{y}">{escape(legend[0])}</text>')
        body.append(
            f'<line x1="{label_w + 200}" x2="{label_w + 200}" y1="{y - 12}" y2="{y + 2}" stroke="{BASE}" '
            f'stroke-width="3"/>'
        )
        body.append(f'<text x="{label_w + 208}" y="{y}">{escape(legend[1])}</text>')
    return _svg(width, height, title, body)


def trend(
    series: list[tuple[str, list[Decimal | None]]], *, labels: list[str], title: str, axis: str
) -> SafeString:
    """Lines of a value per quarter, one per series (the township, or each village), with a legend."""
    width, left, top = 640, 56, 44
    legend_rows = (len(series) + 3) // 4
    plot_h = 200
    height = top + plot_h + 48 + legend_rows * 24
    plot_w = width - left - 48
    low, high = _scale([v for _name, values in series for v in values])
    span = high - low
    step = plot_w / max(len(labels) - 1, 1)

    def y_of(value) -> float:
        return top + plot_h - plot_h * (float(value) - low) / span

    body = []
    for tick in (low, (low + high) / 2, high):
        y = y_of(tick)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:.1f}</text>')
    if low < 0 < high:
        y = y_of(0)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{TEXT}"/>')
    for i, label in enumerate(labels):
        body.append(
            f'<text x="{left + i * step:.1f}" y="{top + plot_h + 22}" text-anchor="middle">{escape(label)}</text>'
        )
    for n, (name, values) in enumerate(series):
        colour = SERIES[n % len(SERIES)]
        points = [(left + i * step, y_of(v)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for x, y in points:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        lx = left + (n % 4) * 150
        ly = top + plot_h + 50 + (n // 4) * 24
        body.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="10" fill="{colour}"/>')
        body.append(f'<text x="{lx + 20}" y="{ly}">{escape(name)}</text>')
    body.append(
        f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" font-size="15" '
        f'transform="rotate(-90 12 {top + plot_h / 2})">{escape(axis)}</text>'
    )
    return _svg(width, height, title, body)


def data_uri(svg: str) -> str:
    """For an <img> in a PDF (WeasyPrint draws SVG images with their text)."""
    return "data:image/svg+xml;base64," + base64.b64encode(str(svg).encode()).decode()
