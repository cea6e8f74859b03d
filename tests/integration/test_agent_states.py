"""Agents' states on the real PBX: only READY agents ring, after-call work, ringing
timeout, the durable log written by ccc serve, and its rebuild after a restart.

Configured (conftest): instance Sales (number 01012345678, skill group default) with
admin agent alice; this module adds agents bob and dave to the default group. Every
agent signs in with ``ccc agent state ready`` (cc.register does), so queue membership
is the sign-in: nobody is a member of any queue before that.
"""
from __future__ import annotations

import time

import pytest

from tests.integration.callcenter import Listener, local

BOB_PHONE = local("127.0.0.31", 5210)
DAVE_PHONE = local("127.0.0.32", 5220)
SALES_NUMBER = "01012345678"
# A carrier call hears the ~3 s welcome prompt before it queues: callers stay longer.


@pytest.fixture(scope="module")
def team(callcenter):
    cc = callcenter
    agents = [cc.ccc_json("agent", "create", "--instance", "sales.acme", "--name", name,
                          "--skill-group", "default") for name in ("bob", "dave")]
    return agents


@pytest.fixture
def quiet_team(callcenter, team):
    """bob and dave registered and READY; everyone else signed out; no wrap-up."""
    cc = callcenter
    cc.kill_sipps()  # a phone left by a failed test would hold bob's or dave's port
    cc.sign_out_everyone()
    cc.ccc("skillgroup", "update", "--instance", "sales.acme", "--name", "default",
           "--wrap-up", "0")
    for agent, phone in zip(team, (BOB_PHONE, DAVE_PHONE), strict=True):
        cc.register(agent, phone)
        cc.wait_logged(agent, "READY")
    return team


def invites(messages: list[str]) -> list[str]:
    return [m for m in messages if m.startswith("INVITE ")]


def test_signing_in_is_queue_membership_and_the_cli_shows_it(callcenter, team):
    cc = callcenter
    bob = team[0]
    cc.sign_out_everyone()
    assert cc.agent_state(bob)["state"] == "OFFLINE"
    cc.register(bob, BOB_PHONE)
    shown = cc.agent_state(bob)
    assert shown["state"] == "READY" and shown["queues"] == ["i1-q1"]
    assert shown["interface"] == f"PJSIP/{bob['sip_username']}"
    assert cc.agent_state(bob, "break", "--code", "Meal")["break_code"] == "Meal"
    cc.wait_logged(bob, "BREAK", "Meal")
    # A break code the instance does not have, or a reserved one, is refused; nothing
    # changes on the PBX.
    for code in ("Nap", "RingingTimeout", "Rest;Hangup", "AfterCallWork"):
        refused = cc.ccc("agent", "state", "break", "--code", code, "--instance", "sales.acme",
                         "--extension", bob["extension"], check=False)
        assert refused.returncode == 1 and "unknown break code" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert cc.agent_state(bob)["break_code"] == "Meal"
    assert cc.agent_state(bob, "ready")["state"] == "READY"
    assert cc.agent_state(bob, "offline")["state"] == "OFFLINE"
    log = cc.wait_logged(bob, "OFFLINE")
    assert ("READY", None) in log and ("BREAK", "Meal") in log


def test_only_the_ready_agent_is_offered_the_queue_call(callcenter, quiet_team):
    """dave is on a break and never rings; bob rings, answers, and the log shows it."""
    cc = callcenter
    bob, dave = quiet_team
    cc.agent_state(dave, "break", "--code", "Rest")
    cc.wait_logged(dave, "BREAK", "Rest")
    dave_phone = Listener(DAVE_PHONE)
    try:
        answering = cc.answering_agent(BOB_PHONE)
        caller_id = "1380013801" + cc.tag
        cc.carrier_calls(SALES_NUMBER, caller_id, talk_ms=7000).assert_success()
        answering.assert_success()
    finally:
        received = dave_phone.close()
    assert invites(received) == []
    record = cc.wait_for_record(lambda r: r["caller"] == caller_id)
    assert record["agent"] == bob["extension"] and record["disposition"] == "answered"
    log = cc.wait_logged(bob, "READY")
    talked = log[log.index(("READY", None)):]
    assert ("RINGING", None) in talked and ("TALKING", None) in talked
    assert talked.index(("RINGING", None)) < talked.index(("TALKING", None))
    assert cc.logged_states(dave)[-1] == ("BREAK", "Rest")


