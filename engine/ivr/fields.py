"""Each module's fields checked against FORMAT.md (bad_field, missing_audio, unknown_target).

Used by ``engine.ivr.validation``; every check returns problems instead of raising, so a
draft shows all its mistakes at once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.ivr.spec import (BUILTIN_VARIABLES, DAYS, MAX_COLLECT_DIGITS, MAX_HTTP_TIMEOUT,
                             MAX_INPUT_TIMEOUT, MAX_RECORD_SECONDS, MAX_RETRIES,
                             MAX_TRANSFER_TIMEOUT, MODULES, OPERATORS, PRODUCT_SOUNDS)
from engine.ivr.values import PLACEHOLDER, clock
from engine.validation import (AUDIO_NAME_RE, DIAL_NUMBER_RE, EXTENSION_RE, IVR_FLOW_NAME_RE,
                               IVR_VARIABLE_RE, NAME_RE)
from engine.messages import N_

if TYPE_CHECKING:
    from engine.ivr.validation import Catalog

Found = Iterator[tuple[str, str]]  # (code, message) about the node being checked
MAX_TEXT = 500


def _number(node: dict, name: str, low: float, high: float, whole: bool = True) -> Found:
    if name not in node:
        return
    value = node[name]
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        kind = "a whole number" if whole else "a number"
        yield "bad_field", N_("%(name)s must be %(kind)s from %(low)g to %(high)g",
                              name=name, kind=kind, low=low, high=high)


def _variable(node: dict, name: str = "variable", writable: bool = True) -> Found:
    value = node.get(name)
    if not isinstance(value, str) or not IVR_VARIABLE_RE.fullmatch(value):
        yield "bad_field", (N_("%(name)s must be a variable name: lower-case letters, digits and "
                               "'_', starting with a letter, at most 32", name=name))
    elif writable and value in BUILTIN_VARIABLES:
        yield "bad_field", N_("variable %(value)r is built in and read-only", value=value)


def _text(node: dict, name: str, required: bool = False) -> Found:
    value = node.get(name)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value) or len(value) > MAX_TEXT:
        yield "bad_field", N_("%(name)s must be text of at most %(max_text)s characters",
                              name=name, max_text=MAX_TEXT)


def _prompt(node: dict, catalog: Catalog) -> Found:
    audio, text = node.get("prompt"), node.get("text")
    if audio is not None and text is not None:
        yield "bad_field", N_("give either prompt (audio) or text, not both")
    elif audio is None and text is None:
        if MODULES[node["type"]].prompt_required:
            yield "bad_field", N_("a prompt (audio name) or a text to speak is needed")
    elif audio is not None:
        if not isinstance(audio, str) or not AUDIO_NAME_RE.fullmatch(audio):
            yield "bad_field", N_("invalid audio name %(audio)r", audio=audio)
        elif audio not in catalog.audio and audio not in PRODUCT_SOUNDS:
            yield "missing_audio", N_("audio %(audio)r is not in this instance's library",
                                      audio=audio)
    else:
        yield from _text(node, "text", required=True)


def _timezone(value) -> bool:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def _range(entry: dict, where: str) -> Found:
    try:
        begin, end = clock(entry.get("from")), clock(entry.get("to"))
    except ValueError as error:
        yield "bad_field", N_("%(where)s: %(error)s", where=where, error=error)
        return
    if begin is None or (end is not None and begin == end):
        yield "bad_field", N_("%(where)s: 'from' and 'to' must differ, 'from' before 24:00",
                              where=where)


def _dates(values, where: str) -> Found:
    if not isinstance(values, list):
        yield "bad_field", N_("%(where)s must be a list of dates (YYYY-MM-DD)", where=where)
        return
    for value in values:
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            yield "bad_field", N_("%(where)s: %(value)r is not a date (YYYY-MM-DD)",
                                  where=where, value=value)


def _rules(rules) -> Found:
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        yield "bad_field", N_("rules must be a list of {days, from, to}")
        return
    for number, rule in enumerate(rules, 1):
        days = rule.get("days", list(DAYS))
        if not isinstance(days, list) or not days or not set(days) <= set(DAYS):
            yield "bad_field", N_("rule %(number)s: days must be some of %(value)s",
                                  number=number, value=', '.join(DAYS))
        yield from _range(rule, f"rule {number}")


def _time_condition(node: dict, catalog: Catalog) -> Found:
    if not _timezone(node.get("timezone", "UTC")):
        yield "bad_field", N_("unknown time zone %(value)r", value=node.get('timezone'))
    yield from _rules(node.get("rules", []))
    yield from _dates(node.get("holidays", []), "holidays")
    opens = node.get("open_dates", [])
    if not isinstance(opens, list) or not all(isinstance(o, dict) for o in opens):
        yield "bad_field", N_("open_dates must be a list of {date, from, to}")
        return
    for opening in opens:
        yield from _dates([opening.get("date")], "open_dates")
        yield from _range(opening, f"open date {opening.get('date')}")


def _menu(node: dict, catalog: Catalog) -> Found:
    yield from _number(node, "timeout", 1, MAX_INPUT_TIMEOUT, whole=False)
    yield from _number(node, "retries", 0, MAX_RETRIES)


def _collect(node: dict, catalog: Catalog) -> Found:
    yield from _menu(node, catalog)
    yield from _variable(node)
    if "max_digits" not in node:
        yield "bad_field", N_("max_digits is needed")
    yield from _number(node, "max_digits", 1, MAX_COLLECT_DIGITS)
    yield from _number(node, "min_digits", 1, MAX_COLLECT_DIGITS)
    least, most = node.get("min_digits", 1), node.get("max_digits", MAX_COLLECT_DIGITS)
    if isinstance(least, int) and isinstance(most, int) and least > most:
        yield "bad_field", N_("min_digits is more than max_digits")
    if node.get("terminator", "#") not in ("", "#", "*"):
        yield "bad_field", N_("terminator must be '#', '*' or '' (none)")


def _condition(node: dict, catalog: Catalog) -> Found:
    yield from _variable(node, writable=False)
    if node.get("operator") not in OPERATORS:
        yield "bad_field", N_("operator must be one of %(value)s", value=', '.join(OPERATORS))
    yield from _text(node, "value", required=node.get("operator") not in (None, "is_empty"))


def _set_variable(node: dict, catalog: Catalog) -> Found:
    yield from _variable(node)
    yield from _text(node, "value")


def _target(node: dict, name: str, known, pattern, what: str) -> Found:
    value = node.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        yield "bad_field", N_("%(name)s must be the name of a %(what)s", name=name, what=what)
    elif value not in known:
        yield "unknown_target", N_("no %(what)s %(value)r in this instance", what=what, value=value)


def _transfer_skill_group(node: dict, catalog: Catalog) -> Found:
    yield from _target(node, "skill_group", catalog.skill_groups, NAME_RE, "skill group")
    yield from _number(node, "timeout", 1, MAX_TRANSFER_TIMEOUT)


def _transfer_agent(node: dict, catalog: Catalog) -> Found:
    yield from _target(node, "agent", catalog.agents, EXTENSION_RE, "agent extension")
    yield from _number(node, "timeout", 1, MAX_TRANSFER_TIMEOUT)


def _transfer_external(node: dict, catalog: Catalog) -> Found:
    number = node.get("number")
    fixed = PLACEHOLDER.sub("", number) if isinstance(number, str) else None
    plain = isinstance(number, str) and fixed == number
    if fixed is None or (plain and not DIAL_NUMBER_RE.fullmatch(number)) or \
            not all(c in "0123456789+" for c in fixed):
        yield "bad_field", N_("number must be digits (a leading '+' allowed) or use ${variable}")
    yield from _number(node, "timeout", 1, MAX_TRANSFER_TIMEOUT)


def _goto_flow(node: dict, catalog: Catalog) -> Found:
    yield from _target(node, "flow", catalog.flows, IVR_FLOW_NAME_RE, "published flow")


def _voicemail(node: dict, catalog: Catalog) -> Found:
    yield from _number(node, "max_seconds", 1, MAX_RECORD_SECONDS)


def _survey(node: dict, catalog: Catalog) -> Found:
    yield from _number(node, "timeout", 1, MAX_INPUT_TIMEOUT, whole=False)


def _http(node: dict, catalog: Catalog) -> Found:
    url = node.get("url")
    parts = urlsplit(PLACEHOLDER.sub("x", url)) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or \
            "${" in urlsplit(url).netloc:
        yield "bad_field", N_("url must be an http:// or https:// address (variables not in its "
                              "host)")
    yield from _number(node, "timeout", 1, MAX_HTTP_TIMEOUT, whole=False)
    settings = node.get("set", {})
    if not isinstance(settings, dict):
        yield "bad_field", N_("set must map variable names to response keys")
        return
    for variable, key in settings.items():
        yield from _variable({"variable": variable})
        if not isinstance(key, str) or not key:
            yield "bad_field", N_("set %(variable)r: the response key must be text",
                                  variable=variable)


def _hangup(node: dict, catalog: Catalog) -> Found:
    yield from _text(node, "reason")


def _nothing(node: dict, catalog: Catalog) -> Found:
    return iter(())


CHECKS: dict[str, Callable[[dict, Catalog], Found]] = {
    "start": _nothing, "hangup": _hangup, "play": _nothing, "menu": _menu,
    "collect": _collect, "time_condition": _time_condition, "condition": _condition,
    "set_variable": _set_variable, "transfer_skill_group": _transfer_skill_group,
    "transfer_agent": _transfer_agent, "transfer_external": _transfer_external,
    "goto_flow": _goto_flow, "voicemail": _voicemail, "survey": _survey, "http": _http,
}


def check_fields(node: dict, catalog: Catalog) -> Found:
    """Problems with one node's fields (its type is known)."""
    if MODULES[node["type"]].speaks:
        yield from _prompt(node, catalog)
    for name in ("x", "y"):
        yield from _number(node, name, -1e6, 1e6, whole=False)
    yield from _text(node, "label")
    yield from CHECKS[node["type"]](node, catalog)
