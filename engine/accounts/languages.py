"""The languages a web user may choose for their pages."""
from __future__ import annotations

from engine.errors import Invalid
from engine.messages import N_

# The catalogues the web admin ships; English is the source language.
LANGUAGES = ("en", "zh_CN")
DEFAULT_LANGUAGE = "en"


def language(value: str | None) -> str | None:
    """A user's language: one of LANGUAGES, or None (empty) for the browser's choice."""
    if value is None or value == "":
        return None
    if value not in LANGUAGES:
        message = N_("invalid language %(value)r: choose one of %(choices)s",
                     value=value, choices=", ".join(LANGUAGES))
        raise Invalid(message, fields={"language": message})
    return value
