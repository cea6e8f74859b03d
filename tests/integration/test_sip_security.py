"""An attacker at the SIP port, on the real Asterisk.

Configured (conftest): account acme, carrier trunk at 127.0.0.2, instance Sales
(01012345678, alice 1001) and Hotline (4001234567, carol 1001). Here: agent bob (1002)
in Sales, and account globex with instance Support (02088887777, dave 1001, erin 1005).
Every agent's phone is registered; then a UDP listener takes its place, so any INVITE
the PBX sends to a phone is caught. The carrier and an attacker's SIP server on
127.0.0.9 are listeners too.

1. alice, signed in, dials dial-string syntax (raw where SIP allows it, percent-encoded
   always) aimed at other agents, other instances' contexts and numbers, channel names
   and SIP URIs: each call is refused, recorded with why, and nobody else hears of it.
2. Sales and Support agents try every name of the other instance: only its numbers
   are reached, and only through the carrier, as outside calls.
3. A stranger (not the carrier's address) poses as the carrier's trunk, an agent, or a
   number: each is challenged exactly as an agent with a wrong password is, reaches
   no context, and the site's security log records it.
"""
from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest

from engine.settings import load_settings
from tests.integration.callcenter import CARRIER, Listener, local

ALICE_PHONE, ALICE_DIALS = local("127.0.0.3", 5080), local("127.0.0.3", 5081)
BOB_PHONE = local("127.0.0.5", 5100)
CAROL_PHONE = local("127.0.0.4", 5090)
DAVE_PHONE, DAVE_DIALS = local("127.0.0.6", 5110), local("127.0.0.6", 5111)
ERIN_PHONE = local("127.0.0.7", 5120)
STRANGER = local("127.0.0.9", 5130)
EVIL_SERVER = local("127.0.0.9", 5099)
SALES_NUMBER, HOTLINE_NUMBER, SUPPORT_NUMBER = "01012345678", "4001234567", "02088887777"
# Characters a SIP URI's user part may carry unescaped (RFC 3261 unreserved and
# user-unreserved); any other character reaches the PBX only percent-encoded.
RAW_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
               "-_.!~*'()&=+$,;?/")


@pytest.fixture(scope="module")
def site(callcenter):
    """The second account, more agents, every phone registered then listened to."""
    cc = callcenter
    cc.ccc("account", "create", "globex", "--plan", "payg")
    support = cc.ccc_json("instance", "create", "--account", "globex", "--name", "Support",
                          "--domain", "support.globex", "--number", SUPPORT_NUMBER,
                          "--number-type", "landline", "--admin", "dave")
    agents = {
        "alice": cc.instances["sales"]["admin_agent"],
        "bob": cc.ccc_json("agent", "create", "--instance", "sales.acme", "--name", "bob",
                           "--extension", "1002"),
        "carol": cc.instances["hotline"]["admin_agent"],
        "dave": support["admin_agent"],
        "erin": cc.ccc_json("agent", "create", "--instance", "support.globex",
                            "--name", "erin", "--extension", "1005"),
    }
    phones = {"alice": ALICE_PHONE, "bob": BOB_PHONE, "carol": CAROL_PHONE,
              "dave": DAVE_PHONE, "erin": ERIN_PHONE}
    for name, phone in phones.items():
        cc.register(agents[name], phone)
    listeners = {name: Listener(phone) for name, phone in phones.items()}
    yield {"cc": cc, "agents": agents, "listeners": listeners,
           "support": support, "settings": load_settings(cc.env)}
    for listener in listeners.values():
        listener.close()


def dial(cc, agent: dict, origin, target: str, name: str = "dial"):
    """``agent`` (with its password) calls ``target``; the SIPp run, finished."""
    run = cc.sipp(name, "call_rejected.xml", origin, target,
                  "-key", "caller", agent["sip_username"],
                  "-au", agent["sip_username"], "-ap", agent["sip_password"],
                  "-timeout", "15s")
    run.assert_success(20)
    return run


def answers(run) -> list[int]:
    """The status code of every final answer the PBX sent this SIPp run."""
    codes = re.findall(r"^SIP/2\.0 (\d{3}) ", run.log(), re.M)
    return [int(code) for code in codes if int(code) >= 200]


def encoded(text: str) -> str:
    return quote(text, safe="")


