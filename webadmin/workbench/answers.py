"""The workbench's one shape for a refused request: JSON ``{"error", "fields"}``.

The page's scripts read every view's refusal the same way, so every view answers
through these two functions (the REST API has its own, webadmin/api/__init__.py).
"""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from engine.ami.client import AmiError
from engine.errors import Conflict, DomainError, NotFound
from webadmin.i18n import error_text, field_errors


def refusal(message: str, status: int, fields: dict[str, str] | None = None):
    """A JSON refusal with its status; ``fields`` name the inputs at fault."""
    body = {"error": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


def error_answer(error: DomainError | AmiError):
    """An engine error as the page reads it: a broken rule (404, 409 or 422, in the
    agent's language, with its fields) or the PBX being away (503)."""
    if isinstance(error, AmiError):
        return refusal(_("the PBX is not reachable; try again shortly"), 503)
    status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) \
        else 422
    return refusal(error_text(error), status, field_errors(error))
