"""The one Jinja2 environment for every PBX file, settings-only or database-derived.

Every value a template writes passes through a filter that names its shape (``digits``,
``pbx_name``, ``host``...) and refuses anything else, so no value can carry dialplan or
configuration syntax into the PBX, whatever let it into the database.
``tests/unit/test_templates.py`` checks that every template expression ends in one.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path, PurePath

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from engine import variables
from engine.ami import events
from engine.validation import HOST_RE, PBX_NAME_RE, PHONE_DIGITS_MAX

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "dialplan_templates" / "asterisk"


class UnsafeValue(ValueError):
    """A value of the wrong shape was about to be written into a PBX file."""


_DIGITS = re.compile(rf"^\+?[0-9]{{1,{PHONE_DIGITS_MAX}}}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
_IP = re.compile(r"^[0-9.]{7,15}$|^[0-9a-fA-F:]{2,39}$")
# Free text that only ever lands in a comment: one line, printable.
_LABEL = re.compile(r"^[^\x00-\x1f\x7f]{0,64}$")
_EVENT = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")  # an AMI event name
_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
_PATTERN = re.compile(rf"^X{{1,{PHONE_DIGITS_MAX}}}$")


class _Passed(dict):
    """A shape check, and what it let through during the render under way: value -> the
    string written. A full render writes ~500,000 values but only ~40,000 distinct ones
    (an agent's user name eight times in pjsip.conf); the filter is this dict's lookup,
    so a value met again costs a lookup made in C, not a Python call and a regular
    expression (a Python call per value was half of the templates' time at 10,000
    agents). A value not found is checked, and remembered only if it passed; what a
    lookup returns is always a plain string that matched. Only a value that cannot be a
    dict key (a list: a template's mistake, never a database value) fails otherwise:
    with TypeError."""

    __slots__ = ("matches", "what")

    def __init__(self, pattern: re.Pattern, what: str):
        super().__init__()
        self.matches, self.what = pattern.fullmatch, what

    def __missing__(self, value: object) -> str:
        text = value
        if type(text) is not str:
            text = str(text) if isinstance(text, PurePath) else _refuse(text, self.what)
        if self.matches(text) is None or (self.what == "path" and ".." in text):
            _refuse(text, self.what)
        self[value] = text
        return text


_PASSED: list[_Passed] = []


def _shape(pattern: re.Pattern, what: str):
    passed = _Passed(pattern, what)
    _PASSED.append(passed)
    return passed.__getitem__


def forget_passed() -> None:
    """What the checks let through, forgotten: after a full render, whose files share
    most values (an agent's user name is in pjsip.conf and extensions.conf)."""
    for passed in _PASSED:
        passed.clear()


def _refuse(value: object, what: str):
    raise UnsafeValue(f"refusing to write {value!r} into a PBX file: not a valid {what}")


def _integer(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnsafeValue(f"refusing to write {value!r} into a PBX file: not an integer")
    return str(value)


_variable_name = _shape(_VARIABLE, "channel variable name")


def _ref(name: str, offset: int | None = None, length: int | None = None) -> str:
    """A dialplan reference to a channel variable: ${NAME} or ${NAME:offset:length}."""
    name = _variable_name(name)
    if offset is None:
        return "${%s}" % name
    return "${%s:%s:%s}" % (name, _integer(offset), _integer(length))


# Filter name -> check. The only ways a template may write a value (constants of
# ``engine.variables`` aside).
FILTERS = {
    "digits": _shape(_DIGITS, "number or extension"),
    "pbx_name": _shape(PBX_NAME_RE, "PBX object name"),
    "host": _shape(HOST_RE, "host"),
    "ip": _shape(_IP, "IP address"),
    "secret": _shape(_SECRET, "secret"),
    "path": _shape(_PATH, "path"),
    "label": _shape(_LABEL, "one-line label"),
    "pattern": _shape(_PATTERN, "digits pattern"),
    "event": _shape(_EVENT, "AMI event name"),
    "integer": _integer,
    "ref": _ref,
}


class _Constants(Extension):
    """``var.NAME`` (a string or number of ``engine.variables``) is read when a template is
    compiled, not on every render: Jinja then writes it, and what a filter makes of it
    (``var.AGENT | ref``: the filter runs then, on the constant), into the template's
    static text. extensions.conf names ~400 of them per instance. ``var`` is the module's
    name in every template, never a template's own variable."""

    def filter_stream(self, stream: TokenStream):
        tokens = list(stream)
        at = 0
        while at < len(tokens):
            token = tokens[at]
            if (token.test("name:var") and at + 2 < len(tokens) and tokens[at + 1].test("dot")
                    and tokens[at + 2].type == "name"
                    and (at == 0 or not tokens[at - 1].test("dot"))):
                value = getattr(variables, tokens[at + 2].value, None)
                kind = ("string" if type(value) is str
                        else "integer" if type(value) is int else None)
                if kind:
                    yield Token(token.lineno, kind, value)
                    at += 3
                    continue
            yield token
            at += 1


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False,
                             extensions=[_Constants])
    env.filters.update(FILTERS)
    env.globals["var"] = variables
    env.globals["ami_events"] = events.LISTENED
    return env


def render(name: str, **context: object) -> str:
    """Render ``dialplan_templates/asterisk/<name>.j2``."""
    return environment().get_template(f"{name}.j2").render(**context)
