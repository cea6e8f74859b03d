"""Call recordings through the API: the instance's administrators list, read and download
theirs; another account's or instance's recording, and ids that are none, answer 404;
nothing in an answer tells where the file is kept. Recording policies are set through
the instance and skill group routes."""
from __future__ import annotations

import pytest

from tests.unit.webadmin_world import bearer, sqlite_world

__all__ = ["sqlite_world"]
API = "/api/v1"


@pytest.fixture
def recorded(sqlite_world):
    """The world's recordings: one in acme's Sales, one in globex's Support."""
    world = sqlite_world
    return world, {"acme": world.ids["acme_recording"], "globex": world.ids["globex_recording"]}


def test_administrators_list_get_and_download_their_recordings(recorded):
    world, ids = recorded
    api = world.app().test_client()
    base = f"{API}/instances/{world.ids['acme_instance']}/recordings"
    listed = api.get(base, headers=bearer(world, "alice"))
    assert listed.status_code == 200
    [row] = listed.get_json()
    assert row["id"] == ids["acme"] and row["call_id"] == "world-acme.1"
    one = api.get(f"{base}/{ids['acme']}", headers=bearer(world, "alice")).get_json()
    assert one == row
    audio = api.get(f"{base}/{ids['acme']}/audio", headers=bearer(world, "alice"))
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    assert audio.data[:4] == b"RIFF"
    assert audio.headers["Content-Disposition"] == \
        'attachment; filename="recording-world-acme.1.wav"'
    for text in (listed.get_data(as_text=True), audio.headers["Content-Disposition"]):
        assert str(world.settings.site_dir) not in text and "/recordings/" not in text
    operations = {op["operationId"] for path in api.get(API + "/openapi.json").get_json()[
        "paths"].values() for op in path.values()}
    assert {"ListRecordings", "GetRecording", "DownloadRecording", "StartRecording",
            "PauseRecording", "ResumeRecording", "GetCallRecording"} <= operations


def test_another_account_or_instance_or_role_gets_nothing(recorded):
    world, ids = recorded
    api = world.app().test_client()
    acme, globex = world.ids["acme_instance"], world.ids["globex_instance"]
    hotline = world.ids["acme_hotline"]
    for user, instance, recording_id in (
            ("mallory", acme, ids["acme"]),        # another account's instance
            ("mallory", globex, ids["acme"]),      # its own instance, another's recording
            ("olivia", hotline, ids["acme"]),      # the right account, the wrong instance
            ("alice", acme, ids["globex"])):
        for suffix in ("", "/audio"):
            response = api.get(f"{API}/instances/{instance}/recordings/{recording_id}{suffix}",
                               headers=bearer(world, user))
            assert response.status_code == 404, (user, instance, recording_id, suffix)
            assert "world-" not in response.get_data(as_text=True)
    assert api.get(f"{API}/instances/{acme}/recordings",
                   headers=bearer(world, "mallory")).status_code == 404
    assert api.get(f"{API}/instances/{acme}/recordings",
                   headers=bearer(world, "andy")).status_code == 403  # an agent's role
    for hostile in ("..%2F..%2Fetc%2Fpasswd", "-1", "0", "99999999999999999999999", "1.0",
                    "%00", "world-acme.1"):
        response = api.get(f"{API}/instances/{acme}/recordings/{hostile}/audio",
                           headers=bearer(world, "alice"))
        assert response.status_code == 404 and response.is_json, hostile


def test_policies_are_set_on_instances_and_skill_groups(sqlite_world):
    world = sqlite_world
    api = world.app().test_client()
    acme = world.ids["acme_instance"]
    changed = api.patch(f"{API}/instances/{acme}", json={"recording": "on-demand"},
                        headers=bearer(world, "alice"))
    assert changed.status_code == 200 and changed.get_json()["recording"] == "on-demand"
    refused = api.patch(f"{API}/instances/{acme}", json={"recording": "inherit"},
                        headers=bearer(world, "alice"))
    assert refused.status_code == 422 and "recording" in refused.get_json()["fields"]
    group = f"{API}/instances/{acme}/skillgroups/{world.ids['acme_group']}"
    changed = api.patch(group, json={"recording": "all"}, headers=bearer(world, "alice"))
    assert changed.status_code == 200 and changed.get_json()["recording"] == "all"
    assert api.get(group, headers=bearer(world, "alice")).get_json()["recording"] == "all"
    for bad in ("always", 3, ["all"]):
        refused = api.patch(group, json={"recording": bad}, headers=bearer(world, "alice"))
        assert refused.status_code == 422, bad
    assert api.patch(f"{API}/instances/{world.ids['globex_instance']}/skillgroups/"
                     f"{world.ids['globex_group']}", json={"recording": "all"},
                     headers=bearer(world, "alice")).status_code == 404


