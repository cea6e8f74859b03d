"""IVR flow pages and the editor's JSON calls through Flask's test client.

Configured: the world of tests/unit/webadmin_world (acme's Sales with skill groups
default and vip, acme's Hotline, globex's Support; each with its published welcome
flow). Observed: sign-in, account and role checks on every route (the cross-account
matrix of test_webadmin_access covers them too),
CSRF on every POST, drafts kept with per-node problems, publish refused when invalid,
versions, binding only published flows, the simulator's path.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.ivr.models import IvrFlow
from engine.numbers.models import Number
from engine.uow import transaction
from tests.unit.webadmin_world import csrf_from, post_json, sign_in, world

__all__ = ["world"]  # fixture

START = {"id": "start", "type": "start", "x": 60, "y": 40}


def two_branch(group_b="vip", prompt="welcome") -> dict:
    menu = {"id": "menu", "type": "menu", "x": 60, "y": 200}
    if prompt:
        menu["prompt"] = prompt
    return {"format": 1,
            "nodes": [START, menu,
                      {"id": "to_a", "type": "transfer_skill_group", "skill_group": "default",
                       "x": 20, "y": 400},
                      {"id": "to_b", "type": "transfer_skill_group", "skill_group": group_b,
                       "x": 260, "y": 400}],
            "edges": [{"from": "start", "to": "menu"},
                      {"from": "menu", "to": "to_a", "when": "1"},
                      {"from": "menu", "to": "to_b", "when": "2"}]}


@pytest.fixture
def web(world):
    ids = world.ids
    return {"client": world.app().test_client(), "settings": world.settings,
            "sales": ids["acme_instance"], "hotline": ids["acme_hotline"],
            "support": ids["globex_instance"], "sales_flow": ids["acme_flow"],
            "support_flow": ids["globex_flow"]}


def new_flow(web, token, name="twobranch") -> int:
    response = web["client"].post(f"/instances/{web['sales']}/flows",
                                  data={"csrf_token": token, "name": name})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def routes(instance: int, flow: int) -> list[tuple[str, str, dict | None]]:
    """Every route of the IVR pages: (verb, path, JSON body or None for a form)."""
    base = f"/instances/{instance}/flows/{flow}"
    body = {"document": two_branch(), "digits": "2"}
    return [("GET", f"/instances/{instance}/flows", None),
            ("POST", f"/instances/{instance}/flows", {"form": {"name": "stolen"}}),
            ("GET", base, None),
            ("POST", f"{base}/draft", body), ("POST", f"{base}/validate", body),
            ("POST", f"{base}/publish", body), ("POST", f"{base}/simulate", body),
            ("GET", f"{base}/versions", None), ("GET", f"{base}/versions/1", None),
            ("GET", f"{base}/versions/1/export", None),
            ("POST", f"{base}/versions/1/restore", {"form": {}}),
            ("POST", f"/instances/{instance}/bind", {"form": {"number": "1", "flow": str(flow)}})]


def send(client, verb, path, body, token):
    if verb == "GET":
        return client.get(path)
    if body and "form" in body:
        return client.post(path, data={"csrf_token": token, **body["form"]})
    return post_json(client, path, body, token)


def test_every_route_needs_a_signed_in_user(web):
    client = web["client"]
    token = csrf_from(client)  # a real token, so only the missing sign-in is refused
    for verb, path, body in routes(web["sales"], web["sales_flow"]):
        response = send(client, verb, path, body, token)
        assert response.status_code == 302, (verb, path)
        assert response.headers["Location"].endswith("/sign-in")


def test_another_accounts_instance_and_flow_answer_404_on_every_route(web):
    client = web["client"]
    token = sign_in(client, "alice")
    # The own instance with the other account's flow: every route that names a flow.
    mixed = [r for r in routes(web["sales"], web["support_flow"])
             if f"/flows/{web['support_flow']}" in r[1] or r[1].endswith("/bind")]
    for verb, path, body in routes(web["support"], web["support_flow"]) + mixed:
        assert send(client, verb, path, body, token).status_code == 404, (verb, path)
    with transaction(web["settings"]) as db:  # and nothing was changed there
        assert [f.name for f in db.scalars(select(IvrFlow).where(
            IvrFlow.instance_id == web["support"]))] == ["welcome"]
    page = client.get(f"/instances/{web['sales']}/flows").get_data(as_text=True)
    assert "sales.acme" in page and "support.globex" not in page


def test_the_account_owner_configures_every_instance_of_the_account(web):
    client = web["client"]
    sign_in(client, "olivia")
    for instance in ("sales", "hotline"):
        page = client.get(f"/instances/{web[instance]}").get_data(as_text=True)
        assert f'href="/instances/{web[instance]}/flows"' in page  # the instance's tab
        assert client.get(f"/instances/{web[instance]}/flows").status_code == 200
    assert client.get(f"/instances/{web['support']}/flows").status_code == 404


def test_an_instance_administrator_configures_only_their_instance(web):
    client = web["client"]
    token = sign_in(client, "carol")
    # Their account's instance, not theirs to configure: 403, as in every area (404 is
    # for another account's).
    for verb, path, body in routes(web["sales"], web["sales_flow"]):
        assert send(client, verb, path, body, token).status_code == 403, (verb, path)
    assert client.get(f"/instances/{web['hotline']}/flows").status_code == 200


def test_an_agent_may_not_configure_flows(web):
    client = web["client"]
    sign_in(client, "andy")
    assert client.get(f"/instances/{web['sales']}/flows").status_code == 403
    assert client.get(f"/instances/{web['sales']}/flows/{web['sales_flow']}").status_code == 403


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "forged"}])
def test_json_posts_without_the_csrf_header_are_refused(web, headers):
    client = web["client"]
    token = sign_in(client, "alice")
    flow = new_flow(web, token)
    url = f"/instances/{web['sales']}/flows/{flow}/draft"
    # The token in the body of a JSON request does not count either: only the header.
    response = client.post(url, json={"document": two_branch(), "csrf_token": token},
                           headers=headers)
    assert response.status_code == 400
    assert client.post(f"/instances/{web['sales']}/flows", data={"name": "x"}).status_code == 400


def test_creating_a_flow_with_a_bad_name_shows_the_error_and_keeps_it(web):
    client = web["client"]
    token = sign_in(client, "alice")
    response = client.post(f"/instances/{web['sales']}/flows",
                           data={"csrf_token": token, "name": "bad name!"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="name-error"' in page and 'value="bad name!"' in page
    response = client.post(f"/instances/{web['sales']}/flows",
                           data={"csrf_token": token, "name": "welcome"})  # taken
    assert response.status_code == 400 and 'id="name-error"' in response.get_data(as_text=True)


def test_the_editor_offers_the_instances_own_resources(web):
    client = web["client"]
    token = sign_in(client, "alice")
    flow = new_flow(web, token)
    page = client.get(f"/instances/{web['sales']}/flows/{flow}").get_data(as_text=True)
    data = json.loads(page.split('id="editor-data">', 1)[1].split("</script>", 1)[0])
    assert data["document"]["nodes"][0]["type"] == "start"
    resources = data["resources"]
    assert {"default", "vip"} <= set(resources["skill_groups"])
    assert "welcome" in resources["builtin"] and "welcome" in resources["flows"]
    assert [a["value"] for a in resources["agents"]] == ["1001", "1002"]
    assert data["outlets"]["menu"] and data["csrf"] == token
    for url in data["urls"].values():
        assert url.startswith(f"/instances/{web['sales']}/flows/{flow}/")


def test_an_invalid_draft_is_saved_with_its_problems_on_their_nodes(web):
    client = web["client"]
    token = sign_in(client, "alice")
    flow = new_flow(web, token)
    base = f"/instances/{web['sales']}/flows/{flow}"
    document = two_branch(group_b="nowhere", prompt=None)
    response = post_json(client, f"{base}/draft", {"document": document}, token)
    assert response.status_code == 200
    problems = response.get_json()["problems"]
    by_node = {p["node"]: p for p in problems}
    assert by_node["to_b"]["code"] == "unknown_target" and "nowhere" in by_node["to_b"]["message"]
    assert "menu" in by_node
    # The draft is what the editor opens next time, problems and all.
    page = client.get(base).get_data(as_text=True)
    assert "nowhere" in page
    # Validate answers the same problems without saving anything.
    response = post_json(client, f"{base}/validate", {"document": two_branch()}, token)
    assert response.status_code == 200 and response.get_json()["problems"] == []
    assert "nowhere" in client.get(base).get_data(as_text=True)


def test_publish_is_refused_while_invalid_and_keeps_the_draft(web):
    client = web["client"]
    token = sign_in(client, "alice")
    flow = new_flow(web, token)
    base = f"/instances/{web['sales']}/flows/{flow}"
    response = post_json(client, f"{base}/publish",
                         {"document": two_branch(group_b="nowhere")}, token)
    assert response.status_code == 422
    assert {p["node"] for p in response.get_json()["problems"]} == {"to_b"}
    assert "Never published" in client.get(f"{base}/versions").get_data(as_text=True)
    assert client.get(f"{base}/versions/1").status_code == 404
    assert "nowhere" in client.get(base).get_data(as_text=True)


def test_publish_makes_numbered_versions_to_view_and_export(web):
    client = web["client"]
    token = sign_in(client, "alice")
    flow = new_flow(web, token)
    base = f"/instances/{web['sales']}/flows/{flow}"
    document = two_branch()
    response = post_json(client, f"{base}/publish", {"document": document}, token)
    assert response.status_code == 200 and response.get_json()["version"] == 1
    moved = json.loads(json.dumps(document))
    moved["nodes"][1]["x"] = 300
    assert post_json(client, f"{base}/publish", {"document": moved}, token).get_json() == {
        "version": 2, "problems": []}
    listing = client.get(f"{base}/versions").get_data(as_text=True)
    assert f"{base}/versions/1" in listing and f"{base}/versions/2" in listing
    assert client.get(f"{base}/versions/1").status_code == 200
    export = client.get(f"{base}/versions/1/export")
    assert export.mimetype == "application/json"
    assert 'attachment; filename="twobranch-v1.json"' == export.headers["Content-Disposition"]
    exported = json.loads(export.get_data(as_text=True))
    assert exported["edges"] == document["edges"]
    assert [n["id"] for n in exported["nodes"]] == ["start", "menu", "to_a", "to_b"]
    flows = client.get(f"/instances/{web['sales']}/flows").get_data(as_text=True)
    assert "twobranch" in flows and "published" in flows
    # An old version opened as the draft: the editor shows it, nothing is published.
    response = client.post(f"{base}/versions/1/restore", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(base)
    page = client.get(base).get_data(as_text=True)
    assert "Version 1 is now the draft" in page
    draft = json.loads(page.split('id="editor-data">', 1)[1].split("</script>", 1)[0])
    assert draft["document"]["nodes"][1]["x"] == 60  # version 2 had moved it to 300
    assert client.get(f"{base}/versions/3").status_code == 404
    assert client.post(f"{base}/versions/3/restore", data={"csrf_token": token}).status_code == 404


def test_binding_offers_and_accepts_only_published_flows(web):
    client = web["client"]
    token = sign_in(client, "alice")
    draft_only = new_flow(web, token, "drafty")
    published = new_flow(web, token, "twobranch")
    post_json(client, f"/instances/{web['sales']}/flows/{published}/publish",
              {"document": two_branch()}, token)
    page = client.get(f"/instances/{web['sales']}/flows").get_data(as_text=True)
    bind_select = page.split('id="bind-flow"', 1)[1].split("</select>", 1)[0]
    assert ">twobranch<" in bind_select and ">welcome<" in bind_select
    assert "drafty" not in bind_select
    with transaction(web["settings"]) as db:
        number = db.scalar(select(Number).where(Number.digits == "01012345678"))
        number_id, welcome = number.id, number.inbound_flow_id
    url = f"/instances/{web['sales']}/bind"
    response = client.post(url, data={"csrf_token": token, "number": number_id, "flow": ""})
    assert response.status_code == 400 and "Choose a number" in response.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token, "number": number_id,
                                      "flow": draft_only})
    assert response.status_code == 400 and 'id="bind-error"' in response.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token, "number": number_id,
                                      "flow": web["support_flow"]})  # another account's
    assert response.status_code == 404
    with transaction(web["settings"]) as db:
        assert db.get(Number, number_id).inbound_flow_id == welcome
    response = client.post(url, data={"csrf_token": token, "number": number_id,
                                      "flow": published})
    assert response.status_code == 302
    with transaction(web["settings"]) as db:
        assert db.get(Number, number_id).inbound_flow_id == published
    assert "01012345678" in client.get(f"/instances/{web['sales']}/flows").get_data(as_text=True)


def test_simulate_shows_the_path_a_key_takes(web):
    client = web["client"]
    token = sign_in(client, "alice")
    flow = new_flow(web, token)
    url = f"/instances/{web['sales']}/flows/{flow}/simulate"
    response = post_json(client, url, {"document": two_branch(), "digits": "2",
                                       "at": "2026-11-23T10:00", "caller": "13800138000"}, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["path"][:2] == ["start", "menu"] and answer["path"][-1] == "to_b"
    assert any("vip" in action for action in answer["actions"])


def test_simulate_refuses_bad_input_with_a_message(web):
    client = web["client"]
    token = sign_in(client, "alice")
    url = f"/instances/{web['sales']}/flows/{web['sales_flow']}/simulate"
    response = post_json(client, url, {"document": two_branch(), "digits": "1x"}, token)
    assert response.status_code == 400 and "invalid digits" in response.get_json()["error"]
    response = post_json(client, url, {"document": two_branch(), "at": "tomorrow"}, token)
    assert response.status_code == 400 and "invalid time" in response.get_json()["error"]


@pytest.mark.parametrize("body", [None, {"document": "not an object"}, {"nodes": []}])
def test_a_request_without_a_document_is_refused(web, body):
    client = web["client"]
    token = sign_in(client, "alice")
    url = f"/instances/{web['sales']}/flows/{web['sales_flow']}/draft"
    response = client.post(url, data=json.dumps(body), content_type="application/json",
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 400 and "document" in response.get_json()["error"]
