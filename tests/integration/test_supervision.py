"""Supervision on the real PBX: a supervisor listens to, whispers to, barges into and
takes over an agent's call from their own SIP phone; who hears whom is measured on the
phones' audio; every act is in the supervision log with its duration; another
instance's supervisor and forged identifiers are refused before anything rings.

Configured (conftest): Sales (agent alice, its administrator) and Hotline (carol). This
module adds agent bob to Sales' default group, and sam, a user with the supervisor role
given Sales by a seat there. Each phone's voice is an RTP peer (tests/integration/rtp.py)
with a tone of its own: the caller 500 Hz, bob 900 Hz, sam 1400 Hz.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import replace

import pytest

from tests.integration.callcenter import CARRIER, PORT_OFFSET, local, wait_for
from tests.integration.conftest import AUDIO_COUNTERS, phone_page
from tests.integration.rtp import RtpPeer

BOB_PHONE = local("127.0.0.51", 5410)
SAM_PHONE = local("127.0.0.52", 5420)
SALES_NUMBER = "01012345678"
# Inside this run's block of media ports, clear of SIPp's own (callcenter.Sipp).
RTP_BASE = 16000 + 4 * PORT_OFFSET + 300
CALLER_RTP, BOB_RTP, SAM_RTP = RTP_BASE, RTP_BASE + 10, RTP_BASE + 20
CALLER_TONE, BOB_TONE, SAM_TONE = 500, 900, 1400
HEARD, UNHEARD = 1500.0, 300.0  # the tones are sent at amplitude 8000
SAM_TALKS_MS = 6000
# The phones of a call stay up while it is supervised three times over: longer than
# SIPp's default limit for a test's run (callcenter.Sipp), on a loaded host too.
LONG_CALL = ("-timeout", "150s")


@pytest.fixture(scope="module")
def team(callcenter):
    cc = callcenter
    bob = cc.ccc_json("agent", "create", "--instance", "sales.acme", "--name", "bob",
                      "--skill-group", "default")
    cc.ccc("user", "create", "--account", "acme", "--name", "sam", "--role", "supervisor",
           "--password", "Coach-The-Line-2026")
    # sam's seat: the phone sam supervises from (never signed in to take queue calls).
    sam = cc.ccc_json("agent", "create", "--instance", "sales.acme", "--name", "sam",
                      "--user", "sam")
    return bob, sam



def log_rows(cc) -> list[dict]:
    return cc.ccc_json("supervise", "log", "--instance", "sales.acme")


@contextmanager
def bob_talks_to_a_caller(cc, team, caller_id: str):
    """bob (READY, SIP phone) answers a queue call; both sides' voices are RTP peers.
    Yields (caller's SIPp, caller's voice, bob's SIPp, bob's voice); both wait for the
    PBX to hang up."""
    bob, sam = team
    cc.sign_out_everyone()
    cc.register(bob, BOB_PHONE)
    cc.register(sam, SAM_PHONE, ready=False)
    bob_phone = cc.sipp("bob-answers", "answer_rtp_wait.xml", BOB_PHONE, "",
                        "-key", "rtpport", str(BOB_RTP), *LONG_CALL)
    time.sleep(0.3)  # let it bind before the call can reach it
    caller = cc.sipp("caller", "call_rtp.xml", CARRIER, SALES_NUMBER, "-key", "caller",
                     caller_id, "-key", "rtpport", str(CALLER_RTP), *LONG_CALL)
    voices = [RtpPeer((CARRIER[0], CALLER_RTP), CALLER_TONE, caller.messages),
              RtpPeer((BOB_PHONE[0], BOB_RTP), BOB_TONE, bob_phone.messages)]
    try:
        cc.wait_logged(bob, "TALKING", timeout=20)
        wait_for(lambda: voices[1].hears(CALLER_TONE) > HEARD
                 and voices[0].hears(BOB_TONE) > HEARD, "bob and the caller hear each other")
        yield caller, voices[0], bob_phone, voices[1]
    finally:
        for voice in voices:
            voice.close()
        # Whatever failed, the next test starts with no call left on this run's PBX.
        cc.kill_sipps()
        pbx_command(cc, "channel request hangup all")


def pbx_command(cc, command: str) -> str:
    from concurrent.futures import ThreadPoolExecutor

    from engine.ami.client import ami_command
    from engine.settings import load_settings
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(ami_command, load_settings(cc.env), command).result(15)


def supervise(cc, mode: str, bob: dict, sam: dict, *more: str):
    return cc.ccc("supervise", mode, "--instance", "sales.acme", "--extension",
                  bob["extension"], "--supervisor", sam["extension"], *more, check=False)


def test_listen_whisper_and_barge_reach_exactly_who_they_should(callcenter, team):
    """One call; sam listens, then whispers, then barges in, each time from his SIP phone
    for 6 s. Listening, sam hears both sides and nobody hears him; whispering, only bob
    hears him; barging, both do. Each act is logged with how long sam was on."""
    cc = callcenter
    bob, sam = team
    before = len(log_rows(cc))
    with bob_talks_to_a_caller(cc, team, "1380013930" + cc.tag) as (caller, caller_voice,
                                                                    bob_phone, bob_voice):
        for mode in ("listen", "whisper", "barge"):
            sam_phone = cc.sipp(f"sam-{mode}", "answer_rtp.xml", SAM_PHONE, "",
                                "-key", "rtpport", str(SAM_RTP), "-d", str(SAM_TALKS_MS))
            time.sleep(0.3)
            sam_voice = RtpPeer((SAM_PHONE[0], SAM_RTP), SAM_TONE, sam_phone.messages)
            try:
                done = supervise(cc, mode, bob, sam)
                assert done.returncode == 0, done.stderr
                assert f"to {mode} on agent {bob['extension']}'s call" in done.stdout
                # sam hears the call in every mode: the caller and bob.
                wait_for(lambda voice=sam_voice: voice.hears(CALLER_TONE) > HEARD
                         and voice.hears(BOB_TONE) > HEARD, f"{mode}: sam hears the call")
                if mode == "listen":
                    time.sleep(1.5)  # sam's voice has had time to reach anyone it would
                elif mode == "whisper":
                    wait_for(lambda: bob_voice.hears(SAM_TONE) > HEARD, "bob hears the coach")
                else:
                    wait_for(lambda: bob_voice.hears(SAM_TONE) > HEARD
                             and caller_voice.hears(SAM_TONE) > HEARD, "both hear sam")
                heard = {"bob": bob_voice.hears(SAM_TONE, 1.5),
                         "caller": caller_voice.hears(SAM_TONE, 1.5)}
                if mode == "listen":
                    assert heard["bob"] < UNHEARD and heard["caller"] < UNHEARD, heard
                elif mode == "whisper":
                    assert heard["caller"] < UNHEARD, heard
                # bob and the caller still hear each other.
                assert bob_voice.hears(CALLER_TONE) > HEARD
                assert caller_voice.hears(BOB_TONE) > HEARD
                sam_phone.assert_success(timeout=30)  # sam hung up after 6 s
            finally:
                sam_voice.close()
        wait_for(lambda: all(r["ended_at"] for r in log_rows(cc)[:3]), "the acts ended")
        assert cc.agent_state(bob)["state"] == "TALKING"  # the call went on throughout
        found_gone = listen_while_serve_is_down(cc, bob, sam)
        cc.ccc("call", "hangup", "--instance", "sales.acme", "--extension", bob["extension"])
        bob_phone.assert_success(timeout=15)
        caller.assert_success(timeout=15)
    rows = log_rows(cc)
    assert len(rows) == before + 4
    assert rows[0] == found_gone
    newest = rows[1:4]
    assert [r["mode"] for r in newest] == ["barge", "whisper", "listen"]
    for row in newest:
        assert (row["agent"], row["supervisor"], row["user"]) == (
            bob["extension"], sam["extension"], None)  # the operator, from `ccc`
        assert row["call_id"] and row["call_id"] == newest[0]["call_id"]  # the same call
        # sam's phone was up for 6 s; the PBX reports its answer and its end.
        assert 4 <= row["duration_seconds"] <= 12, row


def listen_while_serve_is_down(cc, bob: dict, sam: dict) -> dict:
    """sam listens once more; ``ccc serve`` stops while he is on, so his leg's hang-up
    is reported to nobody. Started again, it finds the leg gone and ends the row then,
    flagged so. Returns the row."""
    sam_phone = cc.sipp("sam-unseen", "answer.xml", SAM_PHONE, "")
    time.sleep(0.3)
    done = supervise(cc, "listen", bob, sam)
    assert done.returncode == 0, done.stderr
    wait_for(lambda: log_rows(cc)[0]["started_at"], "sam's leg reported its answer")
    cc.stop_serve()
    try:
        legs = [line.split("!")[0] for line in pbx_command(
            cc, "core show channels concise").splitlines()
            if line.startswith(f"PJSIP/{sam['sip_username']}-")]
        assert len(legs) == 1, legs
        pbx_command(cc, f"channel request hangup {legs[0]}")
        sam_phone.assert_success(timeout=15)
        assert log_rows(cc)[0]["ended_at"] is None  # nobody heard the hang-up
    finally:
        cc.start_serve()
    wait_for(lambda: log_rows(cc)[0]["ended_at"], "the row ended once the leg is found gone",
             timeout=30)
    row = log_rows(cc)[0]
    assert row["end_found"] is True and row["mode"] == "listen"
    return row


def test_take_over_hands_the_caller_to_the_supervisor(callcenter, team):
    cc = callcenter
    bob, sam = team
    with bob_talks_to_a_caller(cc, team, "1380013931" + cc.tag) as (caller, caller_voice,
                                                                    bob_phone, _bob_voice):
        sam_phone = cc.sipp("sam-takes-over", "answer_rtp_wait.xml", SAM_PHONE, "",
                            "-key", "rtpport", str(SAM_RTP), *LONG_CALL)
        time.sleep(0.3)
        sam_voice = RtpPeer((SAM_PHONE[0], SAM_RTP), SAM_TONE, sam_phone.messages)
        try:
            done = supervise(cc, "takeover", bob, sam)
            assert done.returncode == 0, done.stderr
            bob_phone.assert_success(timeout=15)  # bob's leg ended: he is out of the call
            wait_for(lambda: sam_voice.hears(CALLER_TONE) > HEARD
                     and caller_voice.hears(SAM_TONE) > HEARD, "sam and the caller talk")
            [invite] = sam_phone.requests("INVITE")
            assert "1380013931" + cc.tag in invite  # sam sees who is calling
            cc.ccc("call", "hangup", "--instance", "sales.acme", "--extension",
                   sam["extension"])
            sam_phone.assert_success(timeout=15)
            caller.assert_success(timeout=15)
        finally:
            sam_voice.close()
    row = log_rows(cc)[0]
    assert (row["mode"], row["agent"], row["supervisor"]) == (
        "takeover", bob["extension"], sam["extension"])
    assert row["duration_seconds"] == 0 and row["call_id"]


def test_another_instance_and_forged_identifiers_are_refused(callcenter, team):
    """Through the REST API: sam (Sales' supervisor) asks for Hotline's calls and log, and
    carol (Hotline's administrator) for Sales': 404. Forged agents and seats: 404, a bad
    mode or device: 422. From the CLI: one line, exit 1. Nothing rings, nothing is logged."""
    from tests.factories import add_token
    from serve import start_web
    from engine.settings import load_settings
    from engine.uow import transaction

    cc = callcenter
    bob, sam = team
    settings = load_settings(cc.env)
    with transaction(settings) as session:
        tokens = {name: add_token(session, "acme", name) for name in ("sam", "carol")}
    sales, hotline = cc.instances["sales"]["id"], cc.instances["hotline"]["id"]
    server = start_web(replace(settings, web_bind="127.0.0.1", web_port=0))

    def call(user: str, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/api/v1{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {tokens[user]}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    act = {"agent": bob["extension"], "supervisor": sam["extension"]}
    try:
        status, before = call("sam", "GET", f"/instances/{sales}/supervision/log")
        assert status == 200 and before == log_rows(cc)  # the API's and the CLI's, alike
        for user, method, path, body, expected in (
                ("sam", "GET", f"/instances/{hotline}/supervision/log", None, 404),
                ("sam", "GET", f"/instances/{hotline}/supervision/calls", None, 404),
                ("sam", "POST", f"/instances/{hotline}/supervision/listen", act, 404),
                ("carol", "POST", f"/instances/{sales}/supervision/listen", act, 404),
                ("carol", "GET", f"/instances/{sales}/supervision/log", None, 404),
                ("sam", "POST", f"/instances/{sales}/supervision/whisper",
                 {**act, "agent": "1002&PJSIP/i2-1001"}, 404),
                ("sam", "POST", f"/instances/{sales}/supervision/barge",
                 {**act, "supervisor": "i1-1001-web"}, 404),
                ("sam", "POST", f"/instances/{sales}/supervision/listen",
                 {**act, "device": "PJSIP/x"}, 422),
                ("sam", "POST", f"/instances/{sales}/supervision/listen",
                 {**act, "agent": ["1002"]}, 422),
                # sam supervises from his own seat, not from alice's.
                ("sam", "POST", f"/instances/{sales}/supervision/listen",
                 {**act, "supervisor": "1001"}, 403)):
            status, answer = call(user, method, path, body)
            assert status == expected and "error" in answer, (user, path, body, status, answer)
        for args in (("--instance", "hotline.acme", "--extension", bob["extension"]),
                     ("--instance", "sales.acme", "--extension", "1002,PJSIP/i2-1001")):
            refused = cc.ccc("supervise", "listen", *args, "--supervisor", sam["extension"],
                             check=False)
            assert refused.returncode == 1 and "no such agent" in refused.stderr, refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1
        assert call("sam", "GET", f"/instances/{sales}/supervision/log") == (200, before)
    finally:
        server.shutdown()
        server.server_close()


WORKBENCH_PASSWORD = "Headset-On-Desk-2026"


def test_a_supervisor_picks_a_call_in_the_page_and_listens_on_the_workbench_phone(
        callcenter, team, phone_browser):
    """sam has the workbench open (its phone registered) and the Supervision page beside
    it. The page lists bob's live call; sam chooses his page's phone and Listen; the
    workbench rings, sam answers there and hears the call (the browser's own audio
    counters grow); he hangs up, and the page's log shows the act with its duration."""
    if callcenter.tag == "2":
        pytest.skip("the path is the PBX's and Chromium's; one database is enough for it")
    import re

    from playwright.sync_api import expect

    from serve import start_web
    from engine.settings import load_settings

    cc = callcenter
    bob, sam = team
    cc.ccc("agent", "password", "--instance", "sales.acme", "--extension", sam["extension"],
           "--password", WORKBENCH_PASSWORD)
    settings = load_settings(cc.env)
    server = start_web(replace(settings, web_bind="127.0.0.1"))
    base = f"http://127.0.0.1:{server.server_port}"
    workbench, phone, phone_errors = phone_page(phone_browser, 20_000)
    admin, page, page_errors = phone_page(phone_browser, 20_000)
    try:
        phone.goto(f"{base}/w/sales.acme/signin")
        phone.get_by_label("Extension").fill(sam["extension"])
        phone.get_by_label("Password").fill(WORKBENCH_PASSWORD)
        phone.get_by_role("button", name="Sign in").click()
        expect(phone.locator("#phone")).to_have_attribute("data-state", "registered")
        page.goto(base + "/sign-in")
        page.get_by_label("Account").fill("acme")
        page.get_by_label("User").fill("sam")
        page.get_by_label("Password").fill("Coach-The-Line-2026")
        page.get_by_role("button", name="Sign in").click()
        with bob_talks_to_a_caller(cc, team, "1380013932" + cc.tag) as (caller, _cv,
                                                                        bob_phone, _bv):
            page.goto(f"{base}/instances/{cc.instances['sales']['id']}/supervision")
            row = page.locator(f'tr[data-agent="{bob["extension"]}"]')
            expect(row).to_contain_text("1380013932" + cc.tag)  # the caller, live
            page.select_option("#supervisor", sam["extension"])
            page.select_option("#device", "web")
            row.get_by_role("button", name="Listen").click()
            expect(page.locator(".flashes")).to_contain_text("Your phone rings")
            panel = phone.locator("#phone")
            expect(panel.locator(".phone-incoming")).to_be_visible()
            panel.get_by_role("button", name="Answer").click()
            expect(panel).to_have_attribute("data-state", "talking")
            first = None
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                figures = phone.evaluate(AUDIO_COUNTERS)
                first = first or figures
                if figures and first and figures["packets"] > first["packets"] + 50 \
                        and figures["energy"] > first["energy"]:
                    break
                time.sleep(0.3)
            else:
                raise AssertionError(f"no call audio reached sam's page: {first}")
            panel.get_by_role("button", name="Hang up").click()
            expect(panel).not_to_have_attribute("data-state", "talking")
            wait_for(lambda: log_rows(cc)[0]["ended_at"], "the act ended")
            assert cc.agent_state(bob)["state"] == "TALKING"  # bob's call went on
            cc.ccc("call", "hangup", "--instance", "sales.acme", "--extension",
                   bob["extension"])
            bob_phone.assert_success(timeout=15)
            caller.assert_success(timeout=15)
        page.reload()
        first_row = page.locator("section.card table tr").nth(1)
        expect(first_row).to_contain_text("sam")
        expect(first_row).to_contain_text("listen")
        expect(first_row).to_contain_text(re.compile(r"\d+ s"))
        assert log_rows(cc)[0]["mode"] == "listen" and log_rows(cc)[0]["user"] == "sam"
    finally:
        workbench.close()
        admin.close()
        server.shutdown()
        server.server_close()
    assert phone_errors == [] and page_errors == [], (phone_errors, page_errors)
