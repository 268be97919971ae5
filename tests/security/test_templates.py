"""Every template obeys the page rules the Content-Security-Policy and CSRF protection depend on.

The rule for anyone adding a template: no inline <script> (only <script src=...>), no <style> element, no
style="..." attribute, no on*= handler or hx-on attribute, no javascript: URL, every POST form carries
{% csrf_token %}, and no |safe / {% autoescape off %}. Styles go in static/css/jifen.css, behaviour in
static/js/jifen.js (data-* attributes, htmx attributes). A template rendered only by WeasyPrint into a PDF
starts with a `{# pdf-only ... #}` comment and may use <style>. New templates are scanned automatically.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

PDF_ONLY = "{# pdf-only"


def project_templates() -> list[Path]:
    roots = [settings.BASE_DIR / "templates"]
    roots += [path for path in settings.BASE_DIR.glob("*/templates") if ".venv" not in path.parts]
    return sorted({path for root in roots for path in root.rglob("*.html")})


TEMPLATES = project_templates()
PAGE_TEMPLATES = [path for path in TEMPLATES if not path.read_text().startswith(PDF_ONLY)]


def relative(path: Path) -> str:
    return str(path.relative_to(settings.BASE_DIR))


def without_comments(text: str) -> str:
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    text = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", "", text, flags=re.S)
    return re.sub(r"<!--.*?-->", "", text, flags=re.S)


TAG = re.compile(r"<([a-zA-Z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
INLINE_HANDLER = re.compile(r"(?:^|\s)(on[a-z]+|hx-on[\w:.-]*)\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"(?:^|\s)style\s*=", re.I)
DATA_SCRIPT_TYPES = ("application/json", "application/ld+json")


def inline_violations(text: str) -> list[str]:
    """What in one template the policy would block: the offending tags, shortened."""
    found = []
    text = without_comments(text)
    for match in TAG.finditer(text):
        name, attributes = match.group(1).lower(), match.group(2)
        snippet = match.group(0)[:80]
        if name == "style":
            found.append(f"<style> element: {snippet}")
        if (
            name == "script"
            and "src=" not in attributes
            and not any(t in attributes for t in DATA_SCRIPT_TYPES)
        ):
            found.append(f"inline <script>: {snippet}")
        if STYLE_ATTRIBUTE.search(attributes):
            found.append(f"style attribute: {snippet}")
        if handler := INLINE_HANDLER.search(attributes):
            found.append(f"{handler.group(1)}= handler: {snippet}")
        if re.search(r"=\s*[\"']?\s*javascript:", attributes, re.I):
            found.append(f"javascript: URL: {snippet}")
    return found


def test_the_scan_finds_the_templates():
    names = {relative(path) for path in PAGE_TEMPLATES}
    assert "templates/base.html" in names
    assert "templates/scoring/passbook.html" in names
    assert len(PAGE_TEMPLATES) > 50


@pytest.mark.parametrize(
    "html",
    [
        "<style>p{}</style>",
        "<script>alert(1)</script>",
        '<script type="text/javascript">x()</script>',
        '<p style="color: red">x</p>',
        "<p\n  class=x style='color: red'>x</p>",
        '<button onclick="go()">x</button>',
        '<body onload="go()">',
        '<button hx-on:click="go()">x</button>',
        '<a href="javascript:go()">x</a>',
    ],
)
def test_the_scan_catches_each_kind_of_inline_code(html):
    assert inline_violations(html)


@pytest.mark.parametrize(
    "html",
    [
        '<script src="/static/js/jifen.js" defer></script>',
        '<script id="data" type="application/json">{"a": 1}</script>',
        '<button hx-post="/x" hx-target="#y" data-confirm="Sure?">x</button>',
        '<p class="muted" data-style="x">x</p>',
        "{# <p style='x'> #}<p>ok</p>",
        '<input name="online" value="1">',
    ],
)
def test_the_scan_lets_allowed_markup_through(html):
    assert not inline_violations(html)


def test_no_template_has_inline_script_style_or_handlers():
    problems = {
        relative(path): found for path in PAGE_TEMPLATES if (found := inline_violations(path.read_text()))
    }
    assert not problems, (
        "Inline code is blocked by the Content-Security-Policy (core/csp.py): move styles to "
        f"static/css/jifen.css and behaviour to static/js/jifen.js. Found: {problems}"
    )


FORM = re.compile(r"<form\b(?P<attributes>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)


def test_every_post_form_carries_a_csrf_token():
    missing = []
    for path in PAGE_TEMPLATES:
        for form in FORM.finditer(without_comments(path.read_text())):
            if re.search(r"method\s*=\s*[\"']?post", form.group("attributes"), re.I) and (
                "{% csrf_token %}" not in form.group("body")
            ):
                missing.append(f"{relative(path)}: {form.group(0)[:80]}")
    assert not missing, f"POST forms without {{% csrf_token %}}: {missing}"


def test_htmx_requests_send_the_csrf_token():
    base = (settings.BASE_DIR / "templates" / "base.html").read_text()
    assert """hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'""" in base
    assert '"allowEval": false' in base and '"includeIndicatorStyles": false' in base


def test_no_template_turns_escaping_off():
    unsafe = re.compile(r"\|\s*safe(seq)?\b|\{%\s*autoescape\s+off")
    found = [relative(path) for path in TEMPLATES if unsafe.search(without_comments(path.read_text()))]
    assert not found, f"User data must be escaped: remove |safe / autoescape off from {found}"


def test_every_mark_safe_says_why_it_is_safe():
    """mark_safe is allowed only where the code escapes every piece of data itself, and says so on the line
    (ruff's S308 flags the call; the noqa must carry the reason, e.g. oversight/charts.py's SVG charts)."""
    apps = ["households", "scoring", "review", "rewards", "publicity", "oversight", "demonstration", "config"]
    unexplained = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for app in apps
        for path in (settings.BASE_DIR / app).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\bmark_safe\(|\bSafeString\(|autoescape\s*=\s*False", line)
        and not re.search(r"noqa: S308\W+\w+", line)
    ]
    assert not unexplained, f"mark_safe without '# noqa: S308 — <why it is safe>': {unexplained}"


# Stored files are never served from /media/ (config/urls.py): a template that links `<file>.url` shows a broken
# image at best. Link a view that looks the object up in the township and returns core.files
# .stored_file_response instead (rewards' product photos do: rewards:product-photo).
MEDIA_URL_PENDING: set[str] = set()


def test_no_template_links_stored_files_by_their_media_address():
    media_url = re.compile(r"\.(photo|file|image|form|evidence|attachment)\.url\b")
    found = {
        relative(path) for path in PAGE_TEMPLATES if media_url.search(without_comments(path.read_text()))
    }
    assert found <= MEDIA_URL_PENDING, (
        f"Serve stored files through a view, not .url: {found - MEDIA_URL_PENDING}"
    )
