"""The REST API under /api/v1: tokens, JSON errors, the same rules as the web admin,
and an OpenAPI document that lists every route."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.accounts.models import ApiToken
from engine.models import Agent, Instance
from engine.uow import transaction
from tests.unit.webadmin_world import bearer, sqlite_world, world

__all__ = ["sqlite_world", "world"]
API = "/api/v1"


@pytest.fixture
def api(sqlite_world):
    return sqlite_world.app().test_client()


def count(world, model) -> int:
    with transaction(world.settings) as db:
        return db.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic b2xpdmlh",
                                    "Bearer ccc_not-a-real-token", "Bearer not-even-the-prefix"])
def test_missing_or_bad_tokens_get_401_json(api, header):
    headers = {"Authorization": header} if header is not None else {}
    for method, path in (("GET", "/instances"), ("POST", "/instances"), ("GET", "/numbers"),
                         ("DELETE", "/instances/1/agents/1")):
        response = api.open(API + path, method=method, headers=headers, json={})
        assert response.status_code == 401, (header, path)
        assert response.is_json and "token" in response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_api_path_answers_json(api):
    response = api.get(API + "/nowhere")
    assert response.status_code == 404 and response.is_json
    assert api.delete(API + "/numbers").status_code == 405  # a known path, a wrong verb
    assert api.delete(API + "/numbers").is_json


def test_tokens_are_stored_hashed_and_work_for_their_user_only(world):
    with transaction(world.settings) as db:
        hashes = set(db.scalars(select(ApiToken.token_hash)))
    assert len(hashes) == len(world.tokens) and not hashes & set(world.tokens.values())
    api = world.app().test_client()
    olivia = api.get(API + "/instances", headers=bearer(world, "olivia")).get_json()
    mallory = api.get(API + "/instances", headers=bearer(world, "mallory")).get_json()
    assert [i["domain"] for i in olivia] == ["sales.acme", "hotline.acme"]
    assert [i["domain"] for i in mallory] == ["support.globex"]
    assert "Set-Cookie" not in api.get(API + "/instances", headers=bearer(world)).headers


def test_cli_prints_a_token_once_and_it_authenticates(sqlite_world, monkeypatch):
    import cli
    for name, value in {"CCC_DATABASE_URL": sqlite_world.settings.database_url,
                        "CCC_VAR_DIR": str(sqlite_world.settings.var_dir)}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli.main, ["account", "token", "create", "--account", "acme",
                                           "--user", "rita"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert re.fullmatch(r"ccc_[\w-]{40,}", token)
    api = sqlite_world.app().test_client()
    assert api.get(API + "/instances", headers={"Authorization": f"Bearer {token}"}
                   ).status_code == 200
    result = CliRunner().invoke(cli.main, ["account", "token", "create", "--account", "acme",
                                           "--user", "nobody"])
    assert result.exit_code == 1 and "unknown user 'nobody'" in result.output


def test_create_an_instance_through_the_api(api, sqlite_world):
    response = api.post(API + "/instances", headers=bearer(sqlite_world), json={
        "name": "Support", "domain": "support.acme", "number": "01087654321",
        "number_type": "landline", "admins": ["carol"], "description": "API made"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["access_address"] == "http://support.acme/"
    assert body["numbers"][0]["digits"] == "01087654321"
    assert body["pbx"] == {"live": False, "error": False, "message":
                           "PBX configuration written; it takes effect when the PBX starts"}
    again = api.post(API + "/instances", headers=bearer(sqlite_world), json={
        "name": "Support", "domain": "support.acme", "number": "01087654321",
        "number_type": "landline"})
    assert again.status_code == 409
    assert set(again.get_json()["fields"]) == {"name", "domain", "number"}


def test_bad_input_names_its_fields_and_writes_nothing(api, sqlite_world):
    before = count(sqlite_world, Instance)
    response = api.post(API + "/instances", headers=bearer(sqlite_world), json={
        "name": 7, "domain": "UPPER", "number": "1", "number_type": "pager"})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"name": "must be a JSON string",
                                             "number_type": "one of landline, 400, 95, "
                                                            "virtual_mobile, international"}
    response = api.post(API + "/instances", headers=bearer(sqlite_world), json={
        "name": "Ok", "domain": "UPPER", "number": "1", "number_type": "landline"})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"domain", "number"}
    for data, error in ((b"not json", "the body is not valid JSON (UTF-8 text, "
                                      "Content-Type: application/json)"),
                        (b"[1, 2]", "the body must be a JSON object")):
        response = api.post(API + "/instances", headers=bearer(sqlite_world) | {
            "Content-Type": "application/json"}, data=data)
        assert response.status_code == 400
        assert response.get_json() == {"error": error}
    assert count(sqlite_world, Instance) == before


def test_the_domain_of_an_instance_never_changes(api, sqlite_world):
    path = f"{API}/instances/{sqlite_world.ids['acme_instance']}"
    response = api.patch(path, headers=bearer(sqlite_world), json={"domain": "other.acme"})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"domain": "the access domain cannot be changed"}
    response = api.patch(path, headers=bearer(sqlite_world), json={"name": "Sales EU"})
    assert response.status_code == 200 and response.get_json()["domain"] == "sales.acme"
    assert response.get_json()["name"] == "Sales EU"


def test_agents_through_the_api(api, sqlite_world):
    base = f"{API}/instances/{sqlite_world.ids['acme_instance']}/agents"
    created = api.post(base, headers=bearer(sqlite_world),
                       json={"name": "erin", "skill_groups": {"vip": 2}})
    assert created.status_code == 201
    erin = created.get_json()
    assert erin["extension"] == "1003" and len(erin["sip_password"]) == 32
    assert erin["skill_groups"] == {"vip": 2}
    assert "sip_password" not in api.get(f"{base}/{erin['id']}",
                                         headers=bearer(sqlite_world)).get_json()
    updated = api.patch(f"{base}/{erin['id']}", headers=bearer(sqlite_world),
                        json={"skill_groups": {"default": 1, "vip": 3}})
    assert updated.get_json()["skill_groups"] == {"default": 1, "vip": 3}
    assert updated.get_json()["name"] == "erin"
    bad = api.post(base, headers=bearer(sqlite_world),
                   json={"name": "x", "extension": "1001", "skill_groups": {"gold": 1}})
    assert bad.status_code == 422
    assert bad.get_json()["fields"] == {
        "extension": "extension 1001 is already taken in sales.acme",
        "skill_groups": "unknown skill group 'gold' in sales.acme"}
    assert api.delete(f"{base}/{erin['id']}", headers=bearer(sqlite_world)).status_code == 204
    assert api.get(f"{base}/{erin['id']}", headers=bearer(sqlite_world)).status_code == 404
    names = [a["name"] for a in api.get(base, headers=bearer(sqlite_world)).get_json()]
    assert names == ["alice", "bob"]


def test_csv_import_through_the_api_is_all_or_nothing(api, sqlite_world):
    path = f"{API}/instances/{sqlite_world.ids['acme_instance']}/agents/import"
    before = count(sqlite_world, Agent)
    response = api.post(path, headers=bearer(sqlite_world) | {"Content-Type": "text/csv"},
                        data=b"name,skill_groups\nok,vip:1\nno way!,\n")
    assert response.status_code == 422
    assert response.get_json()["rows"] == [{"line": 3, "field": "name", "message": (
        "invalid agent name 'no way!': 1-64 letters, digits, spaces, '.', '_' or '-', "
        "starting with a letter or digit")}]
    assert count(sqlite_world, Agent) == before
    response = api.post(path, headers=bearer(sqlite_world) | {"Content-Type": "text/csv"},
                        data=b"name,skill_groups\nok,vip:1\nfine,\n")
    assert response.status_code == 201
    assert [a["name"] for a in response.get_json()["imported"]] == ["ok", "fine"]
    assert count(sqlite_world, Agent) == before + 2


def test_skill_groups_and_numbers_through_the_api(api, sqlite_world):
    ids = sqlite_world.ids
    base = f"{API}/instances/{ids['acme_instance']}/skillgroups"
    response = api.post(base, headers=bearer(sqlite_world), json={
        "name": "gold", "strategy": "ringall", "wait_timeout": 30,
        "agents": {str(ids["acme_agent"]): 4}, "numbers": [ids["acme_number"]]})
    assert response.status_code == 201, response.get_json()
    gold = response.get_json()
    assert (gold["strategy"], gold["wait_timeout"]) == ("ringall", 30)
    assert gold["agents"] == {str(ids["acme_agent"]): 4}
    assert gold["numbers"] == [ids["acme_number"]]
    bad = api.patch(f"{base}/{gold['id']}", headers=bearer(sqlite_world),
                    json={"strategy": "loudest", "wait_timeout": True, "overflow_id": 9999})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"strategy", "wait_timeout"}
    bad = api.patch(f"{base}/{gold['id']}", headers=bearer(sqlite_world),
                    json={"overflow_id": ids["globex_group"]})
    assert bad.get_json()["fields"] == {
        "overflow": "choose another skill group of the same instance"}
    good = api.patch(f"{base}/{gold['id']}", headers=bearer(sqlite_world),
                     json={"overflow_id": ids["acme_group"]})
    assert good.get_json()["overflow_id"] == ids["acme_group"]
    assert good.get_json()["strategy"] == "ringall"  # PATCH keeps what it was not sent
    default = api.delete(f"{base}/{ids['acme_default_group']}", headers=bearer(sqlite_world))
    assert default.status_code == 409 and "default group" in default.get_json()["error"]
    number = f"{API}/numbers/{ids['acme_number']}"
    shown = api.get(number, headers=bearer(sqlite_world)).get_json()
    assert [f["name"] for f in shown["bindable_flows"]] == ["welcome"]
    response = api.patch(number, headers=bearer(sqlite_world),
                         json={"skill_groups": [gold["id"]], "inbound_flow_id": None})
    assert response.status_code == 200
    assert response.get_json()["skill_groups"] == [gold["id"]]
    assert response.get_json()["inbound_flow_id"] is None
    refused = api.patch(f"{API}/numbers/{ids['acme_400']}", headers=bearer(sqlite_world),
                        json={"skill_groups": [gold["id"]]})
    assert refused.status_code == 422
    assert refused.get_json()["fields"]["skill_groups"] == "a 400 number cannot call out"


def test_api_posts_need_no_csrf_token_but_web_posts_do(api, sqlite_world):
    base = f"{API}/instances/{sqlite_world.ids['acme_instance']}/skillgroups"
    assert api.post(base, headers=bearer(sqlite_world), json={"name": "x"}).status_code == 201
    web = sqlite_world.app().test_client()
    assert web.post(f"/instances/{sqlite_world.ids['acme_instance']}/skillgroups/new",
                    data={"name": "y"}).status_code == 400


def test_the_openapi_document_lists_every_api_route(api, sqlite_world):
    document = api.get(API + "/openapi.json").get_json()  # public: no token needed
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    app = sqlite_world.app()
    registered = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
                  for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert registered == documented
    assert len(registered) >= 16
    create = document["paths"]["/api/v1/instances"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "name", "domain", "number", "number_type"]
    assert set(create["responses"]) >= {"201", "401", "403", "409", "422"}
    agent = document["paths"]["/api/v1/instances/{instance_id}/agents/{agent_id}"]["get"]
    assert [p["name"] for p in agent["parameters"]] == ["instance_id", "agent_id"]
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
