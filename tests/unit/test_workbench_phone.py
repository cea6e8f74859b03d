"""The workbench's softphone settings, network check and call history's words, through
the web app.

World: tests/unit/webadmin_world.py (Sales with agent bob, Hotline with carol). bob
signs in to Sales's workbench; the pages, the JSON and the probes answer him, another
instance's answer 404, and only the phone pages may connect to the PBX's WebSocket.
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import replace

import pytest

from engine.agents.models import Agent
from engine.network.service import DOWNLOAD_BYTES, UPLOAD_BYTES
from engine.uow import transaction
from tests.unit.test_workbench_signin import csrf, set_password, sign_in
from engine.settings import load_settings
from tests.unit.webadmin_world import build_world
from webadmin import SECURITY_HEADERS

SECURITY_CSP = SECURITY_HEADERS["Content-Security-Policy"]

GOOD = {"round_trip_ms": 12, "jitter_ms": 1, "loss_percent": 0, "download_kbps": 9000,
        "upload_kbps": 4000}


@pytest.fixture
def world(tmp_path, sqlite_url):
    """The web admin's test world on SQLite (the routes here do not depend on the database)."""
    base = load_settings({"CCC_VAR_DIR": str(tmp_path / "var"),
                          "CCC_PBX_ROOT": str(tmp_path / "pbx-root"), "CCC_PBX_SITE": "unit"})
    return build_world(replace(base, database_url=sqlite_url))


def bob_signed_in(world):
    client = world.app().test_client()
    extension = set_password(world, "acme_agent")
    assert sign_in(client, "sales.acme", extension).status_code == 302
    return client, extension


def test_the_phone_settings_are_the_agents_web_endpoint_never_cached(world):
    client, extension = bob_signed_in(world)
    response = client.get("/w/sales.acme/phone/config")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    with transaction(world.settings) as db:
        bob = db.get(Agent, world.ids["acme_agent"])
        username, secret = bob.sip_username, bob.sip_secret
    assert response.get_json() == {
        "websocket_url": "ws://127.0.0.1:8088/ws", "sip_domain": "127.0.0.1",
        "username": f"{username}-web", "password": secret, "extension": extension}


def test_only_the_phone_pages_may_open_the_pbx_websocket(world):
    client, _ = bob_signed_in(world)
    wider = SECURITY_CSP.replace("connect-src 'self'", "connect-src 'self' ws://127.0.0.1:8088")
    for path in ("/w/sales.acme/", "/w/sales.acme/network"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"] == wider, path
    for path in ("/w/sales.acme/phone/config", "/w/sales.acme/signin", "/sign-in"):
        assert client.get(path).headers["Content-Security-Policy"] == SECURITY_CSP, path


def test_a_forged_host_header_never_reaches_the_policy(world):
    """Bound to every address, the PBX is reached at the page's host name; a Host
    header that is no host name falls back to the web app's address."""
    world = type(world)(replace(world.settings, pbx_http_bind="0.0.0.0"), world.ids,
                        world.tokens)
    client, _ = bob_signed_in(world)
    good = client.get("/w/sales.acme/network", headers={"Host": "pbx.example:8080"})
    assert "connect-src 'self' ws://pbx.example:8088;" in good.headers["Content-Security-Policy"]
    forged = client.get("/w/sales.acme/network", headers={"Host": "x;script-src *"})
    assert "connect-src 'self' ws://127.0.0.1:8088;" in forged.headers["Content-Security-Policy"]


def test_the_network_page_lists_the_ports_and_the_requirements(world):
    client, _ = bob_signed_in(world)
    page = client.get("/w/sales.acme/network").get_data(as_text=True)
    settings = world.settings
    assert f"<td>TCP</td><td>{settings.web_port}</td>" in page
    assert f"<td>TCP</td><td>{settings.pbx_http_port}</td>" in page
    assert f"<td>UDP</td><td>{settings.rtp_start}-{settings.rtp_end}</td>" in page
    assert "200 kbit/s each way per agent" in page and "4 CPU cores" in page
    assert 'data-echo="echo"' in page and "<script>" not in page and "style=" not in page


def test_the_probes_are_bounded_and_never_cached(world):
    client, _ = bob_signed_in(world)
    download = client.get("/w/sales.acme/network/download")
    assert len(download.data) == DOWNLOAD_BYTES and download.headers["Cache-Control"] == "no-store"
    token = csrf(client, "/w/sales.acme/")
    upload = client.post("/w/sales.acme/network/upload", data={
        "csrf_token": token, "data": (io.BytesIO(b"x" * UPLOAD_BYTES), "probe")})
    assert upload.get_json() == {"bytes": UPLOAD_BYTES}
    too_big = client.post("/w/sales.acme/network/upload", data={
        "csrf_token": token, "data": (io.BytesIO(b"x" * (2 * UPLOAD_BYTES)), "probe")})
    assert too_big.status_code == 413
    # without the page's token, a cross-site form cannot use an agent's session
    assert client.post("/w/sales.acme/network/upload", data={
        "data": (io.BytesIO(b"x"), "probe")}).status_code == 400


def test_the_verdict_names_what_is_missed_and_refuses_bad_figures(world):
    client, _ = bob_signed_in(world)
    headers = {"X-CSRF-Token": csrf(client, "/w/sales.acme/")}

    def verdict(body):
        return client.post("/w/sales.acme/network/verdict", data=json.dumps(body),
                           content_type="application/json", headers=headers)
    assert verdict(GOOD).get_json() == {"ready": True, "missed": []}
    assert verdict({**GOOD, "round_trip_ms": 180, "upload_kbps": 120}).get_json() == {
        "ready": False, "missed": ["round_trip", "bandwidth"]}
    refused = verdict({**GOOD, "loss_percent": "none", "download_kbps": 1e300})
    assert refused.status_code == 422
    assert set(refused.get_json()["fields"]) == {"loss_percent", "download_kbps"}
    assert verdict([1, 2]).status_code == 422


def test_another_instances_workbench_does_not_exist_for_this_agent(world):
    client, _ = bob_signed_in(world)
    for path in ("/", "/network", "/phone/config", "/network/download"):
        assert client.get(f"/w/hotline.acme{path}").status_code == 404, path
    # and nobody signed in is sent to the sign-in page, not given the credentials
    stranger = world.app().test_client()
    assert stranger.get("/w/sales.acme/phone/config").status_code == 302


def test_a_missing_library_file_is_a_404_not_an_error(world):
    """Without make's bundle the module import fails in the page (which says so); the
    server answers 404 like any missing file."""
    client, _ = bob_signed_in(world)
    assert client.get("/static/vendor/no-such-library.js").status_code == 404
    page = client.get("/w/sales.acme/").get_data(as_text=True)
    assert '<script type="module" src="/static/phone.js"></script>' in page


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_call_history_names_every_disposition_a_call_record_has(world, language):
    """Every disposition the call records can hold has its own label in the page's texts
    (the history showed a bare code for one the IVR itself ended), in each language."""
    from engine.calls.merge import DERIVED, DISPOSITIONS, RANK
    client, _ = bob_signed_in(world)
    page = client.get("/w/sales.acme/", headers={"Accept-Language": language})
    texts = json.loads(re.search(r'<script type="application/json" id="workbench-text">'
                                 r'(.*?)</script>', page.get_data(as_text=True), re.S).group(1))
    dispositions = set(DISPOSITIONS.values()) | set(DERIVED) | set(RANK)
    assert dispositions <= set(texts["outcomes"])
    assert texts["outcomes"]["completed_in_ivr"] == (
        "completed in the IVR" if language == "en" else "在 IVR 中结束")
