"""Outbound calls decided on the real PBX: a supplier's policy, an agent's SIPp phone,
the SIPp carrier behind the trunk.

Configured (conftest): instance Sales with landline 01012345678 and agent alice (1001).
Here the operator adds supplier "metro" (Asia/Shanghai) and says it provides that
number; each test sets the policy it needs with `ccc supplier update` (the decision
reads it on every call, no reload). Every callee ends in the run's own tag.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.integration.callcenter import (CARRIER, CARRIER_HOST, PORT_OFFSET, Listener, flow,
                                          local)

ALICE_PHONE = local("127.0.0.3", 5080)
# alice's second phone (same account, another address): her first one is busy with
# two calls when the third is placed.
ALICE_SECOND_PHONE = local("127.0.0.7", 5080)
SALES, SALES_NUMBER = "sales.acme", "01012345678"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The shortest refusal prompt lasts over 3 s: a 403 that comes 2 s or more after the
# early media started means the prompt was played, not skipped.
PROMPT_SECONDS = 2.0


@pytest.fixture(scope="module")
def metro(callcenter):
    callcenter.ccc("supplier", "create", "--name", "metro", "--time-zone", "Asia/Shanghai")
    callcenter.ccc("supplier", "assign", "--number", SALES_NUMBER, "--supplier", "metro")
    # alice's phone does not register: calling out needs only her credentials (digest).
    return callcenter


def set_policy(cc, *options: str) -> None:
    """The supplier's whole policy: these options, nothing else restricted."""
    cc.ccc("supplier", "update", "--name", "metro", "--calling-hours", "",
           "--calls-per-day", "", "--calls-per-24h", "", "--calls-per-48h", "",
           "--no-blocked-regions", "--concurrency", "", *options)


def alice_calls(cc, name: str, scenario: str, callee: str, *extra: str, calls: int = 1,
                phone: tuple[str, int] = ALICE_PHONE):
    alice = cc.instances["sales"]["admin_agent"]
    return cc.sipp(name, scenario, phone, callee, "-key", "caller",
                   alice["sip_username"], "-au", alice["sip_username"],
                   "-ap", alice["sip_password"], *extra, calls=calls)


TRACE_TIME = re.compile(r"^-{10,}\s+\S+\s+(\d\d):(\d\d):(\d\d(?:\.\d+)?)", re.M)


def _answer_times(log: str) -> dict[str, float]:
    """When SIPp saw each response code first (seconds of the day), from its trace."""
    times: dict[str, float] = {}
    for block in re.split(r"\n(?=-{10,})", log):
        stamp = TRACE_TIME.search(block)
        code = re.search(r"^SIP/2\.0 (\d{3})", block, re.M)
        if stamp and code:
            seconds = int(stamp[1]) * 3600 + int(stamp[2]) * 60 + float(stamp[3])
            times.setdefault(code[1], seconds)
    return times


def assert_refused(cc, name: str, callee: str, reason: str) -> dict:
    """alice calls ``callee``: early media long enough for the prompt, then 403; the
    carrier sees nothing; the call record holds the reason."""
    carrier = Listener(CARRIER)
    try:
        refused = alice_calls(cc, name, "call_refused_early.xml", callee)
        refused.assert_success()
    finally:
        seen = carrier.close()
    assert not [m for m in seen if m.startswith("INVITE")], "the carrier was called"
    times = _answer_times(refused.log())
    assert times["403"] - times["183"] >= PROMPT_SECONDS, times
    record = cc.wait_for_record(lambda r: r["callee"] == callee)
    assert record["disposition"] == "refused" and record["direction"] == "outbound"
    assert reason in record["refusal_reason"]
    assert record["number"] == SALES_NUMBER
    assert record["agent"] == cc.instances["sales"]["admin_agent"]["extension"]
    return record


def test_a_call_outside_the_calling_hours_is_refused(metro):
    cc = metro
    # A whole day that is neither today nor yesterday on the supplier's clock: now is
    # outside it, whatever the time of the run.
    today = datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).weekday()
    set_policy(cc, "--calling-hours", f"{WEEKDAYS[(today + 3) % 7]} 00:00-24:00")
    assert_refused(cc, "outside-hours", "1390013902" + cc.tag, "calling hours")


def test_an_allowed_call_goes_out_and_a_second_one_to_the_callee_is_refused(metro):
    """Once a day per callee, inside the calling hours, outside the blocked regions:
    the first call reaches the carrier showing the number; the second, to the same
    person dialled with the country code, is refused."""
    cc = metro
    set_policy(cc, "--calling-hours", "mon-sun 00:00-24:00", "--calls-per-day", "1",
               "--blocked-region", "Tibet")
    callee = "1390013903" + cc.tag
    carrier = cc.answering_agent(CARRIER)
    alice_calls(cc, "first-call", "call.xml", callee, "-d", "500").assert_success()
    carrier.assert_success()
    invites = carrier.requests("INVITE")
    assert len(invites) == 1 and invites[0].startswith(f"INVITE sip:{callee}@{CARRIER_HOST}")
    from_header = next(line for line in invites[0].splitlines() if line.startswith("From:"))
    assert f"<sip:{SALES_NUMBER}@" in from_header
    # The cap counts the attempt kept with the decision, not the call record, which
    # ingestion writes only after the call: no waiting for it here.
    assert_refused(cc, "second-call", "+86" + callee, "as often as the supplier allows")
    first = cc.wait_for_record(lambda r: r["callee"] == callee)
    assert first["disposition"] == "answered" and first["refusal_reason"] is None


