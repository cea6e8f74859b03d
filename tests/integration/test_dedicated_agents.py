"""Dedicated agents on the real PBX: a tied customer's call rings its agent first while
the agent is READY, and goes on into the queue otherwise.

Configured (conftest): instance Sales (number 01012345678, skill group default) with
admin agent alice, signed out. This module adds bob (default, level 1: the queue offers
him every call first) and dave (default, level 2), both READY on SIP phones, and ties
one customer's number to dave with ``ccc agent dedicate``.
"""
from __future__ import annotations

import time

import pytest

from tests.integration.callcenter import Listener, local

BOB_PHONE = local("127.0.0.41", 5230)
DAVE_PHONE = local("127.0.0.42", 5240)
SALES_NUMBER = "01012345678"
# A carrier call hears the ~3 s welcome prompt before it is handed to the queue.
RING_SECONDS = 15


@pytest.fixture(scope="module")
def team(callcenter):
    cc = callcenter
    bob, dave = (cc.ccc_json("agent", "create", "--instance", "sales.acme", "--name", name,
                             "--skill-group", f"default:{level}")
                 for name, level in (("bob", 1), ("dave", 2)))
    customer = "1390013900" + cc.tag
    cc.ccc("agent", "dedicate", "--instance", "sales.acme", "--customer", customer,
           "--extension", dave["extension"])
    listed = cc.ccc_json("agent", "dedicated", "--instance", "sales.acme")
    assert listed == [{"customer_number": customer, "agent_id": listed[0]["agent_id"],
                       "extension": dave["extension"], "agent_name": "dave"}]
    return {"bob": bob, "dave": dave, "customer": customer}


@pytest.fixture
def ready_team(callcenter, team):
    """bob and dave registered and READY; everyone else signed out; no wrap-up."""
    cc = callcenter
    cc.sign_out_everyone()
    cc.ccc("skillgroup", "update", "--instance", "sales.acme", "--name", "default",
           "--wrap-up", "0")
    for name, phone in (("bob", BOB_PHONE), ("dave", DAVE_PHONE)):
        cc.register(team[name], phone)
        cc.wait_logged(team[name], "READY")
    return team


def invites(messages: list[str]) -> list[str]:
    return [m for m in messages if m.startswith("INVITE ")]


def answered_record(cc, caller: str, seen: set[str]) -> dict:
    """The record of the call from ``caller`` that is not among ``seen``, once answered
    (ingestion may first see the legs that ended earlier)."""
    return cc.wait_for_record(lambda r: r["caller"] == caller and r["id"] not in seen
                              and r["disposition"] == "answered")


def record_ids(cc) -> set[str]:
    return {r["id"] for r in cc.call_records()}


def call_and_answer(cc, caller: str, answering_phone, silent_phone, talk_ms: int = 7000):
    """A carrier call from ``caller``: the phone at ``answering_phone`` answers it, the
    one at ``silent_phone`` must never ring. Returns the call's record."""
    seen = record_ids(cc)
    silent = Listener(silent_phone)
    try:
        answering = cc.answering_agent(answering_phone)
        cc.carrier_calls(SALES_NUMBER, caller, talk_ms=talk_ms).assert_success()
        answering.assert_success()
    finally:
        received = silent.close()
    assert invites(received) == []
    return answered_record(cc, caller, seen)


def test_the_tied_customer_reaches_the_dedicated_agent_although_bob_is_first(callcenter,
                                                                            ready_team):
    cc, dave = callcenter, ready_team["dave"]
    record = call_and_answer(cc, ready_team["customer"], DAVE_PHONE, BOB_PHONE)
    assert record["agent"] == dave["extension"]
    # A direct ring is no queue call: no after-call work; dave is READY again.
    log = cc.wait_logged(dave, "READY")
    assert ("TALKING", None) in log[log.index(("READY", None)):]


def test_another_caller_goes_through_the_queue_to_bob(callcenter, ready_team):
    cc, bob = callcenter, ready_team["bob"]
    caller = "1380013810" + cc.tag
    record = call_and_answer(cc, caller, BOB_PHONE, DAVE_PHONE)
    assert record["agent"] == bob["extension"]


def test_a_dedicated_agent_on_a_break_is_skipped(callcenter, ready_team):
    cc, bob, dave = callcenter, ready_team["bob"], ready_team["dave"]
    cc.agent_state(dave, "break", "--code", "Rest")
    cc.wait_logged(dave, "BREAK", "Rest")
    record = call_and_answer(cc, ready_team["customer"], BOB_PHONE, DAVE_PHONE)
    assert record["agent"] == bob["extension"]
    assert cc.logged_states(dave)[-1] == ("BREAK", "Rest")


def test_a_dedicated_agent_who_lets_it_ring_goes_on_a_break_and_bob_answers(callcenter,
                                                                           ready_team):
    """dave rings for the queue's ring time and does not answer: like a queue call that
    rings out, dave goes to BREAK (RingingTimeout), so the queue does not offer him the
    call again; the call goes on into the queue and bob takes it."""
    cc, bob, dave = callcenter, ready_team["bob"], ready_team["dave"]
    caller = ready_team["customer"]
    seen = record_ids(cc)
    ringing = cc.sipp("dave-lets-it-ring", "ring_no_answer.xml", DAVE_PHONE)
    answering = cc.answering_agent(BOB_PHONE)
    started = time.monotonic()
    call = cc.carrier_calls(SALES_NUMBER, caller, talk_ms=30000)
    ringing.assert_success(timeout=40)
    rang_for = time.monotonic() - started
    dave_phone = Listener(DAVE_PHONE)  # from now on dave's phone must stay quiet
    try:
        cc.wait_logged(dave, "BREAK", "RingingTimeout", timeout=5)
        answering.assert_success(timeout=40)
        answered_after = time.monotonic() - started
        call.assert_success(timeout=40)
    finally:
        received = dave_phone.close()
    assert invites(received) == []  # the queue never offered dave the call
    # The welcome prompt, then dave's ring time; bob only after that.
    assert RING_SECONDS <= rang_for <= RING_SECONDS + 8
    assert answered_after >= rang_for
    assert len(ringing.requests("INVITE")) == 1
    assert answered_record(cc, caller, seen)["agent"] == bob["extension"]
    # Back from the break, dave is rung first again.
    cc.agent_state(dave, "ready")
    cc.wait_logged(dave, "READY")
    record = call_and_answer(cc, caller, DAVE_PHONE, BOB_PHONE)
    assert record["agent"] == dave["extension"]


def test_untied_the_customer_goes_through_the_queue(callcenter, ready_team):
    cc, bob = callcenter, ready_team["bob"]
    customer = ready_team["customer"]
    refused = cc.ccc("agent", "dedicate", "--instance", "sales.acme", "--customer", customer,
                     "--extension", bob["extension"], check=False)
    assert refused.returncode == 1 and "already has a dedicated agent" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    cc.ccc("agent", "undedicate", "--instance", "sales.acme", "--customer", customer)
    try:
        record = call_and_answer(cc, customer, BOB_PHONE, DAVE_PHONE)
        assert record["agent"] == bob["extension"]
    finally:
        cc.ccc("agent", "dedicate", "--instance", "sales.acme", "--customer", customer,
               "--extension", ready_team["dave"]["extension"])
