"""REST API under /api/v1: token auth, JSON in and out, an OpenAPI 3.1 document.

Authentication: ``Authorization: Bearer <token>`` (a user's token, made by
``ccc account token create``). The request then acts as that user: the same account
filter (another account's resource answers 404) and the same role rules (403) as the
web admin, through ``webadmin.access``. No cookie, so no CSRF token.

Errors are JSON: ``{"error": "...", "fields": {"name": "..."}}``; 401 without or with a
bad token, 404 for anything not in the account, 409 for a clash, 422 for bad fields.
The messages speak the request's Accept-Language (English or Chinese); the status
codes and the field names are the same in every language.

Adding a module (the pattern of instances.py, agents.py, skillgroups.py, numbers.py):

1. write ``webadmin/api/<concept>.py``; decorate each view with
   ``@route(path, method, summary, request=SCHEMA, response=SCHEMA, status=...)`` from
   ``webadmin.api.registry`` (paths are below /api/v1; schemas are plain dicts);
   load resources with ``webadmin.access.load``, check roles with
   ``require_configure``, write inside ``webadmin.access.work()`` and call the
   concept's engine service; return ``jsonify(...)``;
2. add ``"<concept>"`` to ``MODULES`` below. The OpenAPI document picks it up, and
   the test that every API route is documented covers it.
"""
from __future__ import annotations

from importlib import import_module

from flask import abort, current_app, g, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine.accounts.tokens import user_for_token
from engine.ami.client import AmiError
from engine.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from engine.uow import transaction
from webadmin.auth import platform_area
from webadmin.i18n import error_text, field_errors
from webadmin.api.registry import PREFIX, blueprint, openapi_document, route, type_errors

MODULES = ("instances", "agents", "agentstates", "calls", "dedicatedagents", "skillgroups",
           "numbers", "ivr", "audio", "users", "recordings", "reports", "suppliers",
           "supervision", "wallboard", "numberpool", "qualifications", "applications", "portal",
           "review")
OPTIONAL_MODULES = ("billing",)  # built in another branch


def json_error(error: HTTPException):
    description = error.description if isinstance(error.description, str) else error.name
    response = jsonify({"error": description})
    response.status_code = error.code or 500
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ccc"'
    return response


@blueprint.errorhandler(DomainError)
def domain_error(error: DomainError):
    code = (404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict)
            else 403 if isinstance(error, Forbidden) else 422)
    body = {"error": error_text(error)}
    if error.fields:
        body["fields"] = field_errors(error)
    return jsonify(body), code


@blueprint.errorhandler(AmiError)
def pbx_unreachable(error: AmiError):
    # Live operations (agent states) act on the PBX: say it is away, never a 500.
    return jsonify({"error": "the PBX is not reachable; try again shortly"}), 503


@blueprint.before_request
def authenticate():
    """Every API request but the public ones acts as the user whose token it carries."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "public", False):
        return None
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401, _("send a token: Authorization: Bearer <token>"))
    with transaction(current_app.config["CCC_SETTINGS"]) as db:
        user = user_for_token(db, secret.strip())
        if user is None:
            abort(401, _("unknown token"))
        g.user_id, g.account_id, g.user_name, g.role = user.id, user.account_id, user.name, \
            user.role
        g.supplier_id = user.supplier_id
        area = platform_area(user)
    # A platform user's token reaches its own area only (the web admin's rule).
    if area is not None and view.__module__ != f"{__name__}.{area}":
        abort(403, _("the %(role)s role may not use this", role=g.role.value))
    return None


def body(schema: dict | None = None) -> dict:
    """The request's JSON object (400 otherwise), its fields of the schema's JSON types
    (422 with the wrong ones otherwise)."""
    # Sent as JSON: read strictly (webadmin.jsonbody says why a body is refused).
    data = request.get_json() if request.is_json else None
    if not isinstance(data, dict):
        abort(400, _("the body must be a JSON object"))
    errors = type_errors(data, schema or {})
    if errors:
        raise Invalid("; ".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)
    return data


@route("/openapi.json", "GET", "This document", public=True)
def openapi():
    return jsonify(openapi_document())


for _name in MODULES:
    import_module(f"{__name__}.{_name}")
for _name in OPTIONAL_MODULES:
    try:
        import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _error:
        if _error.name != f"{__name__}.{_name}":
            raise

__all__ = ["PREFIX", "blueprint", "body", "json_error", "route"]