def test_after_call_work_keeps_the_next_call_away_until_the_wrap_up_ends(callcenter,
                                                                         quiet_team):
    cc = callcenter
    bob, dave = quiet_team
    cc.agent_state(dave, "offline")
    wrap_up = 8
    cc.ccc("skillgroup", "update", "--instance", "sales.acme", "--name", "default",
           "--wrap-up", str(wrap_up))
    answering = cc.answering_agent(BOB_PHONE)
    cc.carrier_calls(SALES_NUMBER, "1380013802" + cc.tag, talk_ms=6000).assert_success()
    answering.assert_success()
    cc.wait_logged(bob, "WORKING", timeout=5)
    # The next caller waits in the queue while bob wraps up; bob's phone stays quiet.
    bob_phone = Listener(BOB_PHONE)
    second = cc.carrier_calls(SALES_NUMBER, "1380013803" + cc.tag, talk_ms=18000)
    time.sleep(2)
    try:
        assert cc.agent_state(bob)["state"] == "WORKING"  # the PBX's own view
    finally:
        quiet = invites(bob_phone.close()) == []
    assert quiet
    answering = cc.answering_agent(BOB_PHONE)
    answering.assert_success(timeout=40)
    second.assert_success()
    log = cc.logged_states(bob, times=True)
    # The first after-call work of this module (earlier tests had no wrap-up); the
    # second call brings its own at the end.
    working = min(i for i, row in enumerate(log) if row[:2] == ("WORKING", None))
    after = log[working + 1]
    assert after[:2] in (("READY", None), ("RINGING", None))
    # Logged by ccc serve as the PBX reported it: the wrap-up lasted its seconds.
    assert (after[2] - log[working][2]).total_seconds() >= wrap_up - 0.5
    record = cc.wait_for_record(lambda r: r["caller"] == "1380013803" + cc.tag)
    assert record["agent"] == bob["extension"]


def test_a_call_left_ringing_sends_the_agent_on_a_break(callcenter, quiet_team):
    """bob lets the queue call ring out: BREAK (RingingTimeout), and dave takes it."""
    cc = callcenter
    bob, dave = quiet_team
    cc.agent_state(dave, "break", "--code", "Meeting")  # so the queue rings bob first
    ringing = cc.sipp("bob-lets-it-ring", "ring_no_answer.xml", BOB_PHONE)
    time.sleep(0.3)
    caller = cc.carrier_calls(SALES_NUMBER, "1380013804" + cc.tag, talk_ms=30000)
    ringing.assert_success(timeout=40)
    cc.wait_logged(bob, "BREAK", "RingingTimeout", timeout=5)
    assert cc.agent_state(bob)["break_code"] == "RingingTimeout"
    # dave comes back: the waiting caller reaches dave, never bob again.
    answering = cc.answering_agent(DAVE_PHONE)
    cc.agent_state(dave, "ready")
    answering.assert_success()
    caller.assert_success()
    record = cc.wait_for_record(lambda r: r["caller"] == "1380013804" + cc.tag)
    assert record["agent"] == dave["extension"]


def test_states_are_rebuilt_from_the_pbx_after_serve_restarts(callcenter, quiet_team):
    cc = callcenter
    bob, dave = quiet_team
    cc.agent_state(bob, "break", "--code", "Training")
    cc.wait_logged(bob, "BREAK", "Training")
    cc.stop_serve()
    try:
        # While ccc serve is down the PBX changes: bob is back, dave leaves.
        assert cc.agent_state(bob, "ready")["state"] == "READY"
        assert cc.agent_state(dave, "offline")["state"] == "OFFLINE"
        assert cc.logged_states(bob)[-1] == ("BREAK", "Training")  # nobody logged it
    finally:
        cc.start_serve()
    cc.wait_logged(bob, "READY")
    cc.wait_logged(dave, "OFFLINE")


def test_a_call_goes_on_while_serve_restarts_and_its_states_are_right(callcenter, quiet_team):
    """ccc serve restarts in the middle of bob's call: the call is the PBX's and goes
    on; the rebuilt model still has bob TALKING, then READY when the caller hangs up."""
    cc = callcenter
    bob, dave = quiet_team
    cc.agent_state(dave, "offline")
    answering = cc.answering_agent(BOB_PHONE)
    # Long enough to outlast serve's restart on a loaded host (SIPp's run ends at 40 s).
    caller = cc.carrier_calls(SALES_NUMBER, "1380013805" + cc.tag, talk_ms=26000)
    cc.wait_logged(bob, "TALKING", timeout=20)
    cc.stop_serve()
    cc.start_serve()
    assert cc.agent_state(bob)["state"] == "TALKING"
    caller.assert_success()
    answering.assert_success()
    log = cc.wait_logged(bob, "READY", timeout=15)
    assert log[-2] == ("TALKING", None)  # the restart wrote no spurious state between
    record = cc.wait_for_record(lambda r: r["caller"] == "1380013805" + cc.tag)
    assert record["agent"] == bob["extension"] and record["disposition"] == "answered"


def test_an_agent_taken_out_of_a_group_leaves_its_queue(callcenter, quiet_team):
    """The PBX keeps signed-in members; ccc serve takes out whoever may no longer be in
    a queue once the change is applied."""
    cc = callcenter
    bob, dave = quiet_team
    cc.ccc("agent", "update", "--instance", "sales.acme", "--extension", dave["extension"],
           "--skill-groups", "")
    cc.wait_logged(dave, "OFFLINE", timeout=10)
    assert cc.agent_state(dave)["state"] == "OFFLINE"
    assert cc.agent_state(bob)["state"] == "READY"  # untouched
    cc.ccc("agent", "update", "--instance", "sales.acme", "--extension", dave["extension"],
           "--skill-groups", "default:1")
