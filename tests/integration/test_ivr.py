"""IVR flows on the real Asterisk: SIPp callers press RFC 2833 keys and speak, agents
registered with SIPp answer, ``ccc serve`` runs each flow over FastAGI.

Configured (conftest and the ``ivr`` fixture): instance Sales (number 01012345678) with
skill groups A (agent bob, 1002), B (agent dave, 1003) and C (nobody), created with the real
``ccc`` commands; each test publishes the flow it needs and binds the number to it.
Every caller number ends in the run's tag (SQLite and PostgreSQL share the PBX site).
"""
from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tests.integration.callcenter import CARRIER, CARRIER_HOST, PORT_OFFSET, flow, local

SALES, NUMBER = "sales.acme", "01012345678"
BOB_PHONE = local("127.0.0.5", 5100)
DAVE_PHONE = local("127.0.0.6", 5110)


@pytest.fixture(scope="module")
def ivr(callcenter):
    """Skill groups A and B with one agent each, as an operator sets them up."""
    for group in ("A", "B", "C"):  # C has no agent: its queue always overflows
        callcenter.ccc("skillgroup", "create", "--instance", SALES, "--name", group)
    agents = {name: callcenter.ccc_json("agent", "create", "--instance", SALES, "--name", name,
                                        "--extension", extension, "--skill-group", group)
              for name, extension, group in (("bob", "1002", "A"), ("dave", "1003", "B"))}
    return agents


@pytest.fixture
def phones(callcenter, ivr):
    callcenter.register(ivr["bob"], BOB_PHONE)
    callcenter.register(ivr["dave"], DAVE_PHONE)
    return ivr


def caller_id(callcenter, n: int) -> str:
    return f"13{n:02d}0013{n:02d}" + callcenter.tag


def record_of(callcenter, caller: str, predicate=lambda r: True) -> dict:
    return callcenter.wait_for_record(lambda r: r["caller"] == caller and predicate(r), 20)


def no_call_reached(phone) -> None:
    """A waiting softphone that must have seen no INVITE."""
    time.sleep(0.5)
    assert phone.process.poll() is None, "the phone got a call it must never see"
    phone.stop()
    assert phone.requests("INVITE") == []


MENU = flow(
    {"id": "menu", "type": "menu", "text": "Press 1 for sales. Press 2 for support.",
     "timeout": 3, "retries": 0},
    {"id": "to_a", "type": "transfer_skill_group", "skill_group": "A", "timeout": 20},
    {"id": "to_b", "type": "transfer_skill_group", "skill_group": "B", "timeout": 20},
    {"id": "bye", "type": "hangup", "reason": "no key"},
    edges=[("menu", "to_a", "1"), ("menu", "to_b", "2"), ("menu", "bye", "timeout")])


@pytest.mark.parametrize("key, answering, idle", [("1", "bob", "dave"), ("2", "dave", "bob")])
def test_menu_key_sends_the_call_to_its_skill_group(callcenter, phones, key, answering, idle):
    """Key 1 rings skill group A (bob), key 2 group B (dave); the other agent never rings."""
    callcenter.publish_flow(SALES, "menu", MENU, bind=NUMBER)
    phone = {"bob": BOB_PHONE, "dave": DAVE_PHONE}
    agent = callcenter.answering_agent(phone[answering])
    other = callcenter.answering_agent(phone[idle])
    caller = caller_id(callcenter, int(key))
    call = callcenter.ivr_caller(NUMBER, caller, [("pause", 1200), ("keys", key),
                                                  ("pause", 3000)])
    call.assert_success()
    agent.assert_success()
    no_call_reached(other)
    record = record_of(callcenter, caller)
    assert record["agent"] == phones[answering]["extension"]
    assert record["disposition"] == "answered"


def test_menu_without_a_key_takes_the_timeout_branch(callcenter, phones):
    """No key: after the prompt and 3 s the timeout branch hangs up; no agent rings."""
    callcenter.publish_flow(SALES, "menu", MENU, bind=NUMBER)
    bob = callcenter.answering_agent(BOB_PHONE)
    dave = callcenter.answering_agent(DAVE_PHONE)
    caller = caller_id(callcenter, 3)
    started = time.monotonic()
    call = callcenter.ivr_caller(NUMBER, caller, [], pbx_hangs_up=True)
    call.assert_success(30)
    assert time.monotonic() - started >= 3  # the menu waited for its timeout
    no_call_reached(bob)
    no_call_reached(dave)
    record = record_of(callcenter, caller)
    assert record["agent"] is None and record["voicemail"] == []