def test_a_callee_in_a_blocked_region_is_refused(metro):
    """09912345671: an Urumqi (Xinjiang) landline, by the phonenumbers geocoder."""
    cc = metro
    set_policy(cc, "--blocked-region", "Xinjiang", "--blocked-region", "Tibet")
    assert_refused(cc, "blocked-region", "0991234567" + cc.tag, "region is blocked")


def test_the_call_past_the_numbers_concurrency_is_refused(metro):
    """Concurrency 2: two calls up at the carrier, `ccc serve` restarted (the count is
    the PBX's live channels, nothing serve remembers), the third is refused; once the
    two end the number calls out again."""
    cc = metro
    set_policy(cc, "--concurrency", "2")
    carrier = cc.sipp("carrier-answers", "answer.xml", CARRIER, calls=2)
    time.sleep(0.3)  # let it bind before a call can reach it
    # Up long enough for a restart of serve and a decision on a loaded host (16 s was
    # not, once in the whole suite), within SIPp's 40 s for its whole run.
    two = alice_calls(cc, "two-calls", "call.xml", "1390013904" + cc.tag, "-d", "32000",
                      calls=2)
    deadline = time.monotonic() + 15
    while len(carrier.requests("ACK")) < 2:
        assert time.monotonic() < deadline, f"two calls never came up:\n{carrier.log()}"
        assert two.process.poll() is None, two.output()
        time.sleep(0.2)
    cc.stop_serve()
    cc.start_serve()
    third = "1390013905" + cc.tag
    refused = alice_calls(cc, "third-call", "call_refused_early.xml", third,
                          phone=ALICE_SECOND_PHONE)
    refused.assert_success()
    assert two.process.poll() is None, "the two calls ended before the third was decided"
    times = _answer_times(refused.log())
    assert times["403"] - times["183"] >= PROMPT_SECONDS, times
    two.assert_success(timeout=60)
    carrier.assert_success(timeout=60)
    assert len(carrier.requests("INVITE")) == 2
    record = cc.wait_for_record(lambda r: r["callee"] == third)
    assert record["disposition"] == "refused"
    assert "as many outbound calls" in record["refusal_reason"]
    # Both calls hung up: the number's count is back to zero, a call goes out again.
    after = cc.answering_agent(CARRIER)
    alice_calls(cc, "after", "call.xml", "1390013906" + cc.tag, "-d", "500").assert_success()
    after.assert_success()


def test_with_serve_stopped_an_outbound_call_is_refused_and_the_carrier_sees_nothing(metro):
    """No AGI server: no decision, so the call does not go out (fail closed). Its
    record, with the reason, lands once serve runs again."""
    cc = metro
    set_policy(cc)
    callee = "1390013907" + cc.tag
    cc.stop_serve()
    try:
        carrier = Listener(CARRIER)
        try:
            refused = alice_calls(cc, "serve-down", "call_refused_early.xml", callee)
            refused.assert_success()
        finally:
            seen = carrier.close()
    finally:
        cc.start_serve()
    assert not [m for m in seen if m.startswith("INVITE")], "the carrier was called"
    record = cc.wait_for_record(lambda r: r["callee"] == callee)
    assert record["disposition"] == "refused"
    assert "could not be checked" in record["refusal_reason"]


def test_two_calls_at_once_to_a_once_a_day_callee_let_one_out(metro):
    """Two calls placed at the same moment to one callee on a once-a-day number: both
    are decided concurrently, one reaches the carrier, the other is refused by the cap."""
    cc = metro
    set_policy(cc, "--calls-per-day", "1")
    callee = "1390013908" + cc.tag
    carrier = cc.answering_agent(CARRIER)
    both = alice_calls(cc, "same-moment", "call_or_refused.xml", callee, "-d", "500",
                       "-r", "1000", calls=2)
    both.assert_success()
    carrier.assert_success()
    assert len(carrier.requests("INVITE")) == 1
    deadline = time.monotonic() + 20
    while len(records := [r for r in cc.call_records() if r["callee"] == callee]) < 2:
        assert time.monotonic() < deadline, records
        time.sleep(0.5)
    assert sorted(r["disposition"] for r in records) == ["answered", "refused"]
    refused = next(r for r in records if r["disposition"] == "refused")
    assert "as often as the supplier allows" in refused["refusal_reason"]


def test_the_ivrs_transfer_to_an_outside_number_is_decided_too(metro):
    """A flow sends the caller to a number in a blocked region: the carrier is not
    called, the caller hears the flow's failure ("unavailable"), and the caller's call
    record says why the transfer did not happen."""
    cc = metro
    set_policy(cc, "--blocked-region", "Xinjiang")
    callee = "0991234568" + cc.tag
    cc.publish_flow(SALES, "external-blocked", flow(
        {"id": "out", "type": "transfer_external", "number": callee, "timeout": 10}),
        bind=SALES_NUMBER)
    caller = "1370013701" + cc.tag
    carrier = Listener(CARRIER)
    try:
        cc.ivr_caller(SALES_NUMBER, caller, [("pause", 500)], True, "ivr-caller-blocked",
                      local(CARRIER[0], 5075), "-mp",
                      str(16000 + 4 * PORT_OFFSET + 200)).assert_success()
    finally:
        seen = carrier.close()
    assert not [m for m in seen if m.startswith("INVITE")], "the carrier was called"
    record = cc.wait_for_record(lambda r: r["caller"] == caller, 20)
    # The caller's own call was taken (by the flow), not refused; it ended unserved.
    assert record["direction"] == "inbound" and record["disposition"] == "abandoned"
    assert "transfer to an outside number refused" in record["refusal_reason"]
    assert "region is blocked" in record["refusal_reason"]
