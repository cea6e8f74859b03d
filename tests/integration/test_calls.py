"""Calls through the real Asterisk, placed by SIPp, answered by registered agents.

Configured (conftest): account acme; carrier trunk at 127.0.0.2:5070; instance Sales
with landline 01012345678 and admin agent alice (1001); instance Hotline with the 400
number 4001234567 and admin agent carol (1001). Each test runs on SQLite and
PostgreSQL, against the same PBX site, whose call journal therefore holds both runs'
calls: every number a test dials ends in the run's own tag.
"""
from __future__ import annotations

import time

from tests.integration.callcenter import CARRIER, CARRIER_HOST, local

ALICE_PHONE = local("127.0.0.3", 5080)
CAROL_PHONE = local("127.0.0.4", 5090)
SALES_NUMBER, HOTLINE_NUMBER = "01012345678", "4001234567"


def test_inbound_call_is_answered_by_a_signed_in_agent(callcenter):
    """A carrier call to the number: welcome prompt, default queue, alice answers."""
    alice = callcenter.instances["sales"]["admin_agent"]
    callcenter.register(alice, ALICE_PHONE)
    agent = callcenter.answering_agent(ALICE_PHONE)
    caller = callcenter.carrier_calls(SALES_NUMBER, "1380013800" + callcenter.tag, talk_ms=7000)

    caller.assert_success()
    agent.assert_success()
    invite = agent.requests("INVITE")
    assert len(invite) == 1 and "1380013800" + callcenter.tag in invite[0]  # alice saw who calls
    record = callcenter.wait_for_record(lambda r: r["caller"] == "1380013800" + callcenter.tag)
    sales_id = callcenter.instances["sales"]["id"]
    assert record["instance_id"] == sales_id
    assert record["direction"] == "inbound"
    assert record["number"] == record["callee"] == SALES_NUMBER
    assert record["agent"] == alice["extension"]
    assert record["disposition"] == "answered"
    # Talk time was 7 s after alice answered; the PBX answered ~3 s earlier (prompt).
    assert 7 <= record["billable_seconds"] <= 15
    assert record["start"] <= record["answer"] <= record["end"]


def test_agent_calls_out_with_the_instance_number(callcenter):
    """alice dials an external number: the carrier sees the Sales number as caller ID."""
    alice = callcenter.instances["sales"]["admin_agent"]
    callcenter.register(alice, ALICE_PHONE)
    carrier = callcenter.answering_agent(CARRIER)
    # A callee no other test dials: the record found below can only be this call's (the
    # billing tests' agents call out too, in the same database).
    callee = "1390013981" + callcenter.tag
    call = callcenter.sipp("alice-calls-out", "call.xml", ALICE_PHONE, callee,
                           "-key", "caller", alice["sip_username"],
                           "-au", alice["sip_username"], "-ap", alice["sip_password"],
                           "-d", "2000")
    call.assert_success()
    carrier.assert_success()
    invites = carrier.requests("INVITE")
    assert len(invites) == 1
    assert invites[0].startswith(f"INVITE sip:1390013981{callcenter.tag}@{CARRIER_HOST}")
    from_header = next(line for line in invites[0].splitlines() if line.startswith("From:"))
    assert f"<sip:{SALES_NUMBER}@" in from_header
    record = callcenter.wait_for_record(
        lambda r: r["direction"] == "outbound" and r["callee"] == "1390013981" + callcenter.tag)
    assert record["caller"] == record["number"] == SALES_NUMBER
    assert record["agent"] == alice["extension"]
    assert record["disposition"] == "answered" and record["billable_seconds"] >= 2


def test_an_instance_with_only_a_400_number_cannot_call_out(callcenter):
    """carol (Hotline, 400 number) dials out: 403 with a reason; the carrier sees nothing."""
    carol = callcenter.instances["hotline"]["admin_agent"]
    callcenter.register(carol, CAROL_PHONE)
    carrier = callcenter.answering_agent(CARRIER)
    callee = "1370013700" + callcenter.tag
    refused = callcenter.sipp("carol-refused", "call_refused.xml", CAROL_PHONE, callee,
                              "-key", "caller", carol["sip_username"],
                              "-au", carol["sip_username"], "-ap", carol["sip_password"])
    refused.assert_success()
    record = callcenter.wait_for_record(lambda r: r["callee"] == "1370013700" + callcenter.tag)
    assert record["disposition"] == "refused"
    assert "400 numbers are inbound only" in record["refusal_reason"]
    assert record["instance_id"] == callcenter.instances["hotline"]["id"]
    time.sleep(1)
    assert carrier.process.poll() is None, "the carrier got a call it must never see"
    carrier.stop()
    assert carrier.requests("INVITE") == []


def test_a_call_made_while_serve_is_down_is_recorded_when_it_returns(callcenter):
    """With `ccc serve` stopped (no IVR, no ingestion) a call still reaches alice through
    the dialplan's fallback; its record lands once serve runs again."""
    alice = callcenter.instances["sales"]["admin_agent"]
    callcenter.register(alice, ALICE_PHONE)
    callcenter.stop_serve()
    try:
        agent = callcenter.answering_agent(ALICE_PHONE)
        caller = callcenter.carrier_calls(SALES_NUMBER, "1350013500" + callcenter.tag, talk_ms=2000)
        caller.assert_success()
        agent.assert_success()
        time.sleep(1.5)
        caller_id = "1350013500" + callcenter.tag
        assert not [r for r in callcenter.call_records() if r["caller"] == caller_id]
    finally:
        callcenter.start_serve()
    record = callcenter.wait_for_record(lambda r: r["caller"] == "1350013500" + callcenter.tag)
    assert record["agent"] == alice["extension"] and record["disposition"] == "answered"
    # Replaying the journal from the start changes nothing: ingestion is idempotent.
    before = callcenter.call_records()
    callcenter.ccc("cdr", "ingest")
    assert callcenter.call_records() == before
