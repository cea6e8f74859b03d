"""Sign-in and sign-out, with a per-session CSRF token on every form."""
from __future__ import annotations

import functools
import secrets

from flask import (Blueprint, abort, current_app, g, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from sqlalchemy import select

from engine.accounts import signin
from engine.accounts.platform import find_platform_user
from engine.accounts.users import end_sessions
from engine.accounts.models import PLATFORM_ROLES, Account, Role, User
from engine.db import utcnow
from engine.security.passwords import verify_password
from engine.uow import transaction

blueprint = Blueprint("auth", __name__)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


# The API authenticates with a token header, never the session cookie; a forged
# cross-site request cannot add that header, so it needs no CSRF token. By path, so an
# API request that matches no route (404, 405) gets the API's JSON answer too.
CSRF_EXEMPT_PREFIX = "/api/"


@blueprint.before_app_request
def check_csrf() -> None:
    if request.path.startswith(CSRF_EXEMPT_PREFIX):
        return
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        # A session that never rendered a form has no token: "" must not match it.
        expected = session.get("csrf", "")
        # Bytes, because compare_digest raises TypeError on non-ASCII text.
        # JSON requests (the IVR editor) carry the token in a header instead of a field.
        sent = (request.headers.get("X-CSRF-Token", "") if request.is_json
                else request.form.get("csrf_token", "")).encode()
        if not expected or not secrets.compare_digest(sent, expected.encode()):
            abort(400, _("missing or wrong CSRF token"))


@blueprint.app_context_processor
def inject_csrf() -> dict:
    return {"csrf_token": csrf_token}


# Platform users (of no account) reach their own area only (and signing out, their
# language): a supplier's staff the supplier portal, a reviewer the review queue.
# Everything else of the web admin is an account's.
PLATFORM_AREAS = {Role.SUPPLIER: "portal", Role.REVIEWER: "review"}
EVERY_ROLE_AREAS = ("auth", "preferences")


def home_endpoint(user: User) -> str:
    """Where a user lands after signing in."""
    return f"{PLATFORM_AREAS[user.role]}.index" if is_platform_user(user) \
        else "overview.index"


def is_platform_user(user: User) -> bool:
    return user.account_id is None and user.role in PLATFORM_ROLES


def platform_area(user: User) -> str | None:
    """The one area a platform user may reach (None: an account's user)."""
    return PLATFORM_AREAS[user.role] if is_platform_user(user) else None


def login_required(view):
    """Sign-in first; then g.user_id, g.account_id, g.user_name and g.role are set."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if "user_id" not in session:
            return redirect(url_for("auth.sign_in"))
        with transaction(current_app.config["CCC_SETTINGS"]) as db:
            user = db.get(User, session["user_id"])
            if user is None or user.account_id != session.get("account_id") \
                    or user.disabled or session.get("version") != user.session_version:
                # The cookie outlived its user, its database or its session (signed
                # out, a new password, disabled): sign in again.
                session.clear()
                return redirect(url_for("auth.sign_in"))
            g.user_id, g.account_id = user.id, user.account_id
            g.user_name, g.role = user.name, user.role
            g.language = user.language
            g.supplier_id = user.supplier_id
            area = platform_area(user)
            if area is not None and request.blueprint not in (area, *EVERY_ROLE_AREAS):
                if request.endpoint == "overview.index":
                    return redirect(url_for(home_endpoint(user)))
                abort(403)
        refresh()  # the user's own language, should anything have picked one already
        return view(*args, **kwargs)
    return wrapped


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    error, status = None, 200
    if request.method == "POST":
        settings = current_app.config["CCC_SETTINGS"]
        typed = (request.form.get("account", ""), request.form.get("user", ""),
                 request.remote_addr or "")
        with transaction(settings) as db:
            until = signin.locked_until(db, *typed)
            if until is not None:
                minutes = max(1, -(-int((until - utcnow()).total_seconds()) // 60))
                error, status = ngettext(
                    "Too many failed sign-ins: try again in %(num)d minute.",
                    "Too many failed sign-ins: try again in %(num)d minutes.", minutes), 429
            else:
                # No account: a platform user (a reviewer, a supplier's staff).
                user = find_platform_user(db, typed[1]) if not typed[0] else db.scalar(
                    select(User).join(Account).where(Account.name == typed[0],
                                                     User.name == typed[1]))
                # An unknown user takes as long as a wrong password (verify_password).
                if verify_password(user.password_hash if user else None,
                                   request.form.get("password", "")) and not user.disabled:
                    signin.record_success(db, *typed)
                    session.clear()
                    session.update(user_id=user.id, account_id=user.account_id,
                                   version=user.session_version)
                    return redirect(url_for(home_endpoint(user)))
                signin.record_failure(db, *typed)
                error, status = _("Unknown account, user or password."), 401
    return render_template("sign_in.html", error=error, form=request.form), status


@blueprint.route("/sign-out", methods=["POST"])
def sign_out():
    """Ends every session of the user on the server, not only this browser's: a cookie
    copied before (another browser, a stolen one) no longer signs in."""
    if "user_id" in session:
        with transaction(current_app.config["CCC_SETTINGS"]) as db:
            user = db.get(User, session["user_id"])
            if user is not None and session.get("version") == user.session_version:
                end_sessions(db, user)
    session.clear()
    return redirect(url_for("auth.sign_in"))
