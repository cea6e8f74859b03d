"""The audio library pages through Flask's test client.

Configured: the world of tests/unit/webadmin_world (acme's Sales with audio
acme-hello, globex's Support with globex-hello). Observed: sign-in and account checks
on every route, CSRF on uploads, refused uploads (not a WAV, over 5 MB)
shown at the file field with nothing written, play/download with the WAV content
type, rename, and delete refused while a published flow plays the audio.
"""
from __future__ import annotations

import io
import json

import pytest

from engine.audio.service import MAX_BYTES, list_audio
from engine.instances.service import get_instance
from engine.uow import transaction
from tests.unit.webadmin_world import csrf_from, post_json, sign_in, wav_bytes, world

__all__ = ["world"]  # fixture
OWN = "acme-hello"  # Sales's audio in the world, before any test uploads


@pytest.fixture
def web(world):
    web = {"client": world.app().test_client(), "settings": world.settings,
           "sales": world.ids["acme_instance"], "support": world.ids["globex_instance"],
           "world": world}
    web["files"] = audio_files(world.settings)  # the world's own, before the test
    return web


def upload(client, instance, token, data=None, filename="Main Menu.wav", **form):
    payload = {"csrf_token": token, **form,
               "file": (io.BytesIO(wav_bytes() if data is None else data), filename)}
    return client.post(f"/instances/{instance}/audio", data=payload,
                       content_type="multipart/form-data")


def library(settings, domain="sales.acme") -> list[str]:
    with transaction(settings) as db:
        return [a.name for a in list_audio(db, get_instance(db, domain))]


def audio_files(settings) -> list[str]:
    root = settings.var_dir / "audio"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def routes(instance: int, name: str) -> list[tuple[str, str, dict | None]]:
    return [("GET", f"/instances/{instance}/audio", None),
            ("POST", f"/instances/{instance}/audio", {}),
            ("GET", f"/instances/{instance}/audio/{name}.wav", None),
            ("GET", f"/instances/{instance}/audio/{name}.wav?download=1", None),
            ("POST", f"/instances/{instance}/audio/{name}/rename", {"new_name": "taken-over"}),
            ("POST", f"/instances/{instance}/audio/{name}/delete", {})]


def send(client, verb, path, form, token):
    if verb == "GET":
        return client.get(path)
    if path.endswith("/audio"):
        return upload(client, int(path.split("/")[2]), token, name="stolen")
    return client.post(path, data={"csrf_token": token, **form})


def test_every_route_needs_a_signed_in_user(web):
    client = web["client"]
    token = csrf_from(client)
    for verb, path, form in routes(web["sales"], "main-menu"):
        response = send(client, verb, path, form, token)
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")


def test_another_accounts_audio_answers_404_on_every_route(web):
    client = web["client"]
    sign_in(client, "mallory", "globex")
    token = csrf_from(client, f"/instances/{web['support']}/audio")
    assert upload(client, web["support"], token, name="secret").status_code == 302
    client = web["world"].app().test_client()
    token = sign_in(client, "alice")
    # The other account's instance; and the own instance naming the other's audio.
    cases = routes(web["support"], "secret") + routes(web["sales"], "secret")[2:]
    for verb, path, form in cases:
        assert send(client, verb, path, form, token).status_code == 404, (verb, path)
    assert library(web["settings"], "support.globex") == ["globex-hello", "secret"]
    assert library(web["settings"]) == [OWN]


def test_an_upload_without_the_csrf_token_is_refused(web):
    client = web["client"]
    sign_in(client, "alice")
    assert upload(client, web["sales"], "forged").status_code == 400
    assert library(web["settings"]) == [OWN]


