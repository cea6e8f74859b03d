"""Rules the engine keeps for every face that acts on an agent: which agent a user may
act on (the API's states and calls ask it), and the workbench's refusals of bad state
requests, each naming its field before anything reaches the PBX.

The world: tests/unit/webadmin_world.py (the PBX is not running there).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import access
from engine.accounts.models import User
from engine.uow import transaction
from tests.unit.test_workbench_signin import csrf, set_password, sign_in
from tests.unit.webadmin_world import sqlite_world

__all__ = ["sqlite_world"]


def test_the_engine_decides_which_agent_a_user_may_act_on(sqlite_world):
    ids = sqlite_world.ids
    with transaction(sqlite_world.settings) as db:
        users = {u.name: u for u in db.scalars(select(User))}
        # An administrator of Sales acts on any of its agents.
        assert access.agent_to_act_on(db, users["alice"], ids["acme_instance"],
                                      ids["acme_agent"]).id == ids["acme_agent"]
        # An agent user who is not bob may not act for him.
        with pytest.raises(access.Forbidden):
            access.agent_to_act_on(db, users["andy"], ids["acme_instance"], ids["acme_agent"])
        # Another account's agent, or another instance's, is not found.
        for instance, agent in (("globex_instance", "globex_agent"),
                                ("acme_instance", "globex_agent"),
                                ("acme_instance", "hotline_agent")):
            with pytest.raises(access.NotFound):
                access.agent_to_act_on(db, users["olivia"], ids[instance], ids[agent])


@pytest.mark.parametrize("body, field", [
    ({"action": "ready", "skill_groups": "default"}, "skill_groups"),
    ({"action": "ready", "skill_groups": [7]}, "skill_groups"),
    ({"action": "ready", "device": 5}, "device"),
    ({"action": "nap"}, "action"),
])
def test_the_workbench_refuses_bad_state_requests_with_the_field_before_the_pbx(
        sqlite_world, body, field):
    client = sqlite_world.app().test_client()
    sign_in(client, "sales.acme", set_password(sqlite_world, "acme_agent"))
    response = client.post("/w/sales.acme/state", json=body,
                           headers={"X-CSRF-Token": csrf(client, "/w/sales.acme/")})
    assert response.status_code == 422 and field in response.get_json()["fields"]
