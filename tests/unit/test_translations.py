"""The catalogues keep up with the pages: every text extracted from the web admin
(templates, views, scripts) and from the engine's messages has a Chinese translation
with the same placeholders, and no page template shows English outside a translation.

The extraction is the one `make messages` runs (babel.cfg), so a new page anywhere
under webadmin/ is held to it without being listed here.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "webadmin" / "translations"
# The keywords of `make messages`: lazy texts in tables, t() in the pages' scripts.
KEYWORDS = DEFAULT_KEYWORDS | {"lazy_gettext": None, "_l": None, "t": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdrfgi]|\{(\w+)\}")


def extracted() -> dict[str, list[str]]:
    """msgid -> where it was found."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def catalogue(locale: str):
    with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def placeholders(text: str) -> list[str]:
    return sorted(a or b for a, b in PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def texts() -> dict[str, list[str]]:
    return extracted()


def test_the_extraction_finds_pages_views_scripts_and_engine_messages(texts):
    where = {place.split(":")[0] for places in texts.values() for place in places}
    assert any(w.endswith(".html") for w in where)
    assert any(w.startswith("webadmin/static/") and w.endswith(".js") for w in where)
    assert any(w.startswith("engine/") for w in where)
    assert "Sign in" in texts and "Unsaved changes." in texts
    assert "skill group %(name)r already exists in %(domain)s" in texts


def test_every_text_has_a_chinese_translation_with_the_same_placeholders(texts):
    chinese = catalogue("zh_CN")
    problems = []
    for msgid, places in sorted(texts.items()):
        entry = chinese.get(msgid)
        if entry is None:
            entry = next((m for m in chinese if isinstance(m.id, tuple) and msgid in m.id), None)
        if entry is None:
            problems.append(f"missing: {msgid!r} ({places[0]}); run make messages")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {msgid!r} ({places[0]})")
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        for text in strings:
            if placeholders(text) != placeholders(ids[0]):
                problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
    assert problems == []


def test_both_catalogues_exist_and_hold_every_text(texts):
    for locale in ("en", "zh_CN"):
        ids = {i for m in catalogue(locale) if m.id
               for i in (m.id if isinstance(m.id, tuple) else (m.id,))}
        assert set(texts) - ids == set(), f"{locale}: run make messages"


# What a template may show as it is: the brand, URL schemes, symbols.
UNTRANSLATED_OK = re.compile(r"\bccc\b|https?://")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TEXT_ATTRIBUTES = re.compile(r'\b(?:aria-label|title|placeholder|alt|data-confirm)="([^"]*)"')


def bare_english(template: str) -> list[str]:
    """Words a template shows outside any translation call."""
    source = JINJA.sub(" ", template)
    shown = [m.group(1) for m in TEXT_ATTRIBUTES.finditer(source)]
    source = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", source, flags=re.S)
    shown += re.sub(r"<[^>]*>", "\n", source).splitlines()
    return sorted(text.strip() for text in shown
                  if re.search(r"[A-Za-z]{2,}", UNTRANSLATED_OK.sub("", text)))


@pytest.mark.parametrize("template", sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "webadmin").rglob("templates/**/*.html")))
def test_no_page_template_shows_english_outside_a_translation(template):
    assert bare_english((ROOT / template).read_text()) == []


def test_the_bare_english_check_sees_text_and_attributes():
    assert bare_english('<p>Hello {{ name }}</p><a title="Go on">{{ _("x") }}</a>') == \
        ["Go on", "Hello"]
    assert bare_english('<p>{{ _("Hello") }} · ccc http://{{ d }}/</p>') == []


def test_no_style_sheet_writes_words_into_a_page():
    """CSS ``content`` cannot be translated: a page passes such text in an attribute."""
    for sheet in sorted((ROOT / "webadmin" / "static").glob("*.css")):
        assert not re.findall(r'content:\s*"[^"]*[A-Za-z]{2,}', sheet.read_text()), sheet.name