def test_the_page_plays_and_downloads_the_instances_recordings(recorded):
    from tests.unit.webadmin_world import signed_in
    world, ids = recorded
    client = signed_in(world, "alice")
    sales = world.ids["acme_instance"]
    page = client.get(f"/instances/{sales}/recordings").get_data(as_text=True)
    src = f"/instances/{sales}/recordings/{ids['acme']}.wav"
    assert '<audio controls preload="none"' in page and f'src="{src}"' in page
    assert f"{ids['globex']}.wav" not in page and str(world.settings.site_dir) not in page
    played = client.get(src)
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    assert played.headers["Content-Disposition"].startswith("inline")
    assert client.get(src + "?download=1").headers["Content-Disposition"] == \
        'attachment; filename="recording-world-acme.1.wav"'
    assert client.get(f"/instances/{sales}/recordings/{ids['globex']}.wav").status_code == 404


def test_the_workbench_offers_the_recording_controls(sqlite_world):
    """The page's buttons post to the agent's own recording routes; with the PBX away
    they say so (503), and an action that is none is 404."""
    from tests.unit.test_workbench_signin import csrf, set_password, sign_in
    client = sqlite_world.app().test_client()
    sign_in(client, "sales.acme", set_password(sqlite_world, "acme_agent"))
    page = client.get("/w/sales.acme/").get_data(as_text=True)
    assert 'id="recording"' in page and 'data-action="pause"' in page
    assert "workbench-recording.js" in page
    token = csrf(client, "/w/sales.acme/")
    for action in ("start", "pause", "resume"):
        response = client.post(f"/w/sales.acme/calls/recording/{action}", json={},
                               headers={"X-CSRF-Token": token})
        assert response.status_code == 503, action
    assert client.post("/w/sales.acme/calls/recording/stop", json={},
                       headers={"X-CSRF-Token": token}).status_code == 404
    assert client.get("/w/sales.acme/calls/recording").status_code == 503


# ---- search, storage, retention ------------------------------------------------------------

def test_the_api_searches_and_documents_its_query(recorded):
    world, ids = recorded
    api = world.app().test_client()
    base = f"{API}/instances/{world.ids['acme_instance']}/recordings"
    alice = bearer(world, "alice")

    def listed(query: str) -> list:
        answer = api.get(base + query, headers=alice)
        assert answer.status_code == 200, (query, answer.get_json())
        return [r["id"] for r in answer.get_json()]
    # The world's call started 2026-01-05 09:00 UTC, from 13800138000 to 01012345678.
    assert listed("?from=2026-01-05&to=2026-01-06") == [ids["acme"]]
    assert listed("?from=2026-01-06") == [] and listed("?to=2026-01-05") == []
    assert listed("?number=0101234") == [ids["acme"]] and listed("?number=139") == []
    assert listed("?agent=1002") == []
    assert listed(f"?skill_group={world.ids['acme_group']}") == []
    for query, field in (("?from=2026-02-30", "from"), ("?number=1%25", "number"),
                         ("?agent=x", "agent"), ("?to=2026-01-01&from=2026-01-02", "to"),
                         (f"?skill_group={world.ids['globex_group']}", "skill_group"),
                         ("?skill_group=1e3", "skill_group")):
        refused = api.get(base + query, headers=alice)
        assert refused.status_code == 422 and field in refused.get_json()["fields"], query
    spec = api.get(API + "/openapi.json").get_json()["paths"]
    listing = spec["/api/v1/instances/{instance_id}/recordings"]["get"]
    assert {p["name"] for p in listing["parameters"] if p["in"] == "query"} == {
        "from", "to", "number", "agent", "skill_group"}
    audio = spec["/api/v1/instances/{instance_id}/recordings/{recording_id}/audio"]["get"]
    assert "409" in audio["responses"]
    account = spec["/api/v1/account/recordings"]
    assert (account["get"]["operationId"], account["patch"]["operationId"]) == (
        "GetRecordingStorage", "UpdateRecordingRetention")


def test_a_recording_being_written_again_answers_409_until_whole(recorded):
    world, ids = recorded
    api = world.app().test_client()
    path = world.settings.recordings_dir / "i1" / "world-acme.1.wav"
    whole = path.read_bytes()
    path.write_bytes(whole[:4] + bytes(4) + whole[8:40] + bytes(4) + whole[44:])
    url = f"{API}/instances/{world.ids['acme_instance']}/recordings/{ids['acme']}/audio"
    busy = api.get(url, headers=bearer(world, "alice"))
    assert busy.status_code == 409 and "still being written" in busy.get_json()["error"]
    client = signed_in_as(world, "alice")
    page = client.get(f"/instances/{world.ids['acme_instance']}/recordings/{ids['acme']}.wav")
    assert page.status_code == 409 and b"still being written" in page.data
    path.write_bytes(whole)
    assert api.get(url, headers=bearer(world, "alice")).status_code == 200


