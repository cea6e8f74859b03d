"""The web admin: a Flask app factory with one blueprint per area.

Two tables below are the whole wiring: ``AREAS`` lists the blueprints (each a package
``webadmin/<area>/`` with its templates in ``webadmin/<area>/templates/<area>/``), and
``NAV`` lists the navigation entries. A NAV entry whose blueprint is not registered is
not shown (an optional area may be left out of a build).

Plugging in an area: write ``webadmin/<area>/__init__.py`` defining ``blueprint``
(``Blueprint("<area>", __name__, template_folder="templates")``); its views use
``webadmin.auth.login_required``, load every resource through ``webadmin.access.load``
(another account's resource answers 404), check ``require_configure`` before a change
(403), write inside ``webadmin.access.work()`` and call ``flash_saved`` after a change
(it says whether the PBX runs it yet). Templates extend ``base.html`` (blocks
``title``, ``actions``, ``body``), import ``_forms.html`` ``with context`` for fields
with their errors and the ``csrf_token`` field, and include ``_instance_tabs.html`` on
an instance's pages. Then list the module in ``AREAS`` (billing is in
``OPTIONAL_AREAS``: its package existing is enough). NAV entries name an endpoint:
``billing.index`` (scope ``account``: no argument), ``ivr.index`` and ``audio.index``
(scope ``instance``: given ``instance_id``, shown as tabs).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

from webadmin import errors, i18n, jsonbody, labels

from engine.access import ACCOUNT_ROLES, CONFIGURING_ROLES, REPORTING_ROLES, SUPERVISING_ROLES
from engine.accounts.models import PLATFORM_ROLES, Role
from engine.security import passwords
from engine.settings import Settings, load_settings

# Registration table: every blueprint in one visible place (module paths, imported at
# app creation so a missing optional area is simply absent).
AREAS = (
    "webadmin.auth",
    "webadmin.preferences",
    "webadmin.users",
    "webadmin.overview",
    "webadmin.instances",
    "webadmin.agents",
    "webadmin.skillgroups",
    "webadmin.breakcodes",
    "webadmin.numbers",
    "webadmin.numberpool",
    "webadmin.ivr",
    "webadmin.audio",
    "webadmin.recordings",
    "webadmin.wallboard",
    "webadmin.reports",
    "webadmin.supervision",
    "webadmin.api",
    "webadmin.workbench",
    "webadmin.qualifications",
    "webadmin.applications",
    "webadmin.portal",
    "webadmin.review",
)
# An area built in another branch; registered when its package exists.
OPTIONAL_AREAS = ("webadmin.billing",)


@dataclass(frozen=True)
class NavEntry:
    blueprint: str
    endpoint: str
    label: str  # lazily translated: the table is built before any request has a language
    scope: str = "account"  # or "instance": a tab of an instance, given instance_id
    # Shown only to users who may configure: the account (account scope), or some
    # instance (instance scope: the IVR and audio areas are configuration only).
    configures: bool = False
    # Shown only to roles that may supervise live calls (some instance's, at least).
    supervises: bool = False
    # Shown only to roles that may see some instance's reports.
    reports: bool = False
    # A platform user's area (shown to that role only; a platform user sees no other).
    platform_role: Role | None = None


NAV = (
    NavEntry("overview", "overview.index", _l("Overview")),
    NavEntry("instances", "instances.new", _l("New instance"), configures=True),
    NavEntry("numbers", "numbers.index", _l("Numbers")),
    NavEntry("numberpool", "numberpool.index", _l("400 numbers"), configures=True),  # owner's
    NavEntry("users", "users.index", _l("Users"), configures=True),  # the owner's only
    NavEntry("users", "users.tokens", _l("API tokens")),
    NavEntry("recordings", "recordings.account", _l("Recording storage"),
             configures=True),  # the owner's only
    NavEntry("qualifications", "qualifications.index", _l("Qualifications"), configures=True),
    NavEntry("applications", "applications.index", _l("Line applications"),
             configures=True),
    NavEntry("portal", "portal.index", _l("Supplier portal"), platform_role=Role.SUPPLIER),
    NavEntry("review", "review.index", _l("Review queue"), platform_role=Role.REVIEWER),
    NavEntry("billing", "billing.index", _l("Billing"), configures=True),  # the owner's only
    NavEntry("instances", "instances.show", _l("Instance"), "instance"),
    NavEntry("agents", "agents.index", _l("Agents"), "instance"),
    NavEntry("skillgroups", "skillgroups.index", _l("Skill groups"), "instance"),
    NavEntry("breakcodes", "breakcodes.index", _l("Break codes"), "instance"),
    NavEntry("ivr", "ivr.index", _l("IVR flows"), "instance", configures=True),
    NavEntry("audio", "audio.index", _l("Audio"), "instance", configures=True),
    NavEntry("recordings", "recordings.index", _l("Recordings"), "instance", configures=True),
    # The owner's, the administrators' and the supervisors' (of their instances).
    NavEntry("wallboard", "wallboard.index", _l("Wallboard"), "instance", supervises=True),
    NavEntry("reports", "reports.index", _l("Reports"), "instance", reports=True),
    NavEntry("supervision", "supervision.index", _l("Supervision"), "instance",
             supervises=True),
)


def _secret_key(settings: Settings) -> str:
    """Generated once per installation, kept out of the repository, readable by root only."""
    path = Path(settings.var_dir) / "web-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _register_areas(app: Flask) -> None:
    for module_name in AREAS + OPTIONAL_AREAS:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as error:
            if module_name in OPTIONAL_AREAS and error.name == module_name:
                continue
            raise
        app.register_blueprint(module.blueprint)


def nav_entries(app: Flask, scope: str) -> list[NavEntry]:
    return [e for e in NAV if e.scope == scope and e.blueprint in app.blueprints]


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits only (Python's int() also reads other
    scripts' digits, so '/users/١' would reach user 1) and no larger than a database row
    id (64 bits); anything else matches no route: 404."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number >= 2 ** 63:
            raise ValidationError()
        return number


class TextConverter(UnicodeConverter):
    """``<name>`` in every route: at most 200 characters and no control character (a NUL
    reaches no query: PostgreSQL refuses it in text); anything else matches no route: 404."""

    def __init__(self, map, minlength: int = 1, maxlength: int | None = None,
                 length: int | None = None) -> None:
        super().__init__(map, minlength, maxlength or 200, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]")


def create_app(settings: Settings | None = None, config: dict | None = None) -> Flask:
    """The web admin, the workbench and the API. Without arguments (``flask --app
    webadmin``, a WSGI server's ``webadmin:create_app()``) the settings come from the
    environment, as for every ccc process."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    # Over HTTPS the session cookie never travels in clear.
    app.config.update(SECRET_KEY=_secret_key(settings), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.tls,
                      CCC_SETTINGS=settings, MAX_CONTENT_LENGTH=8 * 1024 * 1024)
    app.config.update(config or {})
    passwords.prepare()
    i18n.init_app(app)
    jsonbody.init_app(app)
    labels.install(app)
    _register_areas(app)

    @app.context_processor
    def navigation() -> dict:
        configures = g.get("role") in ACCOUNT_ROLES
        configures_instances = g.get("role") in CONFIGURING_ROLES
        supervises = g.get("role") in ACCOUNT_ROLES + SUPERVISING_ROLES
        reports = g.get("role") in REPORTING_ROLES
        if g.get("role") in PLATFORM_ROLES and g.get("account_id", 0) is None:
            return {"account_nav": [e for e in nav_entries(app, "account")
                                    if e.platform_role is g.role], "instance_nav": []}
        return {"account_nav": [e for e in nav_entries(app, "account")
                                if (configures or not e.configures)
                                and e.platform_role is None],
                "instance_nav": [e for e in nav_entries(app, "instance")
                                 if (configures_instances or not e.configures)
                                 and (supervises or not e.supervises)
                                 and (reports or not e.reports)]}

    errors.init_app(app)
    app.after_request(_security_headers)
    return app


# Every response: scripts, styles and media from this origin only (no inline script,
# no style attribute), never framed, types as declared.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; media-src 'self' blob:; "
                               "connect-src 'self'; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


# Only on an answer that came over HTTPS (a browser ignores it on plain HTTP anyway):
# from then on the browser uses HTTPS for this host for a year, and a downgrade fails.
HSTS = "max-age=31536000"


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