def hostile_targets(tag: str) -> list[str]:
    """Dial strings an attacker tries, each carrying the run's tag so records match."""
    number = f"139001390{tag}"
    others = ["PJSIP/i3-1001", "PJSIP/i2-1001", "Local/1001@ccc-i3-agents",
              f"Local/{SUPPORT_NUMBER}@ccc-from-carrier", "ccc-i3-inbound",
              f"sip:evil@{EVIL_SERVER[0]}:{EVIL_SERVER[1]}", "i3-1001", "trunk-carrier",
              SUPPORT_NUMBER, f"PJSIP/{number}@trunk-carrier"]
    targets = []
    for n, special in enumerate("&/@(),|;%'\" "):
        targets.append(f"{number}{n}{special}{others[n % len(others)]}")
    targets += [f"{other}{tag}" if not other[-1].isdigit() else f"{other}&{tag}"
                for other in others]
    targets += [f"{number}&PJSIP/i3-1001&PJSIP/i1-1002", f"{number}/sip:evil@127.0.0.9",
                f"{number},,tTL(1)", f"+86{number}&Local/1001@ccc-i3-agents",
                f"{number}${{SHELL(id)}}", f"{number}\"),Dial(PJSIP/i3-1001",
                f"{number}%26PJSIP/i3-1001", f"{number}a", f"{number}123456789012345"]
    return targets


def test_dial_string_syntax_from_an_agent_is_refused_and_recorded(site):
    cc, tag = site["cc"], site["cc"].tag
    alice = site["agents"]["alice"]
    carrier, evil = Listener(CARRIER), Listener(EVIL_SERVER)
    attempts = []  # (what reaches the PBX's dialplan, the Request-URI user sent)
    try:
        for target in hostile_targets(tag):
            if set(target) <= RAW_SAFE:
                attempts.append((target, target))
            attempts.append((target, encoded(target)))
        runs = [(dialled, dial(cc, alice, ALICE_DIALS, sent, "alice-injects"))
                for dialled, sent in attempts]
        time.sleep(1)
    finally:
        carrier_got, evil_got = carrier.close(), evil.close()
    assert carrier_got == [], "the carrier received a call it must never see"
    assert evil_got == [], "the attacker's SIP server was reached"
    for name, listener in site["listeners"].items():
        assert listener.received == [], f"{name}'s phone rang"
    for dialled, run in runs:
        assert answers(run)[-1] in (404, 484), (dialled, run.log())
    records = {r["callee"]: r for r in cc.call_records() if r["direction"] != "inbound"}
    sales_id = cc.instances["sales"]["id"]
    for dialled, _ in attempts:
        record = records.get(dialled[:64]) or cc.wait_for_record(
            lambda r, d=dialled: r["callee"] == d[:64])
        assert record["instance_id"] == sales_id, record
        assert record["disposition"] == "refused", record
        assert record["billable_seconds"] == 0
        assert record["refusal_reason"].startswith(("not a number", "no agent")), record


def test_a_malformed_request_uri_never_reaches_the_dialplan(site):
    """Characters SIP forbids unescaped in a user part: the SIP stack answers 400 or
    nothing at all, and no call record appears."""
    cc, tag = site["cc"], site["cc"].tag
    alice = site["agents"]["alice"]
    targets = (f"138001380{tag} PJSIP/i3-1001", f'138001380{tag}"),Dial(PJSIP/i3-1001')
    for target in targets:
        run = cc.sipp("alice-malformed", "call_rejected.xml", ALICE_DIALS, target,
                      "-key", "caller", alice["sip_username"], "-au", alice["sip_username"],
                      "-ap", alice["sip_password"], "-timeout", "4s")
        run.wait(10)
        assert set(answers(run)) <= {400}, run.log()
    time.sleep(1)
    assert not [r for r in cc.call_records() if r["callee"] in targets]
    for name, listener in site["listeners"].items():
        assert listener.received == [], f"{name}'s phone rang"


CROSS = [
    # (caller, its dialling address, the other instance's names, the other's agents)
    ("alice", ALICE_DIALS, ["1005", "i3-1001", "i3-1005", "ccc-i3-agents", "ccc-i3-inbound",
                            "ccc-i3-outbound", "i3-q4", "i3", "support.globex"],
     ("dave", "erin")),
    ("dave", DAVE_DIALS, ["1002", "i1-1001", "i1-1002", "ccc-i1-agents", "ccc-i1-inbound",
                          "ccc-i1-outbound", "i1-q1", "i2-1001", "ccc-i2-agents", "i1",
                          "sales.acme", "ccc-from-carrier"],
     ("alice", "bob", "carol")),
]


@pytest.mark.parametrize("caller, origin, names, others", CROSS,
                         ids=["sales-to-support", "support-to-sales"])
