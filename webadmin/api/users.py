"""/api/v1/users and /api/v1/tokens: the account's users (its owner's to manage) and the
API tokens (everyone's own; the owner's view is the account's).

The rules are engine/accounts/users.py's: a role other than the owner gets 403, another
account's user or token 404, a weak password 422, the last owner 409.
"""
from __future__ import annotations

from flask import g, jsonify

from engine.accounts import users
from engine.accounts.models import Account, User
from webadmin.access import work
from webadmin.api import body
from webadmin.api.registry import route

USER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "role": {"type": "string", "enum": [r.value for r in users.USER_ROLES]},
    "disabled": {"type": "boolean"}, "created_at": {"type": "string"}}}
CREATE = {"type": "object", "required": ["name", "role", "password"], "properties": {
    "name": {"type": "string"}, "role": {"type": "string"},
    "password": {"type": "string",
                 "description": f"at least {users.PASSWORD_MIN} characters, not weak"}}}
PASSWORD = {"type": "object", "required": ["password"], "properties": {
    "password": {"type": "string"}}}
ROLE = {"type": "object", "required": ["role"], "properties": {"role": {"type": "string"}}}
TOKEN = {"type": "object", "properties": {
    "id": {"type": "integer"}, "user": {"type": "string"},
    "hint": {"type": ["string", "null"], "description": "the secret's first characters"},
    "created_at": {"type": "string"}}}
OWNER_ERRORS = (401, 403, 404, 409, 422)


def _acting(db) -> tuple[User, Account]:
    return db.get(User, g.user_id), db.get(Account, g.account_id)


def _user(db, user_id: int) -> tuple[User, User]:
    actor, account = _acting(db)
    return actor, users.get_user(db, actor, account, user_id)


@route("/users", "GET", "The account's users (its owner only)",
       response={"type": "array", "items": USER}, errors=(401, 403), operation_id="ListUsers")
def list_users():
    with work() as db:
        return jsonify([users.user_as_dict(u) for u in users.list_users(db, *_acting(db))])


@route("/users", "POST", "Add a user with a role and a password", request=CREATE,
       response=USER, status=201, errors=OWNER_ERRORS, operation_id="CreateUser")
def create_user():
    with work() as db:
        actor, account = _acting(db)
        users.list_users(db, actor, account)  # the owner's only: refused before the body
        data = body(CREATE)
        created = users.create_user(db, actor, account, data.get("name"), data.get("role"),
                                    data.get("password"))
        return jsonify(users.user_as_dict(created)), 201


@route("/users/<int:user_id>/password", "PUT",
       "Set a user's password: every session of that user ends", request=PASSWORD,
       status=204, errors=OWNER_ERRORS, operation_id="SetUserPassword")
def set_user_password(user_id: int):
    with work() as db:
        actor, user = _user(db, user_id)
        users.set_password(db, actor, user, body(PASSWORD).get("password"))
    return "", 204


@route("/users/<int:user_id>/role", "PUT", "Change a user's role", request=ROLE,
       response=USER, errors=OWNER_ERRORS, operation_id="SetUserRole")
def set_user_role(user_id: int):
    with work() as db:
        actor, user = _user(db, user_id)
        users.set_role(db, actor, user, body(ROLE).get("role"))
        return jsonify(users.user_as_dict(user))


@route("/users/<int:user_id>/disable", "POST",
       "Disable a user: no sign-in, its sessions end, its API tokens stop working",
       response=USER, errors=OWNER_ERRORS, operation_id="DisableUser")
def disable_user(user_id: int):
    with work() as db:
        actor, user = _user(db, user_id)
        users.set_disabled(db, actor, user, True)
        return jsonify(users.user_as_dict(user))


@route("/users/<int:user_id>/enable", "POST", "Enable a disabled user again", response=USER,
       errors=OWNER_ERRORS, operation_id="EnableUser")
def enable_user(user_id: int):
    with work() as db:
        actor, user = _user(db, user_id)
        users.set_disabled(db, actor, user, False)
        return jsonify(users.user_as_dict(user))


@route("/users/<int:user_id>", "DELETE", "Delete a user and its API tokens", status=204,
       errors=OWNER_ERRORS, operation_id="DeleteUser")
def delete_user(user_id: int):
    with work() as db:
        actor, user = _user(db, user_id)
        users.delete_user(db, actor, user)
    return "", 204


@route("/tokens", "GET", "API tokens: the account's for its owner, one's own otherwise",
       response={"type": "array", "items": TOKEN}, errors=(401,), operation_id="ListApiTokens")
def list_tokens():
    with work() as db:
        return jsonify([users.token_as_dict(t) for t in users.list_tokens(db, *_acting(db))])


@route("/tokens/<int:token_id>", "DELETE", "Revoke an API token at once", status=204,
       errors=(401, 403, 404), operation_id="RevokeApiToken")
def revoke_token(token_id: int):
    with work() as db:
        users.revoke_token(db, *_acting(db), token_id)
    return "", 204