def signed_in_as(world, user):
    from tests.unit.webadmin_world import signed_in
    return signed_in(world, user)


def test_the_account_s_storage_and_retention_are_its_owner_s(recorded):
    world, ids = recorded
    api = world.app().test_client()
    url = f"{API}/account/recordings"
    shown = api.get(url, headers=bearer(world, "olivia")).get_json()
    size = (world.settings.recordings_dir / "i1" / "world-acme.1.wav").stat().st_size
    assert shown["account"] == "acme" and shown["recording_retention_days"] is None
    assert shown["storage"] == {"recordings": 1, "size_bytes": size, "seconds": 0,
                                "minutes": 0}
    assert [(i["domain"], i["recordings"]) for i in shown["instances"]] == [
        ("sales.acme", 1), ("hotline.acme", 0)]
    # Globex's owner sees globex's only.
    theirs = api.get(url, headers=bearer(world, "mallory")).get_json()
    assert theirs["account"] == "globex" and [i["domain"] for i in theirs["instances"]] == [
        "support.globex"]
    changed = api.patch(url, json={"recording_retention_days": 90},
                        headers=bearer(world, "olivia"))
    assert changed.status_code == 200 and changed.get_json()["recording_retention_days"] == 90
    assert api.get(url, headers=bearer(world, "mallory")).get_json()[
        "recording_retention_days"] is None
    for bad in (-1, 1.5, "90", True, 2 ** 64, [1], {"a": 1}):
        refused = api.patch(url, json={"recording_retention_days": bad},
                            headers=bearer(world, "olivia"))
        assert refused.status_code == 422, bad
        assert "recording_retention_days" in refused.get_json()["fields"]
    assert api.patch(url, json=[], headers=bearer(world, "olivia")).status_code == 400
    for user in ("alice", "andy"):
        for method in ("get", "patch"):
            answer = getattr(api, method)(url, json={"recording_retention_days": 1},
                                          headers=bearer(world, user))
            assert answer.status_code == 403, (user, method)
    assert api.get(url, headers=bearer(world, "olivia")).get_json()[
        "recording_retention_days"] == 90
    changed = api.patch(url, json={"recording_retention_days": None},
                        headers=bearer(world, "olivia"))
    assert changed.get_json()["recording_retention_days"] is None


def test_the_pages_search_show_storage_and_set_the_period(recorded):
    from tests.unit.webadmin_world import post_form, signed_in
    world, ids = recorded
    sales = world.ids["acme_instance"]
    client = signed_in(world, "alice")
    page = client.get(f"/instances/{sales}/recordings?number=138&from=2026-01-05")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and f'data-recording="{ids["acme"]}"' in text
    assert 'id="storage"' in text and 'name="skill_group"' in text
    assert f'<option value="{world.ids["acme_group"]}"' in text
    empty = client.get(f"/instances/{sales}/recordings?number=999").get_data(as_text=True)
    assert "data-recording=" not in empty and "No recording matches" in empty
    refused = client.get(f"/instances/{sales}/recordings?agent=x&to=soon")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="agent-error"' in text and 'id="to-error"' in text
    assert client.get(f"/instances/{sales}/recordings?skill_group="
                      f"{world.ids['globex_group']}").status_code == 422
    # The account's page: its owner's.
    assert client.get("/recordings").status_code == 403
    owner = signed_in(world, "olivia")
    page = owner.get("/recordings").get_data(as_text=True)
    assert 'data-instance="all"' in page and "support.globex" not in page
    assert ">Recording storage</a>" in page
    saved = post_form(owner, "/recordings", {"recording_retention_days": "30"})
    assert saved.status_code == 302
    assert 'value="30"' in owner.get("/recordings").get_data(as_text=True)
    for bad in ("-3", "٣", "²", "99999999999999999999", "x"):
        refused = post_form(owner, "/recordings", {"recording_retention_days": bad})
        assert refused.status_code == 422, bad
        assert 'id="recording_retention_days-error"' in refused.get_data(as_text=True)
    assert post_form(client, "/recordings", {"recording_retention_days": "1"}).status_code \
        == 403
    assert 'value="30"' in owner.get("/recordings").get_data(as_text=True)