def test_upload_play_download_rename_and_delete(web):
    client = web["client"]
    token = sign_in(client, "alice")
    response = upload(client, web["sales"], token)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Audio main-menu uploaded." in page  # named after the file
    assert f'src="/instances/{web["sales"]}/audio/main-menu.wav"' in page
    played = client.get(f"/instances/{web['sales']}/audio/main-menu.wav")
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    assert played.data == wav_bytes() and played.headers["Content-Disposition"].startswith("inline")
    saved = client.get(f"/instances/{web['sales']}/audio/main-menu.wav?download=1")
    assert saved.headers["Content-Disposition"] == 'attachment; filename="main-menu.wav"'

    response = client.post(f"/instances/{web['sales']}/audio/main-menu/rename",
                           data={"csrf_token": token, "new_name": "Bad Name"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "invalid audio name" in page and 'value="Bad Name"' in page
    response = client.post(f"/instances/{web['sales']}/audio/main-menu/rename",
                           data={"csrf_token": token, "new_name": "greeting"})
    assert response.status_code == 302 and library(web["settings"]) == [OWN, "greeting"]
    assert client.get(f"/instances/{web['sales']}/audio/greeting.wav").data == wav_bytes()

    response = client.post(f"/instances/{web['sales']}/audio/greeting/delete",
                           data={"csrf_token": token})
    assert response.status_code == 302 and library(web["settings"]) == [OWN]
    assert client.get(f"/instances/{web['sales']}/audio/greeting.wav").status_code == 404


@pytest.mark.parametrize("data, filename, message", [
    (b"ID3\x03 this is an mp3 " * 20, "song.wav", "not a WAV file"),
    (b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(64), "clip.wav", "not WAVE"),
    (b"", "empty.wav", "WAV"),
])
def test_a_file_that_is_not_a_wav_is_refused_at_the_file_field(web, data, filename, message):
    client = web["client"]
    token = sign_in(client, "alice")
    response = upload(client, web["sales"], token, data=data, filename=filename, name="typed")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = page.split('id="file-error"', 1)[1].split("</span>", 1)[0]
    assert message in error
    assert 'name="name" id="audio-name" value="typed"' in page  # what was typed stays
    assert library(web["settings"]) == [OWN] and audio_files(web["settings"]) == web["files"]


def test_a_file_over_5_mb_is_refused(web):
    client = web["client"]
    token = sign_in(client, "alice")
    big = wav_bytes(seconds=1) + bytes(MAX_BYTES)  # a WAV header in front of 5 MB more
    response = upload(client, web["sales"], token, data=big, filename="big.wav")
    assert response.status_code == 400
    assert "larger than 5 MB" in response.get_data(as_text=True).split('id="file-error"', 1)[1]
    assert library(web["settings"]) == [OWN] and audio_files(web["settings"]) == web["files"]


def test_bad_or_taken_names_are_refused_at_the_name_field(web):
    client = web["client"]
    token = sign_in(client, "alice")
    for name in ("Has Space", "welcome"):  # malformed; one of the product's own sounds
        response = upload(client, web["sales"], token, name=name)
        assert response.status_code == 400 and 'id="name-error"' in response.get_data(as_text=True)
    assert upload(client, web["sales"], token, name="menu").status_code == 302
    response = upload(client, web["sales"], token, name="menu")
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)
    assert upload(client, web["sales"], token, name="menu", replace="on").status_code == 302
    assert library(web["settings"]) == [OWN, "menu"]
    response = client.post(f"/instances/{web['sales']}/audio", data={"csrf_token": token})
    assert response.status_code == 400 and "Choose a WAV file." in response.get_data(as_text=True)


def test_audio_used_by_a_published_flow_cannot_be_deleted(web):
    client = web["client"]
    token = sign_in(client, "alice")
    assert upload(client, web["sales"], token, name="menu-prompt").status_code == 302
    response = client.post(f"/instances/{web['sales']}/flows",
                           data={"csrf_token": token, "name": "uses-audio"})
    flow_url = response.headers["Location"]
    document = {"format": 1, "nodes": [
        {"id": "start", "type": "start"}, {"id": "hello", "type": "play", "prompt": "menu-prompt"},
        {"id": "bye", "type": "hangup"}],
        "edges": [{"from": "start", "to": "hello"}, {"from": "hello", "to": "bye"}]}
    response = post_json(client, f"{flow_url}/publish", {"document": document}, token)
    assert response.status_code == 200, json.dumps(response.get_json())
    response = client.post(f"/instances/{web['sales']}/audio/menu-prompt/delete",
                           data={"csrf_token": token})
    assert response.status_code == 409
    assert "used by a published IVR flow" in response.get_data(as_text=True)
    assert library(web["settings"]) == [OWN, "menu-prompt"]


def test_an_agent_may_not_manage_audio(web):
    client = web["client"]
    token = sign_in(client, "andy")
    assert client.get(f"/instances/{web['sales']}/audio").status_code == 403
    assert upload(client, web["sales"], token).status_code == 403
    assert library(web["settings"]) == [OWN]
