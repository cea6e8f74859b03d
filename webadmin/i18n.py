"""The web admin's languages: which one a request gets, and translating engine messages.

A page speaks the signed-in user's own language when they chose one, else the best
match of the browser's Accept-Language among the catalogues, else English. The REST
API follows the request's Accept-Language only: a script says what it wants.
Catalogues live in ``webadmin/translations/<locale>/LC_MESSAGES/messages.po``; the
compiled ``.mo`` files are built by ``make python``, and again here at start-up when one
is missing or older than its ``.po`` (a checkout that changed a catalogue).
"""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request
from flask_babel import Babel, Domain, get_locale, gettext

from engine.accounts.languages import DEFAULT_LANGUAGE, LANGUAGES
from engine.messages import Message

TRANSLATIONS = Path(__file__).parent / "translations"
SCRIPTS = Path(__file__).parent / "static"
# The pages' scripts mark their texts with t("..."), as templates and views use _("...").
SCRIPT_KEYWORDS = {"t": None}
API_PREFIX = "/api/"
log = logging.getLogger(__name__)
babel = Babel()


def select_locale() -> str:
    """The user's own choice on pages, else the browser's best match, else English."""
    if not request.path.startswith(API_PREFIX) and g.get("language"):
        return g.language
    return browser_language(request.accept_languages)


def catalogue_name(locale: Locale) -> str:
    """The catalogue's folder for a locale: language_TERRITORY (zh_CN), where Babel
    itself would name Chinese with its script (zh_Hans_CN)."""
    return "_".join(part for part in (locale.language, locale.territory) if part)


class CatalogueDomain(Domain):
    """Flask-Babel's translations, found in the catalogues' own folders."""

    def get_translations(self):
        locale = get_locale()
        if locale is None:
            return NullTranslations()
        name = catalogue_name(locale)
        if name not in self.cache:
            self.cache[name] = Translations.load(str(TRANSLATIONS), [name, locale.language])
        return self.cache[name]


def browser_language(accepted) -> str:
    """The catalogue for the first language the browser prefers that we have: exactly
    (zh-CN is zh_CN), else by its primary tag (en-US is en, zh is zh_CN).

    Werkzeug's best_match prefers any exact match over the browser's order, which would
    give "en-US,zh-CN;q=0.5" Chinese; this keeps the browser's order first.
    """
    for tag, quality in accepted:
        if quality <= 0 or tag == "*":
            continue
        tag = tag.replace("-", "_").lower()
        exact = [lang for lang in LANGUAGES if lang.lower() == tag]
        primary = [lang for lang in LANGUAGES if lang.split("_")[0] == tag.split("_")[0]]
        if exact or primary:
            return (exact or primary)[0]
    return DEFAULT_LANGUAGE


def translate(text) -> str:
    """An engine message in the request's language; any other text as it is."""
    if not isinstance(text, Message):
        return text
    params = {name: translate(value) for name, value in text.params.items()}
    return gettext(text.template, **params) if params else gettext(text.template)


def error_text(error) -> str:
    """A DomainError's whole message, translated. An error assembled from per-field
    messages is assembled again from their translations (when any reads differently)."""
    message = getattr(error, "message", str(error))
    if isinstance(message, Message) or not error.fields:
        return translate(message)
    texts = list(error.fields.values())
    translated = [translate(text) for text in texts]
    return message if translated == texts else "; ".join(translated)


def field_errors(error) -> dict[str, str]:
    return {name: translate(text) for name, text in error.fields.items()}


@functools.cache
def script_texts() -> tuple[str, ...]:
    """Every text the pages' scripts mark with t(), read from the scripts once."""
    texts = set()
    for path in sorted(SCRIPTS.glob("*.js")):
        with path.open("rb") as script:
            texts.update(message for _, message, _, _ in
                         extract("javascript", script, keywords=SCRIPT_KEYWORDS)
                         if isinstance(message, str))
    return tuple(sorted(texts))


def ui_strings() -> dict[str, str]:
    """The scripts' texts in the page's language (only those that read differently)."""
    if catalogue_name(get_locale()) == DEFAULT_LANGUAGE:
        return {}
    translated = {text: gettext(text) for text in script_texts()}
    return {text: other for text, other in translated.items() if other != text}


def compile_catalogues(directory: Path = TRANSLATIONS) -> None:
    """Build each ``messages.mo`` that is missing or older than its ``.po``.

    Written beside it and renamed into place, so a process starting at the same time
    (the test shards) reads the old file or the new one, never half of one.
    """
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        try:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with partial.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            partial.replace(mo_path)
        except OSError as error:  # an installed, read-only copy: its .mo shipped with it
            log.warning("cannot compile %s: %s", po_path.name, error.strerror)


def init_app(app: Flask) -> None:
    compile_catalogues()
    babel.init_app(app, locale_selector=select_locale, default_locale=DEFAULT_LANGUAGE,
                   default_translation_directories=str(TRANSLATIONS))
    babel.domain_instance = CatalogueDomain()
    app.jinja_env.globals.update(translate=translate, ui_strings=ui_strings)
    app.context_processor(
        lambda: {"page_language": catalogue_name(get_locale()).replace("_", "-")})
