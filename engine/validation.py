"""Shapes that user-given names must have before they reach the database or a template."""
from __future__ import annotations

import re

from engine.errors import Conflict, DomainError, Invalid
from engine.messages import N_

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
# A DNS name in lower case: labels of letters, digits and inner hyphens.
LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_RE = re.compile(rf"^(?=.{{1,253}}$){LABEL}(\.{LABEL})*$")
EXTENSION_RE = re.compile(r"^[1-9][0-9]{2,5}$")
TRUNK_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
# Audio names become file names and AGI arguments: lower case, no dot, no space.
AUDIO_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# IVR flows: node ids and variable names reach channel variables and the editor's DOM.
IVR_NODE_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
# One step of a call's way through the IVR: a node id, and the menu keys pressed there.
IVR_STEP_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,31})(?::([0-9*#]{1,16}))?$")
IVR_VARIABLE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Flow names are what goto_flow and ``ccc ivr`` use; no spaces, so they need no quoting.
IVR_FLOW_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# What may reach a dial string (docs/security.md). A phone number is ASCII digits with an
# optional leading "+", never dialplan syntax; the dialplan's own patterns accept exactly
# these lengths, so the PBX and the engine refuse the same things.
PHONE_DIGITS_MAX = 20
DIAL_NUMBER_DIGITS_MIN = 3      # what an IVR may transfer to (short service numbers too)
OUTSIDE_NUMBER_DIGITS_MIN = 7   # what an agent dials out: shorter ones are extensions
DIAL_NUMBER_RE = re.compile(rf"^\+?[0-9]{{{DIAL_NUMBER_DIGITS_MIN},{PHONE_DIGITS_MAX}}}$")
# Names the engine derives for PBX objects (endpoints, queues, contexts, the site):
# lower-case letters, digits, '_' and '-' only, so they never carry dial-string syntax.
PBX_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def number_text(text) -> int | None:
    """The integer a text spells in ASCII digits, when it fits 64 bits; None otherwise.

    ``str.isdigit()`` is also true of other scripts' digits and of '²' (which int()
    refuses), and a 40-digit id reaches no column; typed numbers go through here.
    """
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 19:
        number = int(text)
        return number if number < 2 ** 63 else None
    return None


def check(pattern: re.Pattern, value: str, what: str, hint: str) -> str:
    # fullmatch, not match: "$" also matches before a final newline, which would let
    # "1001\n" through into a rendered configuration file.
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Invalid(N_("invalid %(what)s %(value)r: %(hint)s", what=what, value=value, hint=hint))
    return value


def name(value: str, what: str = N_("name")) -> str:
    return check(NAME_RE, value, what,
                 N_("1-64 letters, digits, spaces, '.', '_' or '-', starting with a letter or "
                    "digit"))


def domain(value: str) -> str:
    return check(DOMAIN_RE, value, N_("access domain"),
                 N_("a lower-case DNS name such as acme.example.com"))


def extension(value: str) -> str:
    return check(EXTENSION_RE, value, N_("extension"),
                 N_("3 to 6 digits, not starting with 0"))


class FieldErrors:
    """Collects one message per input field, so a form learns all its mistakes at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.conflicts: set[str] = set()

    def check(self, field: str, check, *args, **kwargs):
        """Run ``check``; a rule it breaks is recorded against ``field`` (None returned)."""
        try:
            return check(*args, **kwargs)
        except DomainError as error:
            self.add(field, error.message, isinstance(error, Conflict))
            return None

    def add(self, field: str, message: str, conflict: bool = False) -> None:
        """Record a broken rule; ``conflict`` for a clash with existing data."""
        if field not in self.errors:
            self.errors[field] = message
            if conflict:
                self.conflicts.add(field)

    def raise_if_any(self, error_class: type[DomainError] | None = None) -> None:
        """Raise ``error_class``, by default Conflict when only clashes were found."""
        if self.errors:
            if error_class is None:
                error_class = Conflict if self.conflicts == set(self.errors) else Invalid
            raise error_class("; ".join(self.errors.values()), fields=self.errors)


def text(value: str, what: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(N_("%(what)s too long: at most %(limit)s characters", what=what, limit=limit))
    if "\x00" in value:  # never typed; PostgreSQL cannot store it
        raise Invalid(N_("%(what)s holds a NUL character", what=what))
    return value


def audio_name(value: str) -> str:
    return check(AUDIO_NAME_RE, value, N_("audio name"),
                 N_("1-64 lower-case letters, digits, '_' or '-', starting with a letter or digit"))
