"""Agents' states, break codes and calls through the API: the logged states, the live
operations' answers when the PBX is away (503, never a 500), roles, other accounts."""
from __future__ import annotations

from datetime import datetime

import pytest

from engine.agentstate.models import AgentStateChange, BreakCode
from engine.uow import transaction
from tests.unit.webadmin_world import bearer, sqlite_world

__all__ = ["sqlite_world"]
API = "/api/v1"


@pytest.fixture
def api(sqlite_world):
    return sqlite_world.app().test_client()


def instance_path(world, key: str = "acme_instance") -> str:
    return f"{API}/instances/{world.ids[key]}"


def test_the_states_list_reads_the_log(api, sqlite_world):
    w = sqlite_world
    with transaction(w.settings) as db:
        for state, code, minute in (("READY", None, 1), ("BREAK", "Meal", 2)):
            db.add(AgentStateChange(
                agent_id=w.ids["acme_agent"], instance_id=w.ids["acme_instance"], state=state,
                break_code=code, queues="i1-q1", interface="PJSIP/i1-1002",
                at=datetime(2026, 12, 1, 9, minute)))
    rows = api.get(instance_path(w) + "/agents/states", headers=bearer(w)).get_json()
    by_id = {row["agent_id"]: row for row in rows}
    bob = by_id[w.ids["acme_agent"]]
    assert (bob["state"], bob["break_code"], bob["queues"]) == ("BREAK", "Meal", ["i1-q1"])
    assert bob["since"] == "2026-12-01T09:02:00Z"
    assert by_id[w.ids["acme_admin_agent"]]["state"] == "OFFLINE"  # never logged
    one = api.get(instance_path(w) + f"/agents/{w.ids['acme_agent']}/state", headers=bearer(w))
    assert one.get_json() == bob
    # Another account's instance is not there.
    assert api.get(instance_path(w, "globex_instance") + "/agents/states",
                   headers=bearer(w)).status_code == 404


def test_live_operations_answer_503_while_the_pbx_is_away(api, sqlite_world):
    w = sqlite_world
    agent = instance_path(w) + f"/agents/{w.ids['acme_agent']}/state"
    for method, path, body in (("post", agent + "/ready", None),
                               ("post", agent + "/signin", {"device": "sip"}),
                               ("post", agent + "/signout", None)):
        response = getattr(api, method)(path, headers=bearer(w), json=body)
        assert response.status_code == 503 and "PBX" in response.get_json()["error"]


@pytest.mark.parametrize("code", ["Nap", "RingingTimeout", "Rest;Hangup", "Rest\r\nAction: x",
                                  "", 7])
def test_a_break_code_the_instance_lacks_is_refused_before_the_pbx(api, sqlite_world, code):
    w = sqlite_world
    response = api.post(instance_path(w) + f"/agents/{w.ids['acme_agent']}/state/break",
                        headers=bearer(w), json={"break_code": code})
    assert response.status_code == 422 and "break_code" in response.get_json()["fields"]


def test_who_may_change_an_agent_state(api, sqlite_world):
    w = sqlite_world
    path = instance_path(w) + f"/agents/{w.ids['acme_agent']}/state/ready"
    # andy is an agent user, but not bob: forbidden. alice administers Sales: she may
    # (the PBX is away, so 503 shows the request got past the role check).
    assert api.post(path, headers=bearer(w, "andy")).status_code == 403
    assert api.post(path, headers=bearer(w, "alice")).status_code == 503
    # Another account's agent, through either instance path, is not found.
    other = instance_path(w, "globex_instance") + f"/agents/{w.ids['globex_agent']}/state/ready"
    assert api.post(other, headers=bearer(w)).status_code == 404
    mixed = instance_path(w) + f"/agents/{w.ids['globex_agent']}/state/ready"
    assert api.post(mixed, headers=bearer(w)).status_code == 404


def test_break_codes_are_listed_added_and_removed(api, sqlite_world):
    w = sqlite_world
    path = instance_path(w) + "/break-codes"
    listed = api.get(path, headers=bearer(w)).get_json()
    assert [c["code"] for c in listed] == ["Rest", "Meal", "Meeting", "Training"]
    created = api.post(path, headers=bearer(w), json={"code": "Coaching", "name": "Coaching"})
    assert created.status_code == 201
    for bad, field in (({"code": "Rest", "name": "x"}, "code"),
                       ({"code": "AfterCallWork", "name": "x"}, "code"),
                       ({"code": "two words", "name": "x"}, "code"),
                       ({"code": "Lunch", "name": ""}, "name")):
        refused = api.post(path, headers=bearer(w), json=bad)
        assert refused.status_code in (409, 422) and field in refused.get_json()["fields"]
    assert api.post(path, headers=bearer(w, "andy"),
                    json={"code": "Gym", "name": "Gym"}).status_code == 403
    assert api.delete(path + "/Coaching", headers=bearer(w)).status_code == 204
    assert api.delete(path + "/Coaching", headers=bearer(w)).status_code == 404
    with transaction(w.settings) as db:
        assert sorted(db.scalars(BreakCode.__table__.select().with_only_columns(
            BreakCode.code).where(BreakCode.instance_id == w.ids["acme_instance"]))) == [
            "Meal", "Meeting", "Rest", "Training"]


def test_make_call_is_checked_in_the_engine_before_the_pbx(api, sqlite_world):
    w = sqlite_world
    calls = instance_path(w) + f"/agents/{w.ids['acme_agent']}/calls"
    for body, status, field in (({"number": "139(0)0"}, 422, "number"),
                                ({"number": "13900139000", "caller_id": "4001234567"}, 422,
                                 "caller_id"),
                                ({"number": "13900139000", "caller_id": "02087654321"}, 422,
                                 "caller_id")):
        response = api.post(calls, headers=bearer(w), json=body)
        assert response.status_code == status and field in response.get_json()["fields"]
    # Allowed: reaches the PBX, which is away here.
    assert api.post(calls, headers=bearer(w), json={"number": "13900139000"}).status_code == 503
    # The Hotline calls out with nothing: its only number is a 400 number.
    hotline = instance_path(w, "acme_hotline") + f"/agents/{w.ids['hotline_agent']}/calls"
    refused = api.post(hotline, headers=bearer(w), json={"number": "13900139000"})
    assert refused.status_code == 409 and "caller_id" in refused.get_json()["fields"]


@pytest.mark.parametrize("kind, target", [
    ("agent", "1001&PJSIP/i3-1001"), ("agent", "9999"), ("skill_group", "globex_group"),
    ("skill_group", "1"), ("number", "1(2)3/4,5"), ("nowhere", "1001"), ("agent", 1001)])
def test_transfer_targets_outside_the_instance_are_refused(api, sqlite_world, kind, target):
    w = sqlite_world
    if target == "globex_group":
        target = w.ids["globex_group"]
    path = instance_path(w) + f"/agents/{w.ids['acme_agent']}/calls/transfer"
    response = api.post(path, headers=bearer(w), json={"kind": kind, "target": target})
    assert response.status_code in (404, 422), response.get_json()
