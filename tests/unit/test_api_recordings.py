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
