"""How every request's input is read: JSON with bounded nesting and finite numbers,
and text (JSON strings, form fields, query parameters) that is text.

Python's parser recurses once per level (a body of 100,000 '[' exhausts the stack),
accepts ``NaN`` and ``Infinity`` and reads ``1e309`` as infinity, and keeps a lone
surrogate (``"\\ud800"``) or a NUL in a string, which no database column takes. The app's
JSON provider refuses each of these as the client's mistake, naming the top-level field
that holds it, so no view or service meets one.
"""
from __future__ import annotations

import json
import math

from flask import Request, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from engine.errors import Invalid
from engine.messages import N_

MAX_DEPTH = 64  # a flow document, the deepest body any route takes, nests under 10 levels


class RefusedJSON(ValueError):
    """A body that is JSON but not acceptable; ``field`` is its top-level key, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise RefusedJSON(N_("a number is out of range: %(number)s", number=text[:20]))
    return number


def _no_constant(name: str):
    raise RefusedJSON(N_("%(constant)s is not a JSON number", constant=name))


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return False


def check_value(value) -> None:
    """Refuse nesting past MAX_DEPTH and strings with a NUL or a lone surrogate."""
    pending = [(value, 0, None)]
    while pending:
        item, depth, field = pending.pop()
        if depth > MAX_DEPTH:
            raise RefusedJSON(N_("the JSON nests deeper than %(depth)s levels",
                                 depth=MAX_DEPTH), field)
        if isinstance(item, str) and _bad_text(item):
            raise RefusedJSON(N_("not text: a NUL character or a lone surrogate"), field)
        if isinstance(item, dict):
            for key, inner in item.items():
                if _bad_text(key):
                    raise RefusedJSON(N_("not text: a NUL character or a lone surrogate"), field)
                pending.append((inner, depth + 1, key if field is None else field))
        elif isinstance(item, list):
            pending.extend((inner, depth + 1, field) for inner in item)


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, parse_float=_finite, parse_constant=_no_constant, **kwargs)
        except RecursionError:
            raise RefusedJSON(N_("the JSON nests deeper than %(depth)s levels",
                                 depth=MAX_DEPTH)) from None
        check_value(value)
        return value


class StrictRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None):
        """A refused value is the field's error (422); anything else, a 400 that says
        what to send, never the parser's own words."""
        if isinstance(e, RefusedJSON) and e.field is not None:
            raise Invalid(e.message, fields={e.field: e.message})
        if isinstance(e, RefusedJSON):
            raise Invalid(e.message)
        if e is None:
            return super().on_json_loading_failed(e)  # not sent as JSON: 415
        raise BadRequest(_("the body is not valid JSON (UTF-8 text, Content-Type: "
                           "application/json)"))


def refuse_nul_in_fields() -> None:
    """Form fields and query parameters are text, which never holds a NUL (PostgreSQL
    cannot store one, and a name or a password with one was never typed): refused with
    the field's name before any view looks them up."""
    for source in (request.args, request.form) if request.method != "GET" else (request.args,):
        for name, value in source.items(multi=True):
            if "\x00" in value or "\x00" in name:
                message = N_("the field %(field)s is not text: it holds a NUL character",
                             field=name.replace("\x00", "?")[:64])
                raise Invalid(message, fields={name: message})


def init_app(app) -> None:
    app.json = StrictJSONProvider(app)
    app.request_class = StrictRequest
    app.before_request(refuse_nul_in_fields)