def test_out_of_hours_caller_leaves_a_voicemail(callcenter, phones):
    """Today is a holiday: closed, so the caller is asked for a message; the recording
    is kept with the call record (a file with some seconds of speech in it)."""
    today = date.today()
    holidays = [(today + timedelta(days=d)).isoformat() for d in (-1, 0, 1)]
    callcenter.publish_flow(SALES, "hours", flow(
        {"id": "hours", "type": "time_condition", "timezone": "UTC", "holidays": holidays,
         "rules": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    "from": "00:00", "to": "24:00"}]},
        {"id": "to_a", "type": "transfer_skill_group", "skill_group": "A"},
        {"id": "message", "type": "voicemail", "text": "We are closed. Leave a message.",
         "max_seconds": 30},
        edges=[("hours", "to_a", "open"), ("hours", "message", "closed")]), bind=NUMBER)
    bob = callcenter.answering_agent(BOB_PHONE)
    caller = caller_id(callcenter, 4)
    call = callcenter.ivr_caller(NUMBER, caller, [("pause", 3500), ("speak", None)])
    call.assert_success()
    no_call_reached(bob)
    record = record_of(callcenter, caller, lambda r: r["voicemail"])
    [message] = record["voicemail"]
    assert 3 <= message["seconds"] <= 9  # about the 7 s spoken, less the greeting overlap
    assert Path(message["path"]).is_file() and Path(message["path"]).stat().st_size > 8000


