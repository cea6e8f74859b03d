"""Call recording on the real PBX: a skill group that records every call, one that
records none, and an agent who records on demand and pauses while the caller reads out
a card number. The files are checked for what they hold, sample by sample.

Then one call whose two voices are steady tones (audio flows all along, so the file is
as long as the conversation): while it is up its file is on disk but unfinished and
listed nowhere; once it ended the file lasts as long as the call (sox), holds both
tones, plays in Chromium's <audio> element from the recordings page (searched by the
caller's number), downloads for its account only, and is purged once older than the
account's retention period (the purge run at a clock two days ahead); the bill still
counts its minutes as recording storage.

Configured (conftest): Sales (landline 01012345678) and Hotline. This module adds skill
group ``cards`` to Sales with agent erin, and a flow that queues callers to it at once
(no prompt: the conversation starts as soon as erin answers). Erin's SIP phone is SIPp.
"""
from __future__ import annotations

import array
import time
import wave
from datetime import datetime, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.billing.periods import Month
from tests.integration.callcenter import CARRIER, PORT_OFFSET, SPEECH, local, wait_for
from tests.integration.rtp import RtpPeer

SALES, HOTLINE, NUMBER = "sales.acme", "hotline.acme", "01012345678"
ERIN_PHONE = local("127.0.0.51", 5410)
RATE = 8000  # MixMonitor's .wav: 8 kHz, 16-bit, mono
# Inside this run's block of media ports, clear of SIPp's own and of other modules'.
RTP_BASE = 16000 + 4 * PORT_OFFSET + 330
CALLER_RTP, ERIN_RTP = RTP_BASE, RTP_BASE + 10
CALLER_TONE, ERIN_TONE = 500, 900
CARD_TONE = 1400  # what the caller says while the recording is paused
HEARD = 1500.0  # the tones are sent at amplitude 8000
ERIN_TALKS_MS = 8000
OWNER_PASSWORD = "Recorded-Calls-Owner-2026"


@pytest.fixture(scope="module")
def erin(callcenter):
    callcenter.ccc("skillgroup", "create", "--instance", SALES, "--name", "cards")
    agent = callcenter.ccc_json("agent", "create", "--instance", SALES, "--name", "erin",
                                "--skill-group", "cards")
    callcenter.publish_flow(SALES, "cards", {
        "format": 1, "nodes": [{"id": "start", "type": "start"},
                               {"id": "queue", "type": "transfer_skill_group",
                                "skill_group": "cards"}],
        "edges": [{"from": "start", "to": "queue"}]}, bind=NUMBER)
    return agent


def policy(cc, value: str) -> None:
    cc.ccc("skillgroup", "update", "--instance", SALES, "--name", "cards", "--recording", value)


def agent_speaks_after(cc, quiet_ms: int):
    """Erin's phone answers, keeps quiet for ``quiet_ms``, speaks 7 s, waits for the BYE."""
    scenario = cc.output / f"answer-speak-{len(cc.sipps)}.xml"
    text = (Path(__file__).parent / "scenarios" / "answer_speak.xml").read_text()
    scenario.write_text(text.replace("[speech]", str(SPEECH)))
    run = cc.sipp("erin-speaks", str(scenario), ERIN_PHONE, "", "-d", str(quiet_ms))
    time.sleep(0.3)
    return run


def samples(path: Path) -> array.array:
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (RATE, 2, 1)
        found = array.array("h", wav.readframes(wav.getnframes()))
    return found


def loudness(found: array.array, start_s: float, end_s: float) -> float:
    """Mean absolute amplitude of a stretch of the file."""
    part = found[int(start_s * RATE):int(end_s * RATE)]
    return sum(abs(s) for s in part) / max(1, len(part))


