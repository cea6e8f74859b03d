"""The FastAGI adapter against a fake Asterisk: recorded transcripts of whole sessions.

The fake speaks Asterisk's side of FastAGI over a socket pair: it sends the AGI
headers, then answers each command the adapter sends with the reply Asterisk 22 gives,
and fails the test on any command that differs from the transcript. Flows, agents and
skill groups are real rows in a migrated database (SQLite and PostgreSQL).
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
import threading
import time
import wave
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import event, func, select

from engine.agents.service import create_agent
from engine.agi.actions import decode_variables, encode_variables
from engine.agi.channel import parse_reply, quote
from engine.agi.server import build_application, listen
from engine.calls.models import SurveyScore, Voicemail
from engine.db import get_engine
from engine.instances.service import get_instance
from engine.ivr.models import FlowState, IvrFlow, IvrFlowVersion
from engine.ivr.interpreter import FlowError
from engine.numbers.models import Number
from engine.reports.models import IvrSession
from engine.skillgroups.service import create_skill_group
from engine.uow import transaction
from tests.factories import add_account, add_instance

NUMBER = "01012345678"
LINKEDID = "1764130000.42"
KEYS = re.escape('"0123456789*#"')


# ---- a fake Asterisk ------------------------------------------------------------------

def headers(route: str, caller: str = "13800138000", uniqueid: str = "1764130000.43") -> bytes:
    lines = {"agi_network": "yes", "agi_network_script": route, "agi_channel": "PJSIP/x-1",
             "agi_uniqueid": uniqueid, "agi_callerid": caller,
             "agi_extension": NUMBER, "agi_context": "ccc-i1-inbound"}
    return "".join(f"{k}: {v}\n" for k, v in lines.items()).encode() + b"\n"


async def converse(settings, route: str, script: list[tuple[str, str]],
                   on_command=None, app=None, **channel: str) -> list[str]:
    """Run one session; ``script`` is (command regex, Asterisk's reply) in order."""
    app = build_application(settings) if app is None else app  # a dict: empty is falsy
    ours, theirs = socket.socketpair()
    await asyncio.get_running_loop().connect_accepted_socket(app.connection, ours)
    reader, writer = await asyncio.open_connection(sock=theirs)
    writer.write(headers(route, **channel))
    transcript = []
    for expected, reply in script:
        line = (await asyncio.wait_for(reader.readline(), 10)).decode()
        assert line.endswith("\n")
        transcript.append(line[:-1])
        assert re.fullmatch(expected, line[:-1]), f"expected {expected!r}, got {transcript}"
        if on_command:
            on_command(line[:-1])
        writer.write(reply.encode() + b"\n")
    extra = await asyncio.wait_for(reader.read(), 10)  # the adapter closes: no more commands
    assert extra == b"", f"commands after the transcript: {extra!r}"
    if app.sessions:
        await asyncio.wait(set(app.sessions))
    writer.close()
    return transcript


def talk(settings, route, script, on_command=None) -> list[str]:
    return asyncio.run(converse(settings, route, script, on_command))


def sets(name: str, value: str) -> tuple[str, str]:
    return (re.escape(f"SET VARIABLE {name} {quote(value)}"), "200 result=1")


# ---- data -------------------------------------------------------------------------------

def publish(session, instance, name: str, document: dict, bind: bool = False) -> int:
    """A published version of flow ``name`` (created on first use); its version id."""
    flow = session.scalar(select(IvrFlow).where(IvrFlow.instance_id == instance.id,
                                                IvrFlow.name == name))
    if flow is None:
        flow = IvrFlow(instance_id=instance.id, name=name)
        session.add(flow)
        session.flush()
    number = len(session.scalars(select(IvrFlowVersion)
                                 .where(IvrFlowVersion.flow_id == flow.id)).all()) + 1
    version = IvrFlowVersion(flow_id=flow.id, version=number, state=FlowState.PUBLISHED,
                             definition=json.dumps(document))
    session.add(version)
    session.flush()
    if bind:
        session.scalar(select(Number).where(Number.digits == NUMBER)).inbound_flow_id = flow.id
    return version.id


def document(*nodes: dict, edges: list[tuple] = ()) -> dict:
    first = [{"from": "start", "to": nodes[0]["id"]}]
    return {"format": 1, "nodes": [{"id": "start", "type": "start"}, *nodes],
            "edges": first + [{"from": e[0], "to": e[1], **({"when": e[2]} if len(e) > 2 else {})}
                              for e in edges]}


MENU = document(
    {"id": "menu", "type": "menu", "prompt": "main-menu", "timeout": 4, "retries": 0},
    {"id": "to_a", "type": "transfer_skill_group", "skill_group": "A"},
    {"id": "to_b", "type": "transfer_skill_group", "skill_group": "B", "timeout": 20},
    {"id": "survey", "type": "survey", "text": "Rate us", "timeout": 5},
    {"id": "bye", "type": "hangup", "reason": "no key"},
    edges=[("menu", "to_a", "1"), ("menu", "to_b", "2"), ("menu", "bye", "timeout"),
           ("to_a", "survey", "after"), ("to_b", "bye", "overflow")])


@pytest.fixture
def center(settings):
    """Instance Sales (i1) with skill groups A and B, agent bob (1002) in A."""
    with transaction(settings) as session:
        add_account(session)
        instance = add_instance(session).instance
        a = create_skill_group(session, instance, "A")
        b = create_skill_group(session, instance, "B")
        create_agent(session, instance, "bob", "1002", {"A": 1})
        queues = {"A": a.queue_name, "B": b.queue_name}
        version = publish(session, instance, "main", MENU, bind=True)
    return {"queues": queues, "version": version}


def sounds(settings) -> str:
    return re.escape(str(settings.site_dir_in_pbx / "sounds"))


# ---- the transcripts --------------------------------------------------------------------

def test_menu_key_queues_the_call_and_leaves_what_a_resume_needs(settings, center):
    transcript = talk(settings, "inbound", [
        (f"STREAM FILE {sounds(settings)}/i1/main-menu {KEYS}", "200 result=49 endpos=8000"),
        sets("CCC_QUEUE", center["queues"]["A"]),
        sets("CCC_QUEUE_TIMEOUT", "300"),  # the skill group's own wait timeout
        sets("CCC_FLOW_VERSION", str(center["version"])),
        sets("CCC_FLOW_VARS", "{}"),
        sets("CCC_ON_FAILED", ""),
        sets("CCC_ON_AFTER", "survey"),
        sets("CCC_IVR_PATH", "start/menu:1/to_a"),  # what the agent's pop-up shows
        sets("CCC_ACTION", "queue"),
    ])
    assert transcript[-1] == 'SET VARIABLE CCC_ACTION "queue"'  # the decision comes last


def test_runs_ending_together_are_tracked_in_one_insert_before_a_stop(settings, center):
    """Each run's IVR tracking row is written after its session, the runs that end
    within a moment of each other in one transaction; a stopping server writes them."""
    key_one = [
        (f"STREAM FILE {sounds(settings)}/i1/main-menu {KEYS}", "200 result=49 endpos=8000"),
        *[(rf"SET VARIABLE {name} .*", "200 result=1") for name in (
            "CCC_QUEUE", "CCC_QUEUE_TIMEOUT", "CCC_FLOW_VERSION", "CCC_FLOW_VARS",
            "CCC_ON_FAILED", "CCC_ON_AFTER", "CCC_IVR_PATH", "CCC_ACTION")]]
    no_key = [(f"STREAM FILE {sounds(settings)}/i1/main-menu {KEYS}", "200 result=0"),
              ("WAIT FOR DIGIT 4000", "200 result=0"),
              sets("CCC_ACTION", "hangup")]
    inserts = []

    def seen(_conn, _cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO IVR_SESSION"):
            inserts.append(statement)

    async def calls():
        app = build_application(settings)
        await asyncio.gather(converse(settings, "inbound", key_one, app=app),
                             converse(settings, "inbound", no_key, app=app,
                                      caller="13900139000", uniqueid="1764130000.44"))
        with transaction(settings) as session:  # not yet: the session did not wait on it
            assert session.scalar(select(func.count()).select_from(IvrSession)) == 0
        assert await app.drain(1.0) == 0
    engine = get_engine(settings.database_url)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        asyncio.run(calls())
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(inserts) == 1
    with transaction(settings) as session:
        runs = {run.pbx_call_id: run for run in session.scalars(select(IvrSession))}
    assert {call: (run.trail, run.outcome, run.flow_version_id, run.number)
            for call, run in runs.items()} == {
        "1764130000.43": ("start/menu:1/to_a", "queue", center["version"], NUMBER),
        "1764130000.44": ("start/menu/bye", "completed", center["version"], NUMBER)}
    assert runs["1764130000.43"].flow_id is not None


def test_a_stopping_server_waits_for_a_session_it_accepted_before_its_first_step(settings,
                                                                                 center):
    """A connection accepted just before the server stops listening has a session task
    that has not run yet when the stop begins: its caller still hears the flow to its
    end (the server's drain waits for it), instead of the session being cancelled."""
    heard: list[str] = []

    def asterisk(conversation: socket.socket) -> None:
        with conversation, conversation.makefile("rb") as commands:
            conversation.sendall(headers("inbound"))
            for line in commands:
                heard.append(line.decode().rstrip("\n"))
                if line.startswith(b"STREAM FILE"):
                    time.sleep(0.3)  # the prompt plays; the caller presses 1
                    conversation.sendall(b"200 result=49 endpos=8000\n")
                else:
                    conversation.sendall(b"200 result=1\n")

    async def stop_after_an_accept():
        app = build_application(settings)
        server = await listen(app, 0)
        # The PBX connects (the kernel completes it at once) ...
        conversation = socket.create_connection(server.sockets[0].getsockname())
        pbx = threading.Thread(target=asterisk, args=(conversation,))
        pbx.start()
        # ... the server accepts it and creates its session's task; before that task's
        # first step, the server is told to stop.
        while not any(task.get_coro().__qualname__ == "AgiApplication._serve"
                      for task in asyncio.all_tasks()):
            await asyncio.sleep(0)
        server.close()
        left = await app.drain(10.0)
        assert heard[-1:] == ['SET VARIABLE CCC_ACTION "queue"'], heard
        pbx.join(5)
        return left
    assert asyncio.run(stop_after_an_accept()) == 0


def test_a_stopping_server_serves_headers_already_sent_when_the_stop_begins(settings,
                                                                           center):
    """A connection accepted, its headers already in the socket but not yet read when the
    stop begins: no session task exists yet. The drain's first turns of the loop read
    them, and the session runs to its end instead of dying with the process."""
    heard: list[str] = []

    def asterisk(conversation: socket.socket) -> None:
        with conversation, conversation.makefile("rb") as commands:
            for line in commands:
                heard.append(line.decode().rstrip("\n"))
                reply = b"200 result=49 endpos=8000\n" if line.startswith(b"STREAM FILE") \
                    else b"200 result=1\n"
                conversation.sendall(reply)

    async def stop_with_headers_unread():
        app = build_application(settings)
        made = []
        factory = app.connection
        app.connection = lambda: made.append(factory()) or made[-1]
        server = await listen(app, 0)
        conversation = socket.create_connection(server.sockets[0].getsockname())
        while not (made and getattr(made[0], "transport", None)):
            await asyncio.sleep(0)  # accepted: the channel has its transport
        # The headers reach the server's socket; the loop has not had a turn to read
        # them when the server is told to stop.
        conversation.sendall(headers("inbound"))
        server.close()
        assert not app.sessions
        pbx = threading.Thread(target=asterisk, args=(conversation,))
        pbx.start()
        left = await app.drain(10.0)
        pbx.join(5)
        return left
    assert asyncio.run(stop_with_headers_unread()) == 0
    assert heard[-1:] == ['SET VARIABLE CCC_ACTION "queue"'], heard


def test_no_key_waits_for_a_digit_then_takes_the_timeout_branch(settings, center):
    talk(settings, "inbound", [
        (f"STREAM FILE {sounds(settings)}/i1/main-menu {KEYS}", "200 result=0 endpos=16000"),
        ("WAIT FOR DIGIT 4000", "200 result=0"),
        sets("CCC_ACTION", "hangup"),
    ])


def test_key_two_queues_with_the_node_timeout_and_its_overflow(settings, center):
    talk(settings, "inbound", [
        (f"STREAM FILE {sounds(settings)}/i1/main-menu {KEYS}", "200 result=0 endpos=16000"),
        ("WAIT FOR DIGIT 4000", "200 result=50"),
        sets("CCC_QUEUE", center["queues"]["B"]),
        sets("CCC_QUEUE_TIMEOUT", "20"),
        sets("CCC_FLOW_VERSION", str(center["version"])),
        sets("CCC_FLOW_VARS", "{}"),
        sets("CCC_ON_FAILED", "bye"),
        sets("CCC_ON_AFTER", ""),
        (r'SET VARIABLE CCC_IVR_PATH "[A-Za-z0-9_/:*#-]+"', "200 result=1"),
        sets("CCC_ACTION", "queue"),
    ])


def test_resume_runs_the_version_the_call_started_with_and_saves_the_survey(settings, center):
    """v2 (no survey) is published while the call talks; it resumes on v1 and scores."""
    with transaction(settings) as session:
        publish(session, get_instance(session, "sales.acme"), "main",
                document({"id": "bye", "type": "hangup", "reason": "v2"}))
    from engine.audio import tts
    spoken = tts.spoken_prompt(settings, "Rate us")  # what the adapter will ask to play
    talk(settings, "resume", [
        ("GET VARIABLE CCC_FLOW_VERSION", f"200 result=1 ({center['version']})"),
        ("GET VARIABLE CCC_RESUME_AT", "200 result=1 (survey)"),
        ("GET VARIABLE CCC_FLOW_VARS", '200 result=1 ({"note":"a (b) c"})'),
        (re.escape("GET FULL VARIABLE ${CHANNEL(accountcode)}"), "200 result=1 (i1)"),
        (f"STREAM FILE {sounds(settings)}/{re.escape(spoken)} {KEYS}", "200 result=52 endpos=0"),
        (re.escape("GET FULL VARIABLE ${CHANNEL(linkedid)}"), f"200 result=1 ({LINKEDID})"),
        sets("CCC_ACTION", "hangup"),
    ])
    with transaction(settings) as session:
        score = session.scalar(select(SurveyScore))
        assert (score.pbx_call_id, score.score) == (LINKEDID, 4)


def test_resume_with_a_bad_node_id_hands_the_call_to_the_fallback(settings, center):
    transcript = talk(settings, "resume", [
        ("GET VARIABLE CCC_FLOW_VERSION", f"200 result=1 ({center['version']})"),
        ("GET VARIABLE CCC_RESUME_AT", "200 result=1 (survey;x)"),
    ])
    assert not any("CCC_ACTION" in line for line in transcript)


def test_resume_refuses_a_version_of_another_instance(settings, center):
    transcript = talk(settings, "resume", [
        ("GET VARIABLE CCC_FLOW_VERSION", f"200 result=1 ({center['version']})"),
        ("GET VARIABLE CCC_RESUME_AT", "200 result=1 (survey)"),
        ("GET VARIABLE CCC_FLOW_VARS", "200 result=0"),
        (re.escape("GET FULL VARIABLE ${CHANNEL(accountcode)}"), "200 result=1 (i2)"),
    ])
    assert not any("CCC_ACTION" in line for line in transcript)


def test_voicemail_is_stored_when_the_caller_hangs_up_while_speaking(settings, center):
    with transaction(settings) as session:
        publish(session, get_instance(session, "sales.acme"), "main", document(
            {"id": "vm", "type": "voicemail", "prompt": "unavailable", "max_seconds": 30}))
    folder = settings.site_dir / "voicemail" / "i1"

    def asterisk_records(command: str) -> None:
        if command.startswith("RECORD FILE"):  # what Asterisk writes: 8 kHz mono, 2 s
            path = command.split()[2].replace(str(settings.site_dir_in_pbx),
                                              str(settings.site_dir))
            with wave.open(path + ".wav", "wb") as out:
                out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
                out.writeframes(b"\0\0" * 16000)
    talk(settings, "inbound", [
        (f"STREAM FILE {sounds(settings)}/unavailable \"\"", "200 result=0 endpos=9000"),
        (re.escape("GET FULL VARIABLE ${CHANNEL(linkedid)}"), f"200 result=1 ({LINKEDID})"),
        (re.escape(f"RECORD FILE {settings.site_dir_in_pbx}/voicemail/i1/{LINKEDID}-")
         + r"\d+ wav \"#\" 30000", "200 result=-1 (hangup) endpos=16000"),
        ("SET VARIABLE CCC_ACTION .*", "HANGUP\n511 Command Not Permitted on a dead "
         "channel or intercept routine"),
    ], on_command=asterisk_records)
    with transaction(settings) as session:
        message = session.scalar(select(Voicemail))
        assert message.pbx_call_id == LINKEDID and message.seconds == 2
        assert message.path.startswith(str(folder)) and message.path.endswith(".wav")


class _Answers(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers["Content-Length"])
        _Answers.received.append(json.loads(self.rfile.read(length)))
        body = json.dumps({"tier": 'gold "vip"\nline'}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_collected_digits_go_to_http_and_the_answer_picks_the_agent(settings, center):
    server = HTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/lookup"
    with transaction(settings) as session:
        publish(session, get_instance(session, "sales.acme"), "main", document(
            {"id": "account", "type": "collect", "prompt": "welcome", "variable": "account",
             "max_digits": 4, "terminator": "#", "timeout": 3},
            {"id": "ask", "type": "http", "url": url, "timeout": 2, "set": {"tier": "tier"}},
            {"id": "vip", "type": "condition", "variable": "tier", "operator": "starts_with",
             "value": "gold"},
            {"id": "bob", "type": "transfer_agent", "agent": "1002", "timeout": 15},
            {"id": "bye", "type": "hangup"},
            edges=[("account", "ask"), ("ask", "vip", "ok"), ("ask", "bye", "error"),
                   ("vip", "bob", "true"), ("vip", "bye", "false")]))
    kept = []

    def keep_variables(command: str) -> None:
        if command.startswith("SET VARIABLE CCC_FLOW_VARS "):
            kept.append(decode_variables(asterisk_parse_args(command)[3]))
    # The lookup server is on loopback: the operator lets flows call it.
    allowed = replace(settings, ivr_http_allow=(ipaddress.ip_network("127.0.0.1/32"),))
    try:
        talk(allowed, "inbound", [
            (f"STREAM FILE {sounds(settings)}/welcome {KEYS}", "200 result=52 endpos=100"),
            ("WAIT FOR DIGIT 3000", "200 result=50"),
            ("WAIT FOR DIGIT 3000", "200 result=35"),
            sets("CCC_DIAL_AGENT", "i1-1002"),
            sets("CCC_DIAL_TIMEOUT", "15"),
            (r"SET VARIABLE CCC_FLOW_VERSION \"\d+\"", "200 result=1"),
            ("SET VARIABLE CCC_FLOW_VARS .*", "200 result=1"),
            sets("CCC_ON_FAILED", ""),
            sets("CCC_ON_AFTER", ""),
            (r'SET VARIABLE CCC_IVR_PATH "[A-Za-z0-9_/:*#-]+"', "200 result=1"),
            sets("CCC_ACTION", "agent"),
        ], on_command=keep_variables)
    finally:
        server.shutdown()
    # The response's value survives the trip through the channel, quotes and all.
    assert kept[0]["account"] == "42" and kept[0]["tier"].startswith('gold "vip"')
    posted = _Answers.received[-1]
    assert posted["variables"] == {"account": "42"} and posted["caller"] == "13800138000"


def test_an_unknown_skill_group_leaves_no_decision(settings, center):
    with transaction(settings) as session:
        publish(session, get_instance(session, "sales.acme"), "main", document(
            {"id": "q", "type": "transfer_skill_group", "skill_group": "nobody"}))
    transcript = talk(settings, "inbound", [])
    assert transcript == []  # no CCC_ACTION: the dialplan's fallback queue takes the call


# ---- dedicated agents: every queue handoff rings the customer's READY agent first --------

def dedicate(settings, state: str = "READY") -> None:
    """dave (1003) is the dedicated agent of the default caller, 13800138000."""
    from datetime import datetime

    from engine.agents.dedicated import tie
    from engine.agentstate.models import AgentStateChange
    with transaction(settings) as session:
        instance = get_instance(session, "sales.acme")
        dave = create_agent(session, instance, "dave", "1003", {"A": 1})
        tie(session, instance, "13800138000", dave.id)
        session.add(AgentStateChange(agent_id=dave.id, instance_id=instance.id, state=state,
                                     queues="i1-q2", interface="PJSIP/i1-1003",
                                     at=datetime(2026, 3, 2, 9)))


def test_a_queue_handoff_names_the_ready_dedicated_agents_device(settings, center):
    dedicate(settings)
    talk(settings, "inbound", [
        (f"STREAM FILE {sounds(settings)}/i1/main-menu {KEYS}", "200 result=49 endpos=8000"),
        sets("CCC_QUEUE", center["queues"]["A"]),
        sets("CCC_QUEUE_TIMEOUT", "300"),
        sets("CCC_DEDICATED_AGENT", "PJSIP/i1-1003"),
        sets("CCC_FLOW_VERSION", str(center["version"])),
        sets("CCC_FLOW_VARS", "{}"),
        sets("CCC_ON_FAILED", ""),
        sets("CCC_ON_AFTER", "survey"),
        sets("CCC_IVR_PATH", "start/menu:1/to_a"),
        sets("CCC_ACTION", "queue"),
    ])


def test_a_dedicated_agent_on_a_break_is_not_named(settings, center):
    dedicate(settings, "BREAK")
    talk(settings, "inbound", [
        (f"STREAM FILE {sounds(settings)}/i1/main-menu {KEYS}", "200 result=49 endpos=8000"),
        sets("CCC_QUEUE", center["queues"]["A"]),
        sets("CCC_QUEUE_TIMEOUT", "300"),
        sets("CCC_FLOW_VERSION", str(center["version"])),
        sets("CCC_FLOW_VARS", "{}"),
        sets("CCC_ON_FAILED", ""),
        sets("CCC_ON_AFTER", "survey"),
        sets("CCC_IVR_PATH", "start/menu:1/to_a"),
        sets("CCC_ACTION", "queue"),
    ])


def test_the_fallback_queue_rings_the_dedicated_agent_first_too(settings, center):
    """The flow fails (an unknown skill group): no decision, but the dedicated agent's
    device is left for the dialplan's fallback queue."""
    dedicate(settings)
    with transaction(settings) as session:
        publish(session, get_instance(session, "sales.acme"), "main", document(
            {"id": "q", "type": "transfer_skill_group", "skill_group": "nobody"}))
    transcript = talk(settings, "inbound", [sets("CCC_DEDICATED_AGENT", "PJSIP/i1-1003")])
    assert not any("CCC_ACTION" in line for line in transcript)


def test_a_number_without_a_flow_rings_the_dedicated_agent_before_the_fallback(settings,
                                                                              center):
    dedicate(settings)
    with transaction(settings) as session:
        session.scalar(select(Number).where(Number.digits == NUMBER)).inbound_flow_id = None
    talk(settings, "inbound", [sets("CCC_DEDICATED_AGENT", "PJSIP/i1-1003")])


# ---- values -----------------------------------------------------------------------------

def asterisk_parse_args(line: str) -> list[str]:
    """res_agi.c parse_args: blanks split, double quotes group, backslash escapes."""
    args, current, quoted, escaped, started = [], "", False, False, False
    for char in line:
        if escaped:
            current, escaped, started = current + char, False, True
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted, started = not quoted, True
        elif char in " \t" and not quoted:
            if started:
                args.append(current)
            current, started = "", False
        else:
            current, started = current + char, True
    if started:
        args.append(current)
    return args


@pytest.mark.parametrize("value", ['{"a":"x \\"y\\" \\\\ z"}', "", "a b", 'end\\', '"'])
def test_a_quoted_value_reaches_asterisk_as_one_argument_unchanged(value):
    assert asterisk_parse_args(f"SET VARIABLE X {quote(value)}") == ["SET", "VARIABLE", "X", value]


@pytest.mark.parametrize("value", ["a\nHANGUP", "a\rb", "nul\0"])
def test_control_characters_never_reach_an_agi_command(value):
    with pytest.raises(ValueError):
        quote(value)


def test_flow_variables_round_trip_as_ascii_json_without_newlines():
    values = {"note": 'line1\nline2 "q" \\ ) 中'}
    text = encode_variables(values)
    assert "\n" not in text and text.isascii()
    assert decode_variables(text) == values
    with pytest.raises(FlowError):
        encode_variables({"Bad-Name": "x"})
    with pytest.raises(FlowError):
        decode_variables('{"ok": 1}')


def test_replies_keep_brackets_inside_values_and_read_endpos():
    assert parse_reply("200 result=1 (a (b) c)").data == "a (b) c"
    hung_up = parse_reply("200 result=-1 (hangup) endpos=16000")
    assert (hung_up.result, hung_up.data, hung_up.endpos) == (-1, "hangup", 16000)
    assert parse_reply("200 result=0 endpos=8000").endpos == 8000
    assert parse_reply("511 Command Not Permitted on a dead channel").code == 511


def test_after_goto_flow_the_call_keeps_the_version_it_moved_to(settings, center):
    """A resume must run the flow the call is in: goto_flow's target, not the first flow."""
    with transaction(settings) as session:
        instance = get_instance(session, "sales.acme")
        target = publish(session, instance, "sales", document(
            {"id": "to_a", "type": "transfer_skill_group", "skill_group": "A"},
            {"id": "bye", "type": "hangup"}, edges=[("to_a", "bye", "overflow")]))
        publish(session, instance, "main", document({"id": "go", "type": "goto_flow",
                                                     "flow": "sales"}))
    talk(settings, "inbound", [
        sets("CCC_QUEUE", center["queues"]["A"]),
        sets("CCC_QUEUE_TIMEOUT", "300"),
        sets("CCC_FLOW_VERSION", str(target)),
        sets("CCC_FLOW_VARS", "{}"),
        sets("CCC_ON_FAILED", "bye"),
        sets("CCC_ON_AFTER", ""),
        (r'SET VARIABLE CCC_IVR_PATH "[A-Za-z0-9_/:*#-]+"', "200 result=1"),
        sets("CCC_ACTION", "queue"),
    ])


def test_only_a_published_version_is_resumed(settings, center):
    from engine.ivr.runtime import plan_for_version
    with transaction(settings) as session:
        draft = IvrFlowVersion(flow_id=session.get(IvrFlowVersion, center["version"]).flow_id,
                               version=None, state=FlowState.DRAFT,
                               definition=json.dumps(MENU))
        session.add(draft)
        session.flush()
        assert plan_for_version(session, draft.id) is None
        assert plan_for_version(session, center["version"]).document == MENU


def test_each_reply_is_awaited_for_the_reply_timeout_and_no_longer():
    """Replies that each come in time never time out, however long the session; a
    reply that never comes ends the wait after the timeout (the caller's session then
    goes to the dialplan's fallback)."""
    from engine.agi.channel import AgiChannel

    async def main() -> None:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        ready = loop.create_future()
        await loop.connect_accepted_socket(
            lambda: AgiChannel(ready.set_result, reply_timeout=0.3), ours)
        pbx_reader, pbx_writer = await asyncio.open_connection(sock=theirs)
        pbx_writer.write(b"agi_network: yes\n\n")
        channel = await asyncio.wait_for(ready, 5)

        async def asterisk(answers: int) -> None:
            for _ in range(answers):
                await pbx_reader.readline()
                await asyncio.sleep(0.2)
                pbx_writer.write(b"200 result=1\n")
        answering = asyncio.create_task(asterisk(4))
        for _ in range(4):  # 0.8 s in all, each reply within 0.3 s
            assert (await channel.command("NOOP")).result == 1
        await answering
        started = loop.time()
        with pytest.raises(asyncio.TimeoutError):
            await channel.command("NOOP")  # never answered
        assert 0.25 < loop.time() - started < 1.0
        assert not asyncio.current_task().cancelling()  # the timeout left no cancel behind
        channel.close()
        pbx_writer.close()
    asyncio.run(main())
