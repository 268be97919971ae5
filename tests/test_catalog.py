"""Every word a page shows is in Chinese (issue 17, "Everyone's words").

The strings the code marks for translation are extracted the way `makemessages` does it (Django's `templatize` for
templates, then GNU xgettext with Django's keywords plus our `_lazy` alias), and each must have a translation that is
neither empty nor fuzzy in one of the zh_Hans catalogues Django will load: ours (locale/*/zh_Hans), the installed
apps' and Django's own. Templates carry no Chinese of their own except the printed documents listed below.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
LANGUAGE = "zh_Hans"

# Where the code lives; tests, migrations and the virtualenv hold no page text.
CODE_DIRS = (
    "config",
    "core",
    "households",
    "scoring",
    "review",
    "rewards",
    "publicity",
    "oversight",
    "demonstration",
)
TEMPLATE_DIRS = ("templates", *CODE_DIRS)

# Django's xgettext keywords (makemessages), plus `_lazy`, the alias some modules give gettext_lazy.
KEYWORDS = (
    "_",
    "_lazy",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext:1,2",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "pgettext_lazy:1c,2",
    "npgettext:1c,2,3",
    "npgettext_lazy:1c,2,3",
)

# Printed documents (rendered to PDF, pinned on a wall or handed out): their fixed wording is the official Chinese
# form of the document (column headings, "第 N 页", seals and signature lines), printed the same whatever language the
# clerk's browser asks for, so it is written in Chinese in the template rather than translated.
PRINT_TEMPLATES = {
    "templates/demonstration/notice_sheet.html": "公示 of a demonstration-village application, posted by the township",
    "templates/demonstration/result_notice_sheet.html": "公示 of a demonstration call's result, posted by the region",
    "templates/demonstration/_notice_sheet_style.html": "the page rules (page numbers) of the two sheets above",
    "templates/publicity/certificates.html": "star certificates handed to households",
    "templates/publicity/honour_roll.html": "光荣榜 pinned in the village",
    "templates/publicity/incentive_list.html": "incentive list stamped by the township",
    "templates/publicity/month_report.html": "monthly report printed for the village office",
    "templates/publicity/notice_sheet.html": "公示 sheet pinned on the village board",
    "templates/publicity/passbook.html": "a household's points passbook",
    "templates/publicity/prize_certificates.html": "school term prize certificates",
    "templates/publicity/reward_list.html": "reward list stamped by the township",
    "templates/publicity/slips.html": "notification slips handed to households",
    "templates/publicity/talk_list.html": "parents' talk list signed by parents",
    "templates/review/weekly_summary_pdf.html": "class weekly summary filed by the head teacher",
}

# Chinese a page may show untranslated: the name of a language in that language, so a reader of any language finds
# their own in the language switcher.
ENDONYMS = {"templates/base.html": ("中文",)}

CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")


@dataclass(frozen=True)
class Message:
    msgid: str
    context: str = ""


@dataclass
class Entry:
    message: Message
    translations: list[str] = field(default_factory=list)
    fuzzy: bool = False
    references: list[str] = field(default_factory=list)

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.translations) and all(self.translations)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(1)), text[1:-1])


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po/.pot file (obsolete `#~` entries and the header left out)."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        fuzzy = False
        references: list[str] = []
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#~"):
                continue
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
            elif line.startswith("#:"):
                references.extend(line[2:].split())
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[key] += _unquote(line)
            else:
                key, _, rest = line.partition(" ")
                fields[key] = _unquote(rest)
        if "msgid" not in fields or not fields["msgid"]:
            continue
        translations = [value for name, value in fields.items() if name.startswith("msgstr")]
        message = Message(fields["msgid"], fields.get("msgctxt", ""))
        entries.append(Entry(message, translations, fuzzy, references))
    return entries


def catalogue_paths() -> list[Path]:
    """The zh_Hans catalogues Django merges for a page: LOCALE_PATHS, the installed apps', Django's own."""
    dirs = [Path(path) for path in settings.LOCALE_PATHS]
    dirs += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    dirs.append(Path(django.__file__).parent / "conf" / "locale")
    return [path for d in dirs if (path := d / LANGUAGE / "LC_MESSAGES" / "django.po").exists()]


def translated_messages(paths: list[Path]) -> set[Message]:
    return {
        entry.message for path in paths for entry in parse_po(path.read_text("utf-8")) if entry.translated
    }


def source_files(root: Path) -> tuple[list[Path], list[Path]]:
    python: list[Path] = []
    templates: list[Path] = []
    for name in CODE_DIRS:
        python += [p for p in (root / name).rglob("*.py") if "migrations" not in p.parts]
    for name in TEMPLATE_DIRS:
        templates += [p for p in (root / name).rglob("*.html") if "templates" in p.relative_to(root).parts]
    return sorted(python), sorted(set(templates))


def extract(python: list[Path], templates: list[Path], root: Path, workdir: Path) -> list[Entry]:
    """What `makemessages` would extract: templates through Django's templatize, then xgettext over everything."""
    inputs = [str(path.relative_to(root)) for path in python]
    for template in templates:
        relative = template.relative_to(root)
        target = workdir / f"{relative}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(templatize(template.read_text("utf-8"), origin=str(relative)), "utf-8")
        inputs.append(str(target))
    file_list = workdir / "files.txt"
    file_list.write_text("\n".join(inputs) + "\n", "utf-8")
    command = [
        "xgettext",
        "--language=Python",
        "--from-code=UTF-8",
        "--add-location",
        *(f"--keyword={keyword}" for keyword in KEYWORDS),
        f"--files-from={file_list}",
        "--output=-",
    ]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    return parse_po(result.stdout)


