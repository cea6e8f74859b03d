"""Shared by the IVR and audio web admin tests: two accounts, sign-in, CSRF tokens."""
from __future__ import annotations

import re

from engine.accounts.models import Role
from engine.accounts.service import find_or_create_user, get_account
from engine.agents.service import create_agent
from engine.instances.service import get_instance
from engine.skillgroups.service import create_skill_group
from engine.uow import transaction
from tests.factories import add_account, add_instance

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def build_accounts(settings) -> dict:
    """acme: Sales (skill groups group_a, group_b) and Hotline; globex: Support.

    alice administers Sales and carol Hotline (create_instance makes them instance
    administrators); oscar owns acme; dave is an agent; mallory owns globex.
    Returns the instance ids by domain.
    """
    with transaction(settings) as db:
        add_account(db, "acme")
        sales = add_instance(db, "acme", "Sales", "sales.acme", "01012345678", admin="alice")
        for name in ("group_a", "group_b"):
            create_skill_group(db, sales.instance, name)
        create_agent(db, sales.instance, "bob", skill_groups={"group_b": 1})
        add_instance(db, "acme", "Hotline", "hotline.acme", "4001234567", "400", admin="carol")
        acme = get_account(db, "acme")
        find_or_create_user(db, acme, "alice", Role.INSTANCE_ADMIN, password=PASSWORD)
        find_or_create_user(db, acme, "oscar", Role.OWNER, password=PASSWORD)
        find_or_create_user(db, acme, "carol", Role.INSTANCE_ADMIN, password=PASSWORD)
        find_or_create_user(db, acme, "dave", Role.AGENT, password=PASSWORD)
        add_account(db, "globex")
        add_instance(db, "globex", "Support", "support.globex", "02087654321", admin="mallory")
        find_or_create_user(db, get_account(db, "globex"), "mallory", Role.OWNER,
                            password=PASSWORD)
        return {d: get_instance(db, d).id for d in ("sales.acme", "hotline.acme",
                                                    "support.globex")}


def csrf_from(client, path="/sign-in") -> str:
    match = CSRF_INPUT.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token in the page {path}"
    return match.group(1)


def sign_in(client, user="alice", account="acme") -> str:
    """Sign in and return the session's CSRF token."""
    response = client.post("/sign-in", data={"csrf_token": csrf_from(client), "account": account,
                                             "user": user, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_from(client, "/")  # signing in starts a new session, with a new token


def post_json(client, url, body, token):
    return client.post(url, json=body, headers={"X-CSRF-Token": token})
