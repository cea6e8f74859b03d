"""IVR flows and the audio library through the REST API: the editor's and the audio
page's operations for token holders, through the same services.

Configured: the world of tests/unit/webadmin_world (acme's Sales with skill groups
default and vip, its published welcome flow and audio acme-hello; globex's Support).
Observed: drafts with their problems, publish refused (422) while invalid, versions,
binding a number, simulation; uploads (multipart and raw), download, rename, delete
refused (409) while a published flow plays the audio; the OpenAPI document.
"""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine.numbers.models import Number
from engine.uow import transaction
from tests.unit.webadmin_world import bearer, sqlite_world, wav_bytes

__all__ = ["sqlite_world"]
API = "/api/v1"


def two_branch(vip: str = "vip", prompt: str = "welcome") -> dict:
    return {"format": 1, "nodes": [
        {"id": "start", "type": "start"}, {"id": "menu", "type": "menu", "prompt": prompt},
        {"id": "to_a", "type": "transfer_skill_group", "skill_group": "default"},
        {"id": "to_b", "type": "transfer_skill_group", "skill_group": vip}],
        "edges": [{"from": "start", "to": "menu"}, {"from": "menu", "to": "to_a", "when": "1"},
                  {"from": "menu", "to": "to_b", "when": "2"}]}


@pytest.fixture
def api(sqlite_world):
    client = sqlite_world.app().test_client()
    headers = bearer(sqlite_world, "alice")  # Sales's instance administrator

    def call(method: str, path: str, **kwargs):
        return client.open(API + path, method=method, headers=headers, **kwargs)
    call.sales = f"/instances/{sqlite_world.ids['acme_instance']}"
    return call


def test_a_flow_from_draft_to_published_version_and_bound_number(api, sqlite_world):
    created = api("POST", f"{api.sales}/flows", json={"name": "twobranch"})
    assert created.status_code == 201 and created.get_json()["state"] == "draft"
    flow = f"{api.sales}/flows/{created.get_json()['id']}"
    assert [f["name"] for f in api("GET", f"{api.sales}/flows").get_json()] == [
        "twobranch", "welcome"]

    saved = api("PUT", f"{flow}/draft", json={"document": two_branch(vip="nowhere")})
    assert saved.status_code == 200
    assert {p["node"]: p["code"] for p in saved.get_json()["problems"]} == {
        "to_b": "unknown_target"}
    refused = api("POST", f"{flow}/publish", json={})
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["node"] == "to_b"
    assert api("GET", f"{flow}/versions").get_json() == []
    assert api("POST", f"{flow}/validate",
               json={"document": two_branch()}).get_json() == {"problems": []}

    published = api("POST", f"{flow}/publish", json={"document": two_branch()})
    assert published.status_code == 201 and published.get_json()["version"] == 1
    shown = api("GET", flow).get_json()
    assert shown["state"] == "published" and shown["draft"] is None
    assert shown["latest_version"]["document"]["nodes"][3]["skill_group"] == "vip"
    assert [v["version"] for v in api("GET", f"{flow}/versions").get_json()] == [1]
    assert api("GET", f"{flow}/versions/1").get_json()["version"] == 1
    assert api("GET", f"{flow}/versions/2").status_code == 404

    number_id = sqlite_world.ids["acme_number"]
    bound = api("POST", f"{flow}/bind", json={"number_id": number_id})
    assert bound.status_code == 200 and bound.get_json()["numbers"] == ["01012345678"]
    with transaction(sqlite_world.settings) as db:
        assert db.get(Number, number_id).inbound_flow_id == shown["id"]

    path = api("POST", f"{flow}/simulate", json={"digits": "2"}).get_json()["path"]
    assert path[:2] == ["start", "menu"] and path[-1] == "to_b"
    bad = api("POST", f"{flow}/simulate", json={"digits": "1x"})
    assert bad.status_code == 422 and "invalid digits" in bad.get_json()["error"]