def test_an_agent_reaches_nothing_of_another_instance(site, caller, origin, names, others):
    cc = site["cc"]
    agent = site["agents"][caller]
    own_id = cc.instances["sales"]["id"] if caller == "alice" else site["support"]["id"]
    before = {r["id"] for r in cc.call_records()}
    carrier = Listener(CARRIER)
    try:
        runs = [(name, dial(cc, agent, origin, name, f"{caller}-cross")) for name in names]
        time.sleep(1)
    finally:
        assert carrier.close() == [], "a name went out to the carrier"
    for name, run in runs:
        assert answers(run)[-1] in (404, 484), (name, run.log())
    for other in others:
        assert site["listeners"][other].received == [], f"{other}'s phone rang"
    records = []
    deadline = time.monotonic() + 15
    while len(records) < len(names) and time.monotonic() < deadline:
        records = [r for r in cc.call_records() if r["id"] not in before]
        time.sleep(0.5)
    assert sorted(r["callee"] for r in records) == sorted(names)
    assert {(r["instance_id"], r["disposition"]) for r in records} == {(own_id, "refused")}


@pytest.mark.parametrize("caller, origin, number, own_number", [
    ("alice", ALICE_DIALS, SUPPORT_NUMBER, SALES_NUMBER),
    ("dave", DAVE_DIALS, SALES_NUMBER, SUPPORT_NUMBER)], ids=["sales", "support"])
def test_another_instances_number_is_an_outside_call_through_the_carrier(
        site, caller, origin, number, own_number):
    cc = site["cc"]
    agent = site["agents"][caller]
    before = {r["id"] for r in cc.call_records()}
    carrier = cc.sipp("carrier-answers", "answer.xml", CARRIER)
    time.sleep(0.3)
    call = cc.sipp(f"{caller}-calls-other", "call.xml", origin, number,
                   "-key", "caller", agent["sip_username"], "-au", agent["sip_username"],
                   "-ap", agent["sip_password"], "-d", "500")
    call.assert_success()
    carrier.assert_success()
    invite = carrier.requests("INVITE")[0]
    assert invite.startswith(f"INVITE sip:{number}@")
    assert f"<sip:{own_number}@" in next(h for h in invite.splitlines() if h.startswith("From:"))
    for name, listener in site["listeners"].items():
        assert listener.received == [], f"{name}'s phone rang"
    # The call is an outside call of the caller's own instance; waiting for its record
    # also keeps it from landing during the next test, which counts new records.
    record = cc.wait_for_record(lambda r: r["id"] not in before and r["callee"] == number)
    assert (record["direction"], record["caller"], record["disposition"]) == (
        "outbound", own_number, "answered")


STRANGERS = ["trunk-carrier", "i1-1001", SALES_NUMBER, "anonymous"]


def test_a_stranger_is_answered_as_a_wrong_password_is_and_reaches_nothing(site):
    cc = site["cc"]
    alice = site["agents"]["alice"]
    before = {r["id"] for r in cc.call_records()}
    # The reference: alice herself with a wrong password.
    wrong = cc.sipp("alice-wrong-password", "call_rejected.xml", ALICE_DIALS, SALES_NUMBER,
                    "-key", "caller", alice["sip_username"], "-au", alice["sip_username"],
                    "-ap", "not-her-password", "-timeout", "15s")
    wrong.assert_success(20)
    expected = answers(wrong)
    assert expected and all(code in (401, 403) for code in expected), wrong.log()
    for name in STRANGERS:
        for number in (SALES_NUMBER, HOTLINE_NUMBER, "1001", "13900139000"):
            run = cc.sipp(f"stranger-{name}", "call_rejected.xml", STRANGER, number,
                          "-key", "caller", name, "-au", name, "-ap", "guess",
                          "-timeout", "15s")
            run.assert_success(20)
            assert answers(run) == expected, (name, number, run.log())
    time.sleep(1.5)
    assert [r for r in cc.call_records() if r["id"] not in before] == []
    for other, listener in site["listeners"].items():
        assert listener.received == [], f"{other}'s phone rang"


def test_the_security_log_records_failed_attempts(site):
    """Runs after the stranger's attempts: each name tried from the stranger's address
    is in the site's security log, as is alice's wrong password."""
    log = site["settings"].site_dir / "log" / "security.log"
    deadline = time.monotonic() + 10
    text = ""
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if all(f'AccountID="{name}"' in text for name in STRANGERS):
            break
        time.sleep(0.5)
    stranger = f"/{STRANGER[0]}/{STRANGER[1]}"
    for name in STRANGERS:
        lines = [line for line in text.splitlines()
                 if f'AccountID="{name}"' in line and stranger in line]
        assert lines, f"nothing about {name} from {stranger} in the security log"
        assert any(re.search(r'SecurityEvent="(InvalidAccountID|ChallengeResponseFailed|'
                             r'InvalidPassword|FailedACL)"', line) for line in lines), lines
    assert re.search(r'SecurityEvent="ChallengeResponseFailed".*AccountID="i1-1001"', text)
