"""The account's users (its owner's page) and everyone's own API tokens.

The rules (who may, weak passwords, the last owner, ending sessions) are
engine/accounts/users.py's; these views only turn forms into calls and refusals into
messages. A refusal that is not about the form (another account's user: NotFound; a
role that may not: Forbidden) is answered by the app's error pages (webadmin/errors.py).
"""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.accounts.models import Account
from engine.accounts.tokens import create_token
from engine.accounts import users
from engine.errors import DomainError, Forbidden, NotFound
from webadmin.access import current_user, flash_saved, work
from webadmin.auth import login_required
from webadmin.forms import errors_of
from webadmin.labels import role_name

blueprint = Blueprint("users", __name__, template_folder="templates")


def _user(db, user_id: int):
    """The account's user (404 otherwise) for its owner (403 otherwise)."""
    return users.get_user(db, current_user(db), db.get(Account, g.account_id), user_id)


def _page(db, form, errors, error, status=200):
    listed = users.list_users(db, current_user(db), db.get(Account, g.account_id))
    roles = [(role.value, role_name(role)) for role in users.USER_ROLES]
    return render_template("users/index.html", users=listed, roles=roles, form=form,
                           errors=errors, error=error, me=g.user_id,
                           password_min=users.PASSWORD_MIN), status


@blueprint.route("/users", methods=["GET", "POST"])
@login_required
def index():
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                created = users.create_user(db, current_user(db), db.get(Account, g.account_id),
                                            form.get("name", "").strip(), form.get("role", ""),
                                            form.get("password", ""))
                name = created.name
            flash_saved(_("User %(name)s created", name=name))
            return redirect(url_for("users.index"))
        except (Forbidden, NotFound):
            raise  # not the form's: the error page
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        return _page(db, form, errors, error, 422 if errors or error else 200)


def _act(user_id: int, action, done: str):
    """Run ``action(db, actor, user)`` on one of the account's users, then back to the
    list with ``done`` or the refusal as the page's message."""
    try:
        with work() as db:
            user = _user(db, user_id)
            action(db, current_user(db), user)
        flash_saved(done)
    except (Forbidden, NotFound):
        raise  # not the form's: the error page
    except DomainError as failure:
        errors, error = errors_of(failure)
        with work() as db:
            return _page(db, {}, {}, error or "; ".join(errors.values()), 422)
    if user_id == g.user_id:
        return redirect(url_for("auth.sign_in"))  # the owner's own sessions have ended
    return redirect(url_for("users.index"))


def _role_of_form(db, actor, user):
    users.set_role(db, actor, user, request.form.get("role", ""))


@blueprint.route("/users/<int:user_id>/password", methods=["POST"])
@login_required
def password(user_id: int):
    return _act(user_id, lambda db, actor, user: users.set_password(
        db, actor, user, request.form.get("password", "")),
        _("Password changed; every session of that user has ended"))


@blueprint.route("/users/<int:user_id>/role", methods=["POST"])
@login_required
def role(user_id: int):
    return _act(user_id, _role_of_form, _("Role changed"))


@blueprint.route("/users/<int:user_id>/disable", methods=["POST"])
@login_required
def disable(user_id: int):
    return _act(user_id, lambda db, actor, user: users.set_disabled(db, actor, user, True),
                _("User disabled: no sign-in, no API token"))


@blueprint.route("/users/<int:user_id>/enable", methods=["POST"])
@login_required
def enable(user_id: int):
    return _act(user_id, lambda db, actor, user: users.set_disabled(db, actor, user, False),
                _("User enabled"))


@blueprint.route("/users/<int:user_id>/delete", methods=["POST"])
@login_required
def delete(user_id: int):
    return _act(user_id, users.delete_user, _("User deleted"))


# ---- API tokens: every user's own (the owner sees and revokes the account's) -----------------

def _tokens_page(db, secret: str | None = None, status: int = 200):
    account = db.get(Account, g.account_id)
    return render_template("users/tokens.html", secret=secret,
                           tokens=users.list_tokens(db, current_user(db), account)), status


@blueprint.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """POST makes a token for the signed-in user and shows its secret this once."""
    with work() as db:
        secret = None
        if request.method == "POST":
            me = current_user(db)
            secret = create_token(db, me)
        return _tokens_page(db, secret)


@blueprint.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    with work() as db:
        users.revoke_token(db, current_user(db), db.get(Account, g.account_id), token_id)
    flash_saved(_("Token revoked"))
    return redirect(url_for("users.tokens"))