def recording_of(cc, caller: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for row in cc.ccc_json("recording", "list", "--instance", SALES):
            if row["caller"] == caller:
                return row
        time.sleep(0.5)
    raise AssertionError(f"no recording of {caller}: "
                         f"{cc.ccc_json('recording', 'list', '--instance', SALES)}")


def saved(cc, row: dict, name: str) -> Path:
    path = cc.output / name
    cc.ccc("recording", "get", "--instance", SALES, "--id", str(row["id"]), "--output", str(path))
    return path


def test_a_group_that_records_all_keeps_both_parties_in_one_file(callcenter, erin):
    """The caller speaks 7 s, then erin speaks 7 s, never both at once: more than 7 s of
    speech in the one file means both directions are in it. The call record says
    recorded; nothing tells where the file is kept.

    SIPp sends no packets while it keeps quiet, and the PBX writes nothing while no
    audio flows either way: the file is the two 7 s stretches (a real phone sends
    audio, silence included, all the time)."""
    cc = callcenter
    policy(cc, "all")
    cc.sign_out_everyone()
    cc.register(erin, ERIN_PHONE)
    phone = agent_speaks_after(cc, 8500)
    caller = "1390013951" + cc.tag
    # The caller's clock starts when the flow answers, erin's when the queue rings her:
    # the last pause leaves her 6 s to be rung on a loaded host before the caller hangs
    # up (she spoke still, and took the BYE for a failure, with 10 s).
    call = cc.ivr_caller(NUMBER, caller, [("pause", 1000), ("speak", None), ("pause", 14000)],
                         name="caller-recorded")
    call.assert_success(timeout=50)
    phone.assert_success(timeout=10)
    row = recording_of(cc, caller)
    record = cc.wait_for_record(lambda r: r["caller"] == caller)
    assert record["recorded"] is True and record["agent"] == erin["extension"]
    assert row["agent"] == erin["extension"] and "path" not in row
    found = samples(saved(cc, row, "all.wav"))
    seconds = len(found) / RATE
    # The PBX writes the frames that flowed: on a loaded host (the whole suite beside
    # this test) a few seconds fewer than the call lasted (10.7 of 14 once), never more.
    # More than 7 s of speech is what says both parties are in it.
    assert 9.5 <= seconds <= 16, seconds
    assert abs(row["seconds"] - seconds) <= 1
    assert speech_seconds(found) >= 9.0, speech_seconds(found)
    # The recorded call's minute is billed as recording storage.
    month = Month.containing(datetime.now(timezone.utc).replace(tzinfo=None)).key
    cc.ccc("billing", "rate", "--month", month)
    lines = cc.ccc_json("billing", "bill", "--account", "acme", "--month", month)["lines"]
    [storage] = [line for line in lines if line["billing_item"] == "RecordStorage"]
    assert storage["usage"] >= 1


def speech_seconds(found: array.array, window_s: float = 0.25) -> float:
    """How long the file is loud, counted in quarter seconds."""
    step = int(window_s * RATE)
    return sum(window_s for start in range(0, len(found), step)
               if loudness(found, start / RATE, (start + step) / RATE) > 150)


def test_a_group_that_records_none_leaves_no_file(callcenter, erin):
    cc = callcenter
    policy(cc, "none")
    cc.sign_out_everyone()
    cc.register(erin, ERIN_PHONE)
    phone = cc.answering_agent(ERIN_PHONE)
    caller = "1390013952" + cc.tag
    call = cc.ivr_caller(NUMBER, caller, [("pause", 1000), ("speak", None)],
                         name="caller-not-recorded")
    cc.wait_logged(erin, "TALKING", timeout=20)
    refused = cc.ccc("call", "record", "start", "--instance", SALES,
                     "--extension", erin["extension"], check=False)
    assert refused.returncode == 1 and "recording is off" in refused.stderr
    call.assert_success(timeout=40)
    phone.assert_success(timeout=10)
    record = cc.wait_for_record(lambda r: r["caller"] == caller)
    time.sleep(3)  # longer than a recording takes to be registered
    assert cc.wait_for_record(lambda r: r["caller"] == caller)["recorded"] is False
    assert all(r["caller"] != caller
               for r in cc.ccc_json("recording", "list", "--instance", SALES))
    from engine.settings import load_settings
    folder = load_settings(cc.env).recordings_dir / "i1"
    assert not (folder / f"{record['id']}.wav").exists()


def test_on_demand_recording_leaves_out_what_was_said_while_paused(callcenter, erin):
    """Erin starts recording, pauses while the caller reads a card number out, then
    resumes; a second start is refused. Both phones send audio all along (RTP peers):
    the caller a 500 Hz tone, then the "card number" (a 1,400 Hz tone) only between
    the pause taking effect and the resume being asked for, then 500 Hz again; erin
    900 Hz throughout. The file holds the caller's and erin's tones and never the
    card number's."""
    cc = callcenter
    policy(cc, "on-demand")
    cc.sign_out_everyone()
    cc.register(erin, ERIN_PHONE)
    # Six command processes take a few seconds each on a loaded host: rather than a
    # phone's timer that may run out first, the test ends the call from the PBX once
    # it is done (both parties wait for the BYE).
    phone = cc.sipp("erin-on-demand", "answer_rtp_wait.xml", ERIN_PHONE, "", "-key",
                    "rtpport", str(ERIN_RTP), "-timeout", "180s")
    caller = "1390013953" + cc.tag
    call = cc.sipp("caller-on-demand", "call_rtp.xml", CARRIER, NUMBER, "-key", "caller",
                   caller, "-key", "rtpport", str(CALLER_RTP), "-timeout", "180s")
    voices = [RtpPeer((CARRIER[0], CALLER_RTP), CALLER_TONE, call.messages),
              RtpPeer((ERIN_PHONE[0], ERIN_RTP), ERIN_TONE, phone.messages)]
    args = ("--instance", SALES, "--extension", erin["extension"])
    try:
        wait_for(lambda: voices[1].hears(CALLER_TONE) > HEARD
                 and voices[0].hears(ERIN_TONE) > HEARD, "erin and the caller hear each other",
                 timeout=30)
        assert cc.ccc_json("call", "record", "show", *args) == {
            "policy": "on-demand", "recording": False, "paused": False}
        cc.ccc("call", "record", "start", *args)
        time.sleep(1.5)   # the caller's and erin's tones recorded first
        assert cc.ccc_json("call", "record", "pause", *args)["paused"] is True
        voices[0].say(CARD_TONE)
        assert cc.ccc_json("call", "record", "show", *args)["paused"] is True
        time.sleep(2.0)
        voices[0].say(CALLER_TONE)
        # The card number's last packets are through the PBX before the resume.
        time.sleep(1.0)
        assert cc.ccc_json("call", "record", "resume", *args)["paused"] is False
        again = cc.ccc("call", "record", "start", *args, check=False)
        assert again.returncode == 1 and "already being recorded" in again.stderr
        time.sleep(1.5)   # recorded again after the resume
        cc.pbx_command("channel request hangup all")  # the only call of this site
        phone.assert_success(timeout=20)
        call.assert_success(timeout=20)
    finally:
        for voice in voices:
            voice.close()
    row = recording_of(cc, caller)
    found = samples(saved(cc, row, "on-demand.wav"))
    # Half-second windows: the tones before the pause and after the resume are there,
    # the card number nowhere.
    windows = [found[i:i + RATE // 2] for i in range(0, len(found) - RATE // 2 + 1, RATE // 4)]
    caller_heard = [tone_level(w, CALLER_TONE) > 1000 for w in windows]
    assert sum(caller_heard) >= 4, caller_heard
    assert max(tone_level(w, ERIN_TONE) for w in windows) > 1000
    card = max(tone_level(w, CARD_TONE) for w in windows)
    assert card < 300, f"the card number was recorded (level {card:.0f})"


def test_another_instance_never_sees_a_recording(callcenter, erin):
    """Hotline's administrators list none of Sales' recordings and get none by id;
    ids that are not numbers are refused by the command line itself."""
    cc = callcenter
    ids = [r["id"] for r in cc.ccc_json("recording", "list", "--instance", SALES)]
    assert ids, "the earlier tests left recordings"
    assert cc.ccc_json("recording", "list", "--instance", HOTLINE) == []
    for recording_id in ids:
        refused = cc.ccc("recording", "get", "--instance", HOTLINE, "--id", str(recording_id),
                         "--output", str(cc.output / "stolen.wav"), check=False)
        assert refused.returncode == 1 and "no such recording" in refused.stderr
        assert str(cc.output) not in refused.stderr
    assert not (cc.output / "stolen.wav").exists()
    for hostile in ("../../etc/passwd", "1;2", "99999999999999999999999", "-1"):
        refused = cc.ccc("recording", "get", "--instance", SALES, "--id", hostile,
                         "--output", str(cc.output / "stolen.wav"), check=False)
        assert refused.returncode != 0
        assert "Traceback" not in refused.stderr
    assert not (cc.output / "stolen.wav").exists()


def sox_seconds(path: Path) -> float:
    import subprocess
    return float(subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True,
                                text=True, check=True).stdout)


def tone_level(found: array.array, frequency: int) -> float:
    """The amplitude of a tone in the middle second of ``found`` (all of it when
    shorter), from one DFT bin."""
    import math
    middle = len(found) // 2
    part = found[max(0, middle - RATE // 2):middle + RATE // 2]
    step = 2 * math.pi * frequency / RATE
    real = sum(s * math.cos(step * n) for n, s in enumerate(part))
    imaginary = sum(s * math.sin(step * n) for n, s in enumerate(part))
    return 2 * math.hypot(real, imaginary) / max(1, len(part))


@pytest.fixture
def web(callcenter):
    """The web admin of this call center (as ccc serve serves it), with acme's owner
    olivia and another account's owner, mallory of globex (an API token each). Made in
    this process, as the other tests' commands would: each command is seconds on a
    loaded host."""
    from dataclasses import replace

    from engine.accounts.models import Role
    from engine.accounts.service import create_account, find_or_create_user, get_account
    from tests.factories import add_token
    from serve import start_web
    from engine.settings import load_settings
    from engine.uow import transaction
    settings = load_settings(callcenter.env)
    with transaction(settings) as db:
        create_account(db, "globex", "payg")
        for account, user in (("acme", "olivia"), ("globex", "mallory")):
            find_or_create_user(db, get_account(db, account), user, Role.OWNER, OWNER_PASSWORD)
        tokens = {user: add_token(db, account, user)
                  for account, user in (("acme", "olivia"), ("globex", "mallory"))}
    server = start_web(replace(settings, web_bind="127.0.0.1", web_port=0))
    try:
        yield f"http://127.0.0.1:{server.server_port}", settings, tokens
    finally:
        server.shutdown()
        server.server_close()


def sales_recordings(settings, **search) -> dict[str, object]:
    """Sales' recordings by call id, as the service lists them (narrowed by ``search``,
    the faces' words)."""
    from engine.instances.service import get_instance
    from engine.recording.service import list_recordings, parse_search
    from engine.uow import transaction
    with transaction(settings) as db:
        sales = get_instance(db, SALES)
        found = parse_search(db, sales, settings.billing_utc_offset_minutes, **search)
        return {r.pbx_call_id: r for r in list_recordings(db, sales, found)}


def signed_in_context(browser, base: str, account: str, user: str):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(base + "/")
    page.get_by_label("Account").fill(account)
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")
    return context, page


def test_a_recorded_call_lasts_plays_downloads_and_is_purged(callcenter, erin, web, browser):
    from datetime import timedelta

    from sqlalchemy import select

    from engine.accounts.service import get_account
    from engine.calls.models import CallRecord, CallRecordAgent
    from engine.db import utcnow
    from engine.instances.service import get_instance
    from engine.recording.retention import purge, set_retention, storage
    from engine.recording.service import whole
    from engine.uow import transaction
    cc = callcenter
    base, settings, tokens = web
    policy(cc, "all")
    cc.sign_out_everyone()
    cc.register(erin, ERIN_PHONE)
    phone = cc.sipp("erin-tone", "answer_rtp.xml", ERIN_PHONE, "", "-key", "rtpport",
                    str(ERIN_RTP), "-d", str(ERIN_TALKS_MS))
    caller = "1390013954" + cc.tag
    call = cc.sipp("caller-tone", "call_rtp.xml", CARRIER, NUMBER, "-key", "caller", caller,
                   "-key", "rtpport", str(CALLER_RTP))
    voices = [RtpPeer((CARRIER[0], CALLER_RTP), CALLER_TONE, call.messages),
              RtpPeer((ERIN_PHONE[0], ERIN_RTP), ERIN_TONE, phone.messages)]
    folder = settings.recordings_dir / "i1"
    try:
        before = set(sales_recordings(settings))
        wait_for(lambda: voices[1].hears(CALLER_TONE) > HEARD
                 and voices[0].hears(ERIN_TONE) > HEARD, "erin and the caller hear each other",
                 timeout=30)
        # While the call is up its file grows on disk, its header unfinished (the PBX
        # writes the sizes when it closes the file): listed nowhere, served to nobody.
        [path] = wait_for(lambda: [p for p in folder.glob("*.wav") if p.stem not in before],
                          "the call's file on disk")
        assert not whole(path)
        assert path.stem not in sales_recordings(settings)
        phone.assert_success(timeout=30)
        call.assert_success(timeout=30)
    finally:
        for voice in voices:
            voice.close()
    row = wait_for(lambda: sales_recordings(settings).get(path.stem),
                   "the recording registered", timeout=20)
    assert row.caller == caller and whole(path)
    # Found by its skill group (its queue visit, from the queue log) and its agent.
    wait_for(lambda: path.stem in sales_recordings(settings, skill_group="cards"),
             "the recording found by its skill group")
    assert path.stem in sales_recordings(settings, agent=erin["extension"], number=caller)
    assert path.stem not in sales_recordings(settings, skill_group="default")
    # The file lasts as long as the conversation: from erin's answer to the call's end.
    with transaction(settings) as db:
        record = db.scalar(select(CallRecord).where(CallRecord.pbx_call_id == path.stem))
        answered = db.scalar(select(CallRecordAgent.answered_at).where(
            CallRecordAgent.call_record_id == record.id))
        talked = (record.ended_at - answered).total_seconds()
    wav_url = f"{base}/instances/1/recordings/{row.id}.wav"

    # The page finds it by a part of the caller's number and plays it in Chromium; its
    # download is the file, which sox measures.
    context, page = signed_in_context(browser, base, "acme", "olivia")
    try:
        page.goto(f"{base}/instances/1/recordings")
        page.get_by_label("Number").fill(caller[-6:])
        page.get_by_role("button", name="Search").click()
        # The search is a new page: counted before it loads, the rows are the old page's
        # or none at all.
        page.wait_for_url(f"**number={caller[-6:]}*")
        rows = page.locator("#recordings tr[data-recording]")
        expect(rows).to_have_count(1)
        assert rows.first.get_attribute("data-recording") == str(row.id)
        duration = rows.first.locator("audio").evaluate("""element => new Promise(
            (resolve, reject) => {
                element.addEventListener('loadedmetadata', () => resolve(element.duration));
                element.addEventListener('error', () => reject(new Error('no audio')));
                element.preload = 'metadata'; element.load(); })""")
        own = context.request.get(wav_url + "?download=1")
        assert own.status == 200
        downloaded = cc.output / "tones.wav"
        downloaded.write_bytes(own.body())
    finally:
        context.close()
    seconds = sox_seconds(downloaded)
    # As long as the talk, less what a loaded host did not write (never longer).
    assert talked - 3 <= seconds <= talked + 1, (seconds, talked)
    assert abs(seconds - ERIN_TALKS_MS / 1000) <= 2.0, seconds
    assert duration > 0 and abs(duration - seconds) <= 0.5, (duration, seconds)
    found = samples(downloaded)
    assert tone_level(found, CALLER_TONE) > 1000 and tone_level(found, ERIN_TONE) > 1000

    # Another account's owner gets neither the page's file nor the API's.
    other, _page = signed_in_context(browser, base, "globex", "mallory")
    api = f"{base}/api/v1/instances/1/recordings/{row.id}/audio"
    try:
        assert other.request.get(wav_url).status == 404
        assert other.request.get(f"{base}/instances/1/recordings").status == 404
        assert other.request.get(api, headers={
            "Authorization": f"Bearer {tokens['mallory']}"}).status == 404
        assert other.request.get(api, headers={
            "Authorization": f"Bearer {tokens['olivia']}"}).status == 200
    finally:
        other.close()

    # Kept a day: the real clock purges nothing; a clock two days ahead purges it, and
    # nothing of it is left but its call's history, which the bill still counts.
    with transaction(settings) as db:
        set_retention(db, get_account(db, "acme"), 1)
    try:
        with transaction(settings) as db:
            sales = get_instance(db, SALES)
            assert purge(db, settings, instance=sales).purged == 0
            done = purge(db, settings, utcnow() + timedelta(days=2), instance=sales)
            assert done.purged >= 1 and done.failed == 0
            assert storage(db, get_account(db, "acme")).recordings == 0
    finally:
        with transaction(settings) as db:
            set_retention(db, get_account(db, "acme"), None)
    assert not path.exists() and path.stem not in sales_recordings(settings)
    gone = browser.new_context()
    try:
        assert gone.request.get(api, headers={
            "Authorization": f"Bearer {tokens['olivia']}"}).status == 404
    finally:
        gone.close()
    month = Month.containing(datetime.now(timezone.utc).replace(tzinfo=None)).key
    cc.ccc("billing", "rate", "--month", month)
    lines = cc.ccc_json("billing", "bill", "--account", "acme", "--month", month)["lines"]
    [line] = [line for line in lines if line["billing_item"] == "RecordStorage"]
    with transaction(settings) as db:
        recorded = {r.pbx_call_id: r.billable_seconds for r in db.scalars(select(CallRecord).where(
            CallRecord.recorded.is_(True), CallRecord.billable_seconds > 0))}
    assert record.pbx_call_id in recorded
    assert line["usage"] == sum((s + 59) // 60 for s in recorded.values())