def missing_translations(root: Path, workdir: Path, catalogues: list[Path]) -> list[str]:
    known = translated_messages(catalogues)
    python, templates = source_files(root)
    missing = []
    for entry in extract(python, templates, root, workdir):
        if entry.message not in known:
            where = ", ".join(
                ref.replace(f"{workdir}/", "").replace(".html.py:", ".html:") for ref in entry.references[:3]
            )
            context = f" (context {entry.message.context!r})" if entry.message.context else ""
            missing.append(f"{entry.message.msgid!r}{context} at {where}")
    return missing


def chinese_outside_print_templates(root: Path) -> list[str]:
    findings = []
    for template in source_files(root)[1]:
        relative = str(template.relative_to(root))
        if relative in PRINT_TEMPLATES:
            continue
        for number, line in enumerate(template.read_text("utf-8").splitlines(), start=1):
            for run in CHINESE.findall(line):
                if run not in ENDONYMS.get(relative, ()):
                    findings.append(f"{relative}:{number}: {run}")
    return findings


needs_xgettext = pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (make debs)")


@needs_xgettext
def test_every_string_marked_for_translation_has_a_chinese_translation(tmp_path):
    missing = missing_translations(ROOT, tmp_path, catalogue_paths())

    assert not missing, "Missing, empty or fuzzy in the zh_Hans catalogues:\n" + "\n".join(missing)


@needs_xgettext
def test_a_string_missing_from_the_catalogues_is_reported(tmp_path):
    project = tmp_path / "project"
    (project / "core" / "templates" / "core").mkdir(parents=True)
    (project / "core" / "planted.py").write_text(
        "from django.utils.translation import gettext_lazy as _lazy\n"
        "from django.utils.translation import pgettext\n"
        "NOTE = _lazy('A planted note nobody translated')\n"
        "KNOWN = _lazy('Already translated')\n"
        "FUZZY = _lazy('Only a fuzzy guess')\n"
        "EMPTY = _lazy('Left untranslated')\n"
        "TITLE = pgettext('planted', 'Already translated')\n",
        "utf-8",
    )
    (project / "core" / "templates" / "core" / "planted.html").write_text(
        "{% load i18n %}<p>{% translate 'A planted heading' %}</p><p>{% trans 'A planted old-style tag' %}</p>"
        "{% blocktranslate count n=3 %}{{ n }} planted row{% plural %}{{ n }} planted rows{% endblocktranslate %}",
        "utf-8",
    )
    catalogue = tmp_path / "django.po"
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Already translated"\nmsgstr "已译"\n\n'
        '#, fuzzy\nmsgid "Only a fuzzy guess"\nmsgstr "猜测"\n\n'
        'msgid "Left untranslated"\nmsgstr ""\n',
        "utf-8",
    )
    workdir = tmp_path / "work"
    workdir.mkdir()

    missing = missing_translations(project, workdir, [catalogue])

    assert [line.split(" at ")[0] for line in missing] == [
        "'A planted note nobody translated'",
        "'Only a fuzzy guess'",
        "'Left untranslated'",
        "'Already translated' (context 'planted')",
        "'A planted heading'",
        "'A planted old-style tag'",
        "'%(n)s planted row'",
    ]
    assert "core/planted.py:3" in missing[0]
    assert "core/templates/core/planted.html" in missing[4]


def test_templates_carry_no_chinese_outside_the_printed_documents():
    findings = chinese_outside_print_templates(ROOT)

    assert not findings, "Chinese text in a page template; make it an English msgid:\n" + "\n".join(findings)


def test_the_print_templates_listed_exist():
    assert [name for name in PRINT_TEMPLATES if not (ROOT / name).exists()] == []
