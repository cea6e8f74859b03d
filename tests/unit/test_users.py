"""Users and sessions: the owner manages the account's users (web, API, CLI), weak
passwords are refused, the last owner stays, and signing out, a new password or
disabling ends every session of the user (a copied cookie stops working) and a
disabled or deleted user's API tokens stop at once.

The world is tests/unit/webadmin_world.py's (acme: owner olivia, instance admin alice,
agent andy...; globex: owner mallory); every password is PASSWORD.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.accounts import users
from engine.accounts.models import Role, User
from engine.errors import Conflict, Invalid
from engine.uow import transaction
from tests.unit.webadmin_world import (PASSWORD, bearer, csrf_from, field_errors, post_form,
                                       signed_in, sqlite_world, world)

__all__ = ["sqlite_world", "world"]  # fixtures
API = "/api/v1"
GOOD = "tangerine orbit 42"  # not the world's PASSWORD


# ---- the password rule ---------------------------------------------------------------------

@pytest.mark.parametrize("password", [
    "", "short", "x" * 201, "aaaaaaaaaaaa", "abababababab", "1234567890", "Password123",
    "olivia-is-great", "my acme password", None, 12345678901])
def test_weak_passwords_are_refused(password):
    with pytest.raises(Invalid) as refused:
        users.check_password(password, "olivia", "acme")
    assert set(refused.value.fields) == {"password"}


def test_a_long_uncommon_password_passes():
    assert users.check_password(GOOD, "olivia", "acme") == GOOD


# ---- the web admin -------------------------------------------------------------------------

def user_named(world, name: str) -> User | None:
    with transaction(world.settings) as db:
        user = db.scalar(select(User).where(User.name == name))
        if user is not None:
            db.expunge(user)
        return user


def test_the_owner_adds_a_user_and_a_weak_password_is_the_fields_error(sqlite_world):
    client = signed_in(sqlite_world, "olivia")
    page = client.get("/users").get_data(as_text=True)
    assert "andy" in page and "mallory" not in page  # the own account's users only
    weak = post_form(client, "/users", {"name": "zoe", "role": "instance_admin",
                                        "password": "zoe-12345678"})
    assert weak.status_code == 422
    assert set(field_errors(weak.get_data(as_text=True))) == {"password"}
    bad = post_form(client, "/users", {"name": "bad name!", "role": "superuser",
                                       "password": GOOD})
    assert bad.status_code == 422
    assert set(field_errors(bad.get_data(as_text=True))) == {"name", "role"}
    assert user_named(sqlite_world, "zoe") is None  # nothing written
    made = post_form(client, "/users", {"name": "zoe", "role": "instance_admin",
                                        "password": GOOD})
    assert made.status_code == 302
    assert user_named(sqlite_world, "zoe").role is Role.INSTANCE_ADMIN
    taken = post_form(client, "/users", {"name": "zoe", "role": "owner", "password": GOOD})
    assert taken.status_code == 422 and "name" in field_errors(taken.get_data(as_text=True))
    signed_in(sqlite_world, "zoe", password=GOOD)  # the new user signs in


def test_only_the_owner_sees_the_users_page(sqlite_world):
    for name in ("alice", "andy"):
        client = signed_in(sqlite_world, name)
        assert client.get("/users").status_code == 403
        assert post_form(client, "/users", {"name": "eve", "role": "owner",
                                            "password": GOOD}).status_code == 403
    assert user_named(sqlite_world, "eve") is None


def test_a_copied_cookie_stops_working_after_sign_out(sqlite_world):
    browser = signed_in(sqlite_world, "alice")
    thief = sqlite_world.app().test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert thief.get("/").status_code == 200           # the copy works while signed in
    post_form(browser, "/sign-out")
    assert browser.get("/").status_code == 302
    refused = thief.get("/")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/sign-in")
    signed_in(sqlite_world, "alice")  # signing in again works


def test_a_new_password_ends_every_session_and_the_old_one_is_gone(sqlite_world):
    alice = signed_in(sqlite_world, "alice")
    owner = signed_in(sqlite_world, "olivia")
    alice_id = user_named(sqlite_world, "alice").id
    assert post_form(owner, f"/users/{alice_id}/password",
                     {"password": GOOD}).status_code == 302
    assert alice.get("/").status_code == 302
    fresh = sqlite_world.app().test_client()
    old = fresh.post("/sign-in", data={"csrf_token": csrf_from(fresh), "account": "acme",
                                       "user": "alice", "password": PASSWORD})
    assert old.status_code == 401
    signed_in(sqlite_world, "alice", password=GOOD)
    assert owner.get("/").status_code == 200  # the owner's own session goes on


def test_a_disabled_user_is_out_at_once_and_its_token_stops(sqlite_world):
    api = sqlite_world.app().test_client()
    assert api.get(API + "/instances", headers=bearer(sqlite_world, "alice")).status_code == 200
    alice = signed_in(sqlite_world, "alice")
    owner = signed_in(sqlite_world, "olivia")
    alice_id = user_named(sqlite_world, "alice").id
    assert post_form(owner, f"/users/{alice_id}/disable").status_code == 302
    assert alice.get("/").status_code == 302
    assert api.get(API + "/instances", headers=bearer(sqlite_world, "alice")).status_code == 401
    fresh = sqlite_world.app().test_client()
    assert fresh.post("/sign-in", data={"csrf_token": csrf_from(fresh), "account": "acme",
                                        "user": "alice", "password": PASSWORD}).status_code == 401
    assert post_form(owner, f"/users/{alice_id}/enable").status_code == 302
    assert api.get(API + "/instances", headers=bearer(sqlite_world, "alice")).status_code == 200


def test_the_last_owner_cannot_be_removed_disabled_or_demoted(sqlite_world):
    owner = signed_in(sqlite_world, "olivia")
    olivia_id = user_named(sqlite_world, "olivia").id
    for path, form in (("delete", {}), ("disable", {}), ("role", {"role": "instance_admin"})):
        refused = post_form(owner, f"/users/{olivia_id}/{path}", form)
        assert refused.status_code == 422, path
        assert "last owner" in refused.get_data(as_text=True)
    assert user_named(sqlite_world, "olivia").role is Role.OWNER
    assert not user_named(sqlite_world, "olivia").disabled


def test_a_deleted_users_token_stops_at_once(sqlite_world):
    api = sqlite_world.app().test_client()
    owner = signed_in(sqlite_world, "olivia")
    andy_id = user_named(sqlite_world, "andy").id
    assert post_form(owner, f"/users/{andy_id}/delete").status_code == 302
    assert user_named(sqlite_world, "andy") is None
    assert api.get(API + "/tokens", headers=bearer(sqlite_world, "andy")).status_code == 401


def test_tokens_are_listed_made_and_revoked(sqlite_world):
    andy = signed_in(sqlite_world, "andy")
    page = andy.get("/tokens").get_data(as_text=True)
    assert page.count('data-token="') == 1        # andy's own only
    made = post_form(andy, "/tokens")
    assert made.status_code == 200
    secret = made.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    api = sqlite_world.app().test_client()
    mine = api.get(API + "/tokens", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert [t["user"] for t in mine] == ["andy", "andy"]
    assert secret.startswith(mine[1]["hint"]) and len(mine[1]["hint"]) == 8
    # the owner lists every token of the account (none of globex's) and revokes one
    everyone = api.get(API + "/tokens", headers=bearer(sqlite_world, "olivia")).get_json()
    assert sorted(t["user"] for t in everyone) == ["alice", "andy", "andy", "olivia"]
    revoked = api.delete(f"{API}/tokens/{mine[1]['id']}", headers=bearer(sqlite_world))
    assert revoked.status_code == 204
    assert api.get(API + "/tokens",
                   headers={"Authorization": f"Bearer {secret}"}).status_code == 401


# ---- the API -------------------------------------------------------------------------------

def test_the_api_manages_users_with_the_same_rules(sqlite_world):
    api = sqlite_world.app().test_client()
    owner = bearer(sqlite_world)
    listed = api.get(API + "/users", headers=owner).get_json()
    assert "olivia" in [u["name"] for u in listed] and "mallory" not in str(listed)
    assert api.get(API + "/users", headers=bearer(sqlite_world, "alice")).status_code == 403
    weak = api.post(API + "/users", headers=owner,
                    json={"name": "zoe", "role": "owner", "password": "123"})
    assert weak.status_code == 422 and set(weak.get_json()["fields"]) == {"password"}
    made = api.post(API + "/users", headers=owner,
                    json={"name": "zoe", "role": "owner", "password": GOOD})
    assert made.status_code == 201 and made.get_json()["role"] == "owner"
    zoe = made.get_json()["id"]
    assert api.put(f"{API}/users/{zoe}/role", headers=owner,
                   json={"role": "root"}).status_code == 422
    assert api.put(f"{API}/users/{zoe}/password", headers=owner,
                   json={"password": [GOOD]}).status_code == 422
    assert api.post(f"{API}/users/{zoe}/disable", headers=owner).get_json()["disabled"]
    assert api.delete(f"{API}/users/{zoe}", headers=owner).status_code == 204
    olivia = user_named(sqlite_world, "olivia").id
    last = api.delete(f"{API}/users/{olivia}", headers=owner)
    assert last.status_code == 409 and "last owner" in last.get_json()["error"]
    for hostile in ("99999999999999999999999", "-1", "0x10", "١"):
        assert api.delete(f"{API}/users/{hostile}", headers=owner).status_code == 404


def test_another_accounts_owner_reaches_nothing(world):
    api = world.app().test_client()
    olivia = user_named(world, "olivia").id
    for method, path in (("DELETE", f"/users/{olivia}"), ("POST", f"/users/{olivia}/disable"),
                         ("PUT", f"/users/{olivia}/role")):
        response = api.open(API + path, method=method, json={"role": "owner"},
                            headers=bearer(world, "mallory"))
        assert response.status_code == 404, path
    assert not user_named(world, "olivia").disabled


def test_the_engine_keeps_one_owner_whatever_the_order(sqlite_world):
    with transaction(sqlite_world.settings) as db:
        olivia = db.scalar(select(User).where(User.name == "olivia"))
        second = users.create_user(db, olivia, olivia.account, "otto", "owner", GOOD)
        users.set_disabled(db, olivia, second, True)   # two owners: one may go
        with pytest.raises(Conflict):
            users.set_role(db, None, olivia, "instance_admin")
        users.set_disabled(db, olivia, second, False)
        users.set_role(db, None, olivia, "instance_admin")  # otto owns the account now
        with pytest.raises(Conflict):
            users.delete_user(db, None, second)


@pytest.mark.parametrize("hostile", ["١", "１", "99999999999999999999", "9223372036854775808"])
def test_ids_in_urls_are_ascii_digits_within_a_row_ids_range(sqlite_world, hostile):
    """Every route's <int:...>: another script's digits or an id past 64 bits is 404,
    never another row (int() reads '١' as 1) and never a 500."""
    api = sqlite_world.app().test_client()
    owner = signed_in(sqlite_world, "olivia")
    for method, path in (("GET", f"{API}/instances/{hostile}"),
                         ("POST", f"{API}/users/{hostile}/disable")):
        assert api.open(path, method=method, headers=bearer(sqlite_world)).status_code == 404
    assert owner.get(f"/instances/{hostile}").status_code == 404
    assert post_form(owner, f"/users/{hostile}/delete").status_code == 404
    assert user_named(sqlite_world, "olivia") is not None
