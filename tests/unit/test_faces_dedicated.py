"""Dedicated agents through the REST API and the web admin page.

The world (tests/unit/webadmin_world.py): Sales (acme) ties 13800138000 to bob; Support
(globex) ties 13900139000 to its administrator.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.agents.models import DedicatedAgent
from engine.uow import transaction
from tests.unit.webadmin_world import (bearer, field_errors, post_form, signed_in,
                                       sqlite_world, world)

__all__ = ["sqlite_world", "world"]
API = "/api/v1"


def stored(world) -> list[tuple[int, str, int]]:
    with transaction(world.settings) as db:
        return sorted(db.execute(select(DedicatedAgent.instance_id,
                                        DedicatedAgent.customer_number,
                                        DedicatedAgent.agent_id)).all())


# ---- the API ------------------------------------------------------------------------------

def test_the_api_lists_ties_and_adds_and_removes_one(world):
    api, ids = world.app().test_client(), world.ids
    path = f"{API}/instances/{ids['acme_instance']}/dedicated-agents"
    listed = api.get(path, headers=bearer(world, "andy")).get_json()  # an agent may look
    assert listed == [{"customer_number": "13800138000", "agent_id": ids["acme_agent"],
                       "extension": "1002", "agent_name": "bob"}]
    created = api.post(path, json={"customer_number": "+8613700137000",
                                   "agent_id": ids["acme_admin_agent"]}, headers=bearer(world))
    assert created.status_code == 201
    assert created.get_json() == {"customer_number": "+8613700137000",
                                  "agent_id": ids["acme_admin_agent"], "extension": "1001",
                                  "agent_name": "alice"}
    assert api.delete(f"{path}/+8613700137000", headers=bearer(world)).status_code == 204
    assert api.delete(f"{path}/+8613700137000", headers=bearer(world)).status_code == 404
    assert len(api.get(path, headers=bearer(world)).get_json()) == 1


def test_the_api_refuses_bad_fields_with_422_naming_them(sqlite_world):
    api, ids = sqlite_world.app().test_client(), sqlite_world.ids
    path = f"{API}/instances/{ids['acme_instance']}/dedicated-agents"
    before = stored(sqlite_world)
    for payload, fields in (
            ({}, {"customer_number", "agent_id"}),
            ({"customer_number": 13800138001, "agent_id": ids["acme_agent"]},
             {"customer_number"}),
            # a field of the wrong type is answered first, before any value is checked
            ({"customer_number": "138-0013", "agent_id": None}, {"agent_id"}),
            ({"customer_number": "13800138001", "agent_id": "1002"}, {"agent_id"}),
            ({"customer_number": "13800138001", "agent_id": 2 ** 70}, {"agent_id"}),
            ({"customer_number": "1" * 21, "agent_id": ids["acme_agent"]}, {"customer_number"})):
        response = api.post(path, json=payload, headers=bearer(sqlite_world))
        assert response.status_code == 422, payload
        assert set(response.get_json()["fields"]) == fields, payload
    assert stored(sqlite_world) == before


def test_the_api_answers_404_for_another_instances_agent_and_409_for_a_second_tie(
        sqlite_world):
    api, ids = sqlite_world.app().test_client(), sqlite_world.ids
    path = f"{API}/instances/{ids['acme_instance']}/dedicated-agents"
    before = stored(sqlite_world)
    for agent in ("globex_agent", "hotline_agent"):  # another account's, another instance's
        response = api.post(path, json={"customer_number": "13800138001",
                                        "agent_id": ids[agent]}, headers=bearer(sqlite_world))
        assert response.status_code == 404 and "agent_id" in response.get_json()["fields"]
    response = api.post(path, json={"customer_number": "13800138000",
                                    "agent_id": ids["acme_admin_agent"]},
                        headers=bearer(sqlite_world))
    assert response.status_code == 409
    assert set(response.get_json()["fields"]) == {"customer_number"}
    assert stored(sqlite_world) == before


def test_another_account_and_an_agent_token_are_refused(sqlite_world):
    api, ids = sqlite_world.app().test_client(), sqlite_world.ids
    before = stored(sqlite_world)
    globex = f"{API}/instances/{ids['globex_instance']}/dedicated-agents"
    own = f"{API}/instances/{ids['acme_instance']}/dedicated-agents"
    body = {"customer_number": "13800138001", "agent_id": ids["globex_agent"]}
    assert api.get(globex, headers=bearer(sqlite_world)).status_code == 404
    assert api.post(globex, json=body, headers=bearer(sqlite_world)).status_code == 404
    assert api.delete(f"{globex}/13900139000", headers=bearer(sqlite_world)).status_code == 404
    # An agent-role token: may look, may not change (403 before the body is read).
    andy = bearer(sqlite_world, "andy")
    response = api.post(own, json={"customer_number": "13800138001",
                                   "agent_id": ids["acme_agent"]}, headers=andy)
    assert response.status_code == 403 and "may not" in response.get_json()["error"]
    assert api.delete(f"{own}/13800138000", headers=andy).status_code == 403
    assert stored(sqlite_world) == before


def test_the_routes_are_in_the_openapi_document(api_document):
    paths = api_document["paths"]
    assert set(paths[f"{API}/instances/{{instance_id}}/dedicated-agents"]) == {"get", "post"}
    removal = paths[f"{API}/instances/{{instance_id}}/dedicated-agents/{{customer_number}}"]
    assert set(removal["delete"]["responses"]) == {"204", "401", "403", "404"}


@pytest.fixture
def api_document(sqlite_world):
    return sqlite_world.app().test_client().get(API + "/openapi.json").get_json()


# ---- the page -----------------------------------------------------------------------------

def test_the_page_lists_adds_and_removes(sqlite_world):
    ids, client = sqlite_world.ids, signed_in(sqlite_world)
    page_path = f"/instances/{ids['acme_instance']}/agents/dedicated"
    page = client.get(page_path).get_data(as_text=True)
    assert "13800138000" in page and "13900139000" not in page  # the own instance's only
    response = post_form(client, page_path, {"customer_number": "13700137000",
                                             "agent_id": str(ids["acme_admin_agent"])})
    assert response.status_code == 302
    assert "<td>13700137000</td>" in client.get(page_path).get_data(as_text=True)
    response = post_form(client, f"{page_path}/13700137000/delete")
    assert response.status_code == 302
    assert "<td>13700137000</td>" not in client.get(page_path).get_data(as_text=True)


def test_the_page_shows_each_fields_mistake_and_keeps_what_was_typed(sqlite_world):
    ids, client = sqlite_world.ids, signed_in(sqlite_world)
    before = stored(sqlite_world)
    path = f"/instances/{ids['acme_instance']}/agents/dedicated"
    response = post_form(client, path, {"customer_number": "138 0013", "agent_id": "x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert set(field_errors(page)) == {"customer_number", "agent_id"}
    assert 'value="138 0013"' in page
    response = post_form(client, path, {"customer_number": "13800138000",
                                        "agent_id": str(ids["acme_admin_agent"])})
    assert response.status_code == 422 and "already has a dedicated agent" in \
        field_errors(response.get_data(as_text=True))["customer_number"]
    assert stored(sqlite_world) == before


def test_the_page_speaks_chinese(sqlite_world):
    client = signed_in(sqlite_world)
    page = client.get(f"/instances/{sqlite_world.ids['acme_instance']}/agents/dedicated",
                      headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "专属坐席" in page