class _Lookup(BaseHTTPRequestHandler):
    """The customer's web service: account 24 is a gold customer."""

    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        posted = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Lookup.received.append(posted)
        tier = "gold" if posted["variables"].get("account") == "24" else "basic"
        body = json.dumps({"customer": {"tier": tier}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def lookup_server():
    server = HTTPServer(("127.0.0.1", 0), _Lookup)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Lookup.received.clear()
    yield f"http://127.0.0.1:{server.server_port}/lookup"
    server.shutdown()
    server.server_close()


def test_collected_digits_go_to_http_and_the_answer_picks_the_branch(callcenter, phones,
                                                                     lookup_server):
    """The caller keys 24#; the web service gets them and says gold; gold goes to B."""
    callcenter.publish_flow(SALES, "lookup", flow(
        {"id": "account", "type": "collect", "text": "Enter your account number, then hash.",
         "variable": "account", "max_digits": 6, "terminator": "#", "timeout": 4},
        {"id": "ask", "type": "http", "url": lookup_server, "timeout": 3,
         "set": {"tier": "customer.tier"}},
        {"id": "gold", "type": "condition", "variable": "tier", "operator": "equals",
         "value": "gold"},
        {"id": "to_a", "type": "transfer_skill_group", "skill_group": "A", "timeout": 20},
        {"id": "to_b", "type": "transfer_skill_group", "skill_group": "B", "timeout": 20},
        edges=[("account", "ask"), ("ask", "gold", "ok"), ("ask", "to_a", "error"),
               ("gold", "to_b", "true"), ("gold", "to_a", "false")]), bind=NUMBER)
    dave = callcenter.answering_agent(DAVE_PHONE)
    bob = callcenter.answering_agent(BOB_PHONE)
    caller = caller_id(callcenter, 5)
    call = callcenter.ivr_caller(NUMBER, caller, [("pause", 1500), ("keys", "24#"),
                                                  ("pause", 3000)])
    call.assert_success()
    dave.assert_success()
    no_call_reached(bob)
    [posted] = [p for p in _Lookup.received if p["caller"] == caller]
    assert posted["variables"] == {"account": "24"} and posted["dialled"] == NUMBER
    assert record_of(callcenter, caller)["agent"] == phones["dave"]["extension"]


def survey_flow(group: str, after: bool) -> dict:
    nodes = [{"id": "to_queue", "type": "transfer_skill_group", "skill_group": group,
              "timeout": 20}]
    edges = []
    if after:
        nodes.append({"id": "survey", "type": "survey", "prompt": "welcome", "timeout": 6})
        edges.append(("to_queue", "survey", "after"))
    return flow(*nodes, edges=edges)


def test_survey_score_is_saved_after_the_agent_hangs_up(callcenter, phones):
    """bob answers and hangs up first; the caller, back in the IVR, presses 4."""
    callcenter.publish_flow(SALES, "survey", survey_flow("A", after=True), bind=NUMBER)
    bob = callcenter.agent_hangs_up_after(BOB_PHONE, talk_ms=2000)
    caller = caller_id(callcenter, 6)
    call = callcenter.ivr_caller(NUMBER, caller, [("pause", 4500), ("keys", "4")],
                                 pbx_hangs_up=True)
    bob.assert_success()
    call.assert_success()
    record = record_of(callcenter, caller, lambda r: r["survey_score"] is not None)
    assert record["survey_score"] == 4
    assert record["agent"] == phones["bob"]["extension"]


def test_a_call_finishes_on_the_version_it_started_with(callcenter, phones):
    """v1 queues to A and asks a survey after; v2, published while the first call talks
    to bob, queues to B with no survey. The first call still gets v1's survey; the next
    call runs v2 and reaches dave."""
    callcenter.publish_flow(SALES, "versioned", survey_flow("A", after=True), bind=NUMBER)
    bob = callcenter.agent_hangs_up_after(BOB_PHONE, talk_ms=5000)
    first = caller_id(callcenter, 7)
    call = callcenter.ivr_caller(NUMBER, first, [("pause", 7500), ("keys", "3")],
                                 pbx_hangs_up=True)
    deadline = time.monotonic() + 10
    while not bob.requests("INVITE") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert bob.requests("INVITE"), "bob never rang"
    callcenter.publish_flow(SALES, "versioned", survey_flow("B", after=False))
    bob.assert_success()
    call.assert_success()
    assert record_of(callcenter, first, lambda r: r["survey_score"])["survey_score"] == 3

    dave = callcenter.answering_agent(DAVE_PHONE)
    second = caller_id(callcenter, 8)
    callcenter.ivr_caller(NUMBER, second, [("pause", 2500)]).assert_success()
    dave.assert_success()
    record = record_of(callcenter, second)
    assert record["agent"] == phones["dave"]["extension"] and record["survey_score"] is None


def test_queue_overflow_comes_back_to_the_flow_and_rings_a_named_agent(callcenter, phones):
    """Nobody answers in C within 3 s: the dialplan resumes the flow at the overflow
    branch, which rings bob by extension; bob answers, talks, hangs up first, and the
    caller, back in the flow once more, scores the call 5."""
    callcenter.publish_flow(SALES, "overflow", flow(
        {"id": "to_c", "type": "transfer_skill_group", "skill_group": "C", "timeout": 3},
        {"id": "bob", "type": "transfer_agent", "agent": "1002", "timeout": 10},
        {"id": "survey", "type": "survey", "prompt": "welcome", "timeout": 8},
        edges=[("to_c", "bob", "overflow"), ("bob", "survey", "after")]), bind=NUMBER)
    bob = callcenter.agent_hangs_up_after(BOB_PHONE, talk_ms=2000)
    caller = caller_id(callcenter, 9)
    started = time.monotonic()
    call = callcenter.ivr_caller(NUMBER, caller, [("pause", 8000), ("keys", "5")],
                                 pbx_hangs_up=True)
    bob.assert_success()
    assert time.monotonic() - started >= 3  # C's queue timeout came first
    call.assert_success()
    assert caller in bob.requests("INVITE")[0]
    record = record_of(callcenter, caller, lambda r: r["survey_score"] is not None)
    assert record["agent"] == phones["bob"]["extension"] and record["survey_score"] == 5


def test_transfer_to_an_external_number_goes_out_with_the_instance_number(callcenter):
    """The flow sends the call to a number: through the trunk, the Sales number shown."""
    callee = "1390013999" + callcenter.tag
    callcenter.publish_flow(SALES, "external", flow(
        {"id": "out", "type": "transfer_external", "number": callee, "timeout": 10}),
        bind=NUMBER)
    carrier = callcenter.answering_agent(CARRIER)
    caller = caller_id(callcenter, 10)
    # The caller comes from the carrier too, on another port and media port.
    callcenter.ivr_caller(NUMBER, caller, [("pause", 3000)], False, "ivr-caller-out",
                          local(CARRIER[0], 5075), "-mp",
                          str(16000 + 4 * PORT_OFFSET + 200)).assert_success()
    carrier.assert_success()
    [invite] = carrier.requests("INVITE")
    assert invite.startswith(f"INVITE sip:{callee}@{CARRIER_HOST}")
    from_header = next(line for line in invite.splitlines() if line.startswith("From:"))
    assert f"<sip:{NUMBER}@" in from_header
    # The caller keeps their own number in the call's record, answered outside.
    record = record_of(callcenter, caller)
    assert record["direction"] == "inbound" and record["disposition"] == "answered"
    assert record["agent"] is None


def test_when_the_ivr_is_down_at_a_resume_the_caller_hears_unavailable(callcenter, phones):
    """`ccc serve` stops while the caller talks to bob; when bob hangs up the dialplan
    cannot resume the flow, so it plays "unavailable" and hangs up: never silence."""
    callcenter.publish_flow(SALES, "survey", survey_flow("A", after=True), bind=NUMBER)
    bob = callcenter.agent_hangs_up_after(BOB_PHONE, talk_ms=3000)
    caller = caller_id(callcenter, 11)
    call = callcenter.ivr_caller(NUMBER, caller, [("pause", 500)], pbx_hangs_up=True)
    deadline = time.monotonic() + 10
    while not bob.requests("INVITE") and time.monotonic() < deadline:
        time.sleep(0.2)
    callcenter.stop_serve()
    try:
        bob.assert_success()
        agent_left = time.monotonic()
        call.assert_success()
        assert time.monotonic() - agent_left >= 3.5  # the 4.3 s "unavailable" prompt
    finally:
        callcenter.start_serve()
    record = record_of(callcenter, caller)
    assert record["agent"] == phones["bob"]["extension"] and record["survey_score"] is None