def test_binding_refuses_a_draft_flow_and_another_accounts_number(api, sqlite_world):
    flow = api("POST", f"{api.sales}/flows", json={"name": "drafty"}).get_json()["id"]
    bind = f"{api.sales}/flows/{flow}/bind"
    assert api("POST", bind, json={"number_id": sqlite_world.ids["acme_number"]}
               ).status_code == 422
    assert api("POST", bind, json={"number_id": sqlite_world.ids["globex_number"]}
               ).status_code == 404
    with transaction(sqlite_world.settings) as db:
        assert flow not in set(db.scalars(select(Number.inbound_flow_id)))


def test_bad_flow_input_is_refused(api):
    assert api("POST", f"{api.sales}/flows", json={"name": "bad name!"}).status_code == 422
    assert api("POST", f"{api.sales}/flows", json={"name": "welcome"}).status_code == 409
    flow = f"{api.sales}/flows/{api('GET', f'{api.sales}/flows').get_json()[0]['id']}"
    assert api("PUT", f"{flow}/draft", json={"document": "text"}).status_code == 422
    assert api("PUT", f"{flow}/draft", json={}).status_code == 422  # document required


def test_the_audio_library_through_the_api(api):
    audio = f"{api.sales}/audio"
    sent = api("POST", audio, data={"file": (io.BytesIO(wav_bytes()), "Main Menu.wav")},
               content_type="multipart/form-data")
    assert sent.status_code == 201 and sent.get_json()["name"] == "main-menu"
    raw = api("POST", f"{audio}?name=raw-one", data=wav_bytes(), content_type="audio/wav")
    assert raw.status_code == 201
    assert api("POST", audio, data=wav_bytes(), content_type="audio/wav").status_code == 422
    again = api("POST", f"{audio}?name=raw-one", data=wav_bytes(), content_type="audio/wav")
    assert again.status_code == 409
    not_wav = api("POST", f"{audio}?name=song", data=b"ID3\x03 mp3" * 20)
    assert not_wav.status_code == 422 and "not a WAV" in not_wav.get_json()["error"]
    assert [a["name"] for a in api("GET", audio).get_json()] == [
        "acme-hello", "main-menu", "raw-one"]

    played = api("GET", f"{audio}/main-menu.wav")
    assert played.mimetype == "audio/wav" and played.data == wav_bytes()
    renamed = api("PATCH", f"{audio}/raw-one", json={"name": "greeting"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "greeting"
    assert api("PATCH", f"{audio}/greeting", json={"name": "Bad Name"}).status_code == 422
    assert api("DELETE", f"{audio}/main-menu").status_code == 204
    assert api("GET", f"{audio}/main-menu.wav").status_code == 404


def test_audio_played_by_a_published_flow_is_not_deleted(api):
    flow = api("POST", f"{api.sales}/flows", json={"name": "hello"}).get_json()["id"]
    published = api("POST", f"{api.sales}/flows/{flow}/publish",
                    json={"document": two_branch(prompt="acme-hello")})
    assert published.status_code == 201
    refused = api("DELETE", f"{api.sales}/audio/acme-hello")
    assert refused.status_code == 409 and "used by a published IVR flow" in refused.get_json()[
        "error"]
    assert api("PATCH", f"{api.sales}/audio/acme-hello",
               json={"name": "other"}).status_code == 409


def test_the_openapi_document_describes_flows_and_audio(sqlite_world):
    document = sqlite_world.app().test_client().get(API + "/openapi.json").get_json()
    flow = "/api/v1/instances/{instance_id}/flows/{flow_id}"
    assert set(document["paths"][flow + "/draft"]) == {"put"}
    publish = document["paths"][flow + "/publish"]["post"]
    assert set(publish["responses"]) >= {"201", "403", "404", "422"}
    upload = document["paths"]["/api/v1/instances/{instance_id}/audio"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert set(document["paths"]["/api/v1/instances/{instance_id}/audio/{name}"]) == {
        "patch", "delete"}
