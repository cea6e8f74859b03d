"""The callee's region from its number, by the geocoding data the ``phonenumbers``
library maintains (area codes of landlines, the prefixes of mobile ranges).

Numbers are read as dialled in mainland China: a national number (0 + area code, or
an 11-digit mobile), or international with + or 00.
"""
from __future__ import annotations

import phonenumbers

HOME_REGION = "CN"
LANGUAGES = ("en", "zh")


def _parsed(number: str):
    text = "+" + number[2:] if number.startswith("00") else number
    try:
        return phonenumbers.parse(text, HOME_REGION)
    except phonenumbers.NumberParseException:
        return None


def callee_key(number: str) -> str:
    """One spelling per callee (0086139..., +86139... and 139... are the same person),
    so the frequency caps count them together; a number the library cannot read is
    kept as dialled."""
    parsed = _parsed(number)
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def load():
    """The geocoding data, loaded on first use: it takes a second or two (more on a busy
    host), which every start of a ccc process would pay otherwise; ``ccc serve`` loads
    it in the background once it is taking calls."""
    from phonenumbers import geocoder
    return geocoder


def callee_regions(number: str) -> tuple[str, ...]:
    """The callee's region names (English, then Chinese), or () when unknown."""
    parsed = _parsed(number)
    if parsed is None:
        return ()
    geocoder = load()
    names = (geocoder.description_for_number(parsed, language) for language in LANGUAGES)
    return tuple(name for name in names if name)
