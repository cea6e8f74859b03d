"""Sign-in and sign-out, with a per-session CSRF token on every form."""
from __future__ import annotations

import functools
import secrets

from flask import (Blueprint, abort, current_app, g, redirect, render_template, request,
                   session, url_for)
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from engine.accounts.models import Account, User
from engine.uow import transaction

blueprint = Blueprint("auth", __name__)
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


@blueprint.before_app_request
def check_csrf() -> None:
    if request.method == "POST":
        # A session that never rendered a form has no token: "" must not match it.
        expected = session.get("csrf", "")
        # Bytes, because compare_digest raises TypeError on non-ASCII text.
        # JSON requests (the IVR editor) carry the token in a header instead of a field.
        sent = (request.headers.get("X-CSRF-Token", "") if request.is_json
                else request.form.get("csrf_token", "")).encode()
        if not expected or not secrets.compare_digest(sent, expected.encode()):
            abort(400, "missing or wrong CSRF token")


@blueprint.app_context_processor
def inject_csrf() -> dict:
    return {"csrf_token": csrf_token}


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if "user_id" not in session:
            return redirect(url_for("auth.sign_in"))
        g.user_id, g.account_id = session["user_id"], session["account_id"]
        return view(*args, **kwargs)
    return wrapped


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    error = None
    if request.method == "POST":
        settings = current_app.config["CCC_SETTINGS"]
        with transaction(settings) as db:
            user = db.scalar(select(User).join(Account).where(
                Account.name == request.form.get("account", ""),
                User.name == request.form.get("user", "")))
            # An unknown user is checked against a dummy hash, so the answer takes as
            # long as for a wrong password and does not tell which names exist.
            stored = (user.password_hash if user else None) or _DUMMY_HASH
            if check_password_hash(stored, request.form.get("password", "")) and user \
                    and user.password_hash:
                session.clear()
                session.update(user_id=user.id, account_id=user.account_id)
                return redirect(url_for("overview.index"))
        error = "Unknown account, user or password."
    return render_template("sign_in.html", error=error, form=request.form), 401 if error else 200


@blueprint.route("/sign-out", methods=["POST"])
def sign_out():
    session.clear()
    return redirect(url_for("auth.sign_in"))
