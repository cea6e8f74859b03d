"""Every error answer of the app, in one place: pages get the error page, the API gets
JSON, and nothing shows the server's insides (no traceback, path or tool output).

A DomainError that a view does not turn into a form field's message is answered here:
Forbidden 403, NotFound 404, Conflict 409, any other refusal 422, with the engine's
message in the page's language. An error nobody expected is logged with its traceback
and answered 500 with a plain sentence.
"""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.errors import Conflict, DomainError, Forbidden, NotFound
from webadmin.i18n import error_text

# The pages' own words for the errors they show (the title and the default description).
ERROR_TEXTS = {
    403: (_l("Forbidden"), _l("You may not see or change this.")),
    404: (_l("Not Found"), _l("There is nothing here, or nothing of your account.")),
    409: (_l("Conflict"), _l("This clashes with what is already there.")),
    422: (_l("Not accepted"), _l("Something sent is not acceptable.")),
    500: (_l("Server error"), _l("Something went wrong on the server; it has been logged.")),
}


def status_of(error: DomainError) -> int:
    return (404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict)
            else 403 if isinstance(error, Forbidden) else 422)


def _is_api() -> bool:
    from webadmin.api import PREFIX
    return request.path.startswith(PREFIX + "/") or request.path == PREFIX


def _page(code: int, description: str | None = None):
    title, default = ERROR_TEXTS[code]
    return render_template("error.html", code=code, title=title,
                           description=description or default), code


def http_error(error: HTTPException):
    from webadmin.api import json_error
    if _is_api():
        return json_error(error)  # API clients get JSON, even for unknown paths
    if error.code in (403, 404):
        # Werkzeug's own description is English; a view's abort() text is translated.
        return _page(error.code, None if error.description == type(error).description
                     else error.description)
    return error


def domain_error(error: DomainError):
    if _is_api():
        from webadmin.api import domain_error as api_domain_error
        return api_domain_error(error)
    return _page(status_of(error), error_text(error))


def internal_error(error: InternalServerError):
    """The last resort: Flask has logged the exception with its traceback already."""
    if _is_api():
        from flask import jsonify
        return jsonify({"error": _("internal error; it has been logged")}), 500
    try:
        return _page(500)
    except Exception:  # the page itself may be what fails (a template, the database)
        return _("Internal server error; it has been logged."), 500, {
            "Content-Type": "text/plain; charset=utf-8"}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(InternalServerError, internal_error)
