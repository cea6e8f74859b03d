"""Call control from the server on the real PBX: click-to-dial with a chosen caller ID,
hanging up and blind-transferring a SIP phone's call, and forged targets refused (from the
CLI and, by strangers and with another instance's agent, through the REST API).

Configured (conftest): Sales (landline 01012345678, may call out; skill group
default) and Hotline (400 number only: never calls out). This module adds agents bob
and dave to Sales' default group; their SIP phones are SIPp.
"""
from __future__ import annotations

import pytest

from tests.integration.callcenter import CARRIER, CARRIER_HOST, Listener, local, wait_for

BOB_PHONE = local("127.0.0.41", 5310)
DAVE_PHONE = local("127.0.0.42", 5320)
CAROL_PHONE = local("127.0.0.43", 5330)
SALES_NUMBER, HOTLINE_NUMBER = "01012345678", "4001234567"


@pytest.fixture(scope="module")
def team(callcenter):
    return [callcenter.ccc_json("agent", "create", "--instance", "sales.acme", "--name", name,
                                "--skill-group", "default") for name in ("bob", "dave")]


def call_args(agent: dict, *more: str) -> list[str]:
    return [*more, "--instance", "sales.acme", "--extension", agent["extension"]]


def invites(messages: list[str]) -> list[str]:
    return [m for m in messages if m.startswith("INVITE ")]


def test_click_to_dial_rings_the_agent_then_calls_with_the_chosen_number(callcenter, team):
    cc = callcenter
    bob = team[0]
    cc.sign_out_everyone()
    cc.register(bob, BOB_PHONE, ready=False)
    callee = "1390013911" + cc.tag
    # Refused before anything rings: a number that is not one, a caller ID the agent's
    # groups may not use (the Hotline's 400 number), a 400-only instance.
    for extra, message in ((("--number", "139(0)01"), "a phone number is"),
                           (("--number", callee, "--caller-id", HOTLINE_NUMBER),
                            "not a number this agent may call out with")):
        refused = cc.ccc("call", "dial", *call_args(bob, *extra), check=False)
        assert refused.returncode == 1 and message in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    carol = cc.instances["hotline"]["admin_agent"]
    refused = cc.ccc("call", "dial", "--instance", "hotline.acme", "--extension",
                     carol["extension"], "--number", callee, check=False)
    assert refused.returncode == 1 and "may call out" in refused.stderr

    carrier = cc.answering_agent(CARRIER)
    bob_phone = cc.agent_hangs_up_after(BOB_PHONE, 3000)
    shown = cc.ccc("call", "dial", *call_args(bob, "--number", callee))
    assert f"from {SALES_NUMBER}" in shown.stdout
    bob_phone.assert_success()
    carrier.assert_success()
    [invite] = carrier.requests("INVITE")
    assert invite.startswith(f"INVITE sip:{callee}@{CARRIER_HOST}")
    from_header = next(line for line in invite.splitlines() if line.startswith("From:"))
    assert f"<sip:{SALES_NUMBER}@" in from_header
    record = cc.wait_for_record(lambda r: r["callee"] == callee)
    assert record["direction"] == "outbound" and record["agent"] == bob["extension"]
    history = cc.ccc_json("call", "history", *call_args(bob))
    assert history[0]["callee"] == callee


def test_the_server_hangs_up_an_agent_call(callcenter, team):
    cc = callcenter
    bob, dave = team
    cc.sign_out_everyone()
    cc.register(bob, BOB_PHONE)
    answering = cc.answering_agent(BOB_PHONE)
    caller = cc.ivr_caller(SALES_NUMBER, "1380013912" + cc.tag, [("pause", 500)],
                           pbx_hangs_up=True, name="caller-waits")
    cc.wait_logged(bob, "TALKING", timeout=20)
    nothing = cc.ccc("call", "hangup", *call_args(dave), check=False)
    assert nothing.returncode == 1 and "on no call" in nothing.stderr  # dave has no call
    cc.ccc("call", "hangup", *call_args(bob))
    answering.assert_success(timeout=10)  # bob's phone got the BYE
    caller.assert_success(timeout=15)
    record = cc.wait_for_record(lambda r: r["caller"] == "1380013912" + cc.tag)
    assert record["agent"] == bob["extension"] and record["disposition"] == "answered"


def test_a_blind_transfer_hands_the_caller_to_another_agent(callcenter, team):
    cc = callcenter
    bob, dave = team
    cc.sign_out_everyone()
    cc.register(bob, BOB_PHONE)
    cc.register(dave, DAVE_PHONE, ready=False)  # not in the queue: rung only by transfer
    caller_id = "1380013913" + cc.tag
    answering = cc.answering_agent(BOB_PHONE)
    caller = cc.ivr_caller(SALES_NUMBER, caller_id, [("pause", 500)], pbx_hangs_up=True,
                           name="caller-transferred")
    cc.wait_logged(bob, "TALKING", timeout=20)
    # Forged targets: another instance's or nobody's extension, dial-string specials.
    dave_listens = Listener(DAVE_PHONE)
    try:
        for extra, message in ((("--to-agent", "1999"), "no such agent"),
                               (("--to-agent", "1001&PJSIP/i2-1001"), "no such agent"),
                               (("--to-number", "1(2)3/4,5"), "a phone number is"),
                               (("--to-skill-group", "nope"), "nope")):
            refused = cc.ccc("call", "transfer", *call_args(bob, *extra), check=False)
            assert refused.returncode == 1 and message in refused.stderr, refused.stderr
    finally:
        assert invites(dave_listens.close()) == []
    assert cc.agent_state(bob)["state"] == "TALKING"  # the call went on untouched

    dave_phone = cc.agent_hangs_up_after(DAVE_PHONE, 2000)
    cc.ccc("call", "transfer", *call_args(bob, "--to-agent", dave["extension"]))
    answering.assert_success(timeout=10)   # bob's leg ended: he is free
    dave_phone.assert_success(timeout=20)  # dave answered the caller, then hung up
    [invite] = dave_phone.requests("INVITE")
    assert caller_id in invite  # dave sees who is calling
    caller.assert_success(timeout=20)


def bob_talks_to_a_caller(cc, team, caller_id: str, name: str, *extra: str):
    """bob (READY, SIP phone) answers a queue call; dave is registered, not in the queue.
    Returns bob's phone and the caller, who waits for the PBX to hang up (``extra``:
    more SIPp options for the caller)."""
    bob, dave = team
    cc.sign_out_everyone()
    cc.register(bob, BOB_PHONE)
    cc.register(dave, DAVE_PHONE, ready=False)
    answering = cc.answering_agent(BOB_PHONE)
    caller = cc.ivr_caller(SALES_NUMBER, caller_id, [("pause", 500)], True, name, CARRIER,
                           *extra)
    cc.wait_logged(bob, "TALKING", timeout=20)
    return answering, caller


def test_the_server_holds_and_retrieves_a_sip_phone_call(callcenter, team):
    cc = callcenter
    bob = team[0]
    caller_id = "1380013916" + cc.tag
    answering, caller = bob_talks_to_a_caller(cc, team, caller_id, "caller-held")
    cc.ccc("call", "hold", *call_args(bob))
    wait_for(lambda: held(cc, caller_id), "the caller on hold")
    cc.ccc("call", "retrieve", *call_args(bob))
    wait_for(lambda: not held(cc, caller_id), "the caller back with bob")
    cc.ccc("call", "hangup", *call_args(bob))
    answering.assert_success(timeout=10)
    caller.assert_success(timeout=15)


def test_an_attended_transfer_is_completed_or_cancelled(callcenter, team):
    """bob consults dave while the caller waits on hold; cancelled, bob is back with the
    caller; then consulted again and completed: the caller talks to dave."""
    cc = callcenter
    bob, dave = team
    # The caller stays through two consultations and dave's 15 s of talk: on a loaded
    # host that passed SIPp's 40 s (each `ccc` step takes seconds there).
    answering, caller = bob_talks_to_a_caller(cc, team, "1380013914" + cc.tag,
                                              "caller-consulted", "-timeout", "120s")
    nothing = cc.ccc("call", "complete", *call_args(bob), check=False)
    assert nothing.returncode == 1 and "not consulting" in nothing.stderr

    dave_phone = cc.answering_agent(DAVE_PHONE)  # answers, waits to be hung up
    cc.ccc("call", "transfer", "--attended", *call_args(bob, "--to-agent", dave["extension"]))
    wait_for(lambda: consulting(cc, bob), "bob consulting dave")
    assert held(cc, "1380013914" + cc.tag)  # the caller waits with music on hold
    cc.ccc("call", "cancel", *call_args(bob))
    dave_phone.assert_success(timeout=10)  # the consultation ended at dave's side
    wait_for(lambda: not held(cc, "1380013914" + cc.tag), "bob back with the caller")
    assert cc.agent_state(bob)["state"] == "TALKING"

    # Long enough for the steps between (a few seconds a `ccc` command on a loaded host):
    # a dave who left early ended the consultation before bob could complete it.
    dave_phone = cc.agent_hangs_up_after(DAVE_PHONE, 15000, "-timeout", "90s")
    cc.ccc("call", "transfer", "--attended", *call_args(bob, "--to-agent", dave["extension"]))
    wait_for(lambda: consulting(cc, bob), "bob consulting dave again")
    cc.ccc("call", "complete", *call_args(bob))
    answering.assert_success(timeout=10)   # bob left
    dave_phone.assert_success(timeout=40)  # dave talked to the caller, then hung up
    caller.assert_success(timeout=20)
    # One call record, with both agents in the order they talked to the caller (the
    # cancelled consultation added nobody; the consulting legs left no record of their own).
    cc.ccc("cdr", "ingest")
    records = [r for r in cc.ccc_json("cdr", "list", "--instance", "sales.acme")
               if r["caller"] == "1380013914" + cc.tag]
    assert [(r["agents"], r["disposition"]) for r in records] == [
        ([bob["extension"], dave["extension"]], "answered")]
    everyone = cc.ccc_json("cdr", "list")
    assert not [r for r in everyone if r["callee"] == dave["extension"]], everyone


def test_a_three_way_conference_ends_when_the_agent_leaves(callcenter, team):
    cc = callcenter
    bob, dave = team
    answering, caller = bob_talks_to_a_caller(cc, team, "1380013915" + cc.tag,
                                              "caller-conferenced")
    dave_phone = cc.agent_hangs_up_after(DAVE_PHONE, 12000, "-timeout", "90s")
    cc.ccc("call", "conference", *call_args(bob, "--to-agent", dave["extension"]))
    room = f"i1-{bob['extension']}"
    wait_for(lambda: participants(cc, room) == 3, "three parties in the conference")
    dave_phone.assert_success(timeout=40)  # dave talked, then left
    wait_for(lambda: participants(cc, room) == 2, "dave gone, bob and the caller stay")
    cc.ccc("call", "hangup", *call_args(bob))
    answering.assert_success(timeout=10)
    caller.assert_success(timeout=15)  # the room ended with its marked agent


def consulting(cc, agent: dict) -> bool:
    """Whether the agent's leg is bridged with a transfer target's leg (Local/...)."""
    rows = [line.split("!") for line in pbx_text(cc, "core show channels concise").splitlines()]
    rows = [fields for fields in rows if len(fields) > 12]
    mine = {f[12] for f in rows if f[0].startswith(f"PJSIP/{agent['sip_username']}-") and f[12]}
    return any(f[0].startswith("Local/") and f[12] in mine for f in rows)


def held(cc, caller: str) -> bool:
    """Whether the caller's channel is playing music on hold (the PBX's own view)."""
    text = pbx_text(cc, "core show channels concise")
    return any(fields[5] == "MusicOnHold" and fields[7] == caller
               for fields in (line.split("!") for line in text.splitlines())
               if len(fields) > 7)


def participants(cc, room: str) -> int:
    text = pbx_text(cc, f"confbridge list {room}")
    return sum(1 for line in text.splitlines() if line.startswith(("PJSIP/", "Local/")))


def pbx_text(cc, command: str) -> str:
    from concurrent.futures import ThreadPoolExecutor

    from engine.ami.client import ami_command
    from engine.settings import load_settings
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(ami_command, load_settings(cc.env), command).result(15)



def test_forged_api_requests_for_a_live_call_change_nothing(callcenter, team):
    """bob talks to a caller. Through the REST API on the live PBX: another account's
    administrator, Sales' administrator naming Hotline's agent, and targets carrying
    dial-string specials are all refused (404/422); bob's call goes on, not held."""
    import json
    import urllib.error
    import urllib.request
    from dataclasses import replace

    from tests.factories import add_token
    from serve import start_web
    from engine.settings import load_settings
    from engine.uow import transaction

    cc = callcenter
    bob, _dave = team
    caller_id = "1380013916" + cc.tag
    if not [a for a in cc.ccc_json("account", "list") if a["name"] == "globex"]:
        cc.ccc("account", "create", "globex", "--plan", "payg")
        cc.ccc("instance", "create", "--account", "globex", "--name", "Rival",
               "--domain", "rival.globex", "--number", "02087654321",
               "--number-type", "landline", "--admin", "gina")
    settings = load_settings(cc.env)
    with transaction(settings) as session:
        tokens = {"alice": add_token(session, "acme", "alice"),
                  "gina": add_token(session, "globex", "gina")}
    sales = next(i["id"] for i in cc.ccc_json("instance", "list", "--json")
                 if i["domain"] == "sales.acme")
    carol = next(a for a in cc.ccc_json("agent", "list", "--instance", "hotline.acme")
                 if a["extension"] == "1001")
    server = start_web(replace(settings, web_bind="127.0.0.1", web_port=0))

    def post(user: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/api/v1{path}", method="POST",
            data=json.dumps(body or {}).encode(),
            headers={"Authorization": f"Bearer {tokens[user]}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, {}
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def agent_id(user: str, instance: int, extension: str) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/api/v1/instances/{instance}/agents",
            headers={"Authorization": f"Bearer {tokens[user]}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return next(a["id"] for a in json.load(response) if a["extension"] == extension)

    hotline = next(i["id"] for i in cc.ccc_json("instance", "list", "--json")
                   if i["domain"] == "hotline.acme")
    try:
        # The call starts once all else is ready: on a loaded host the set-up above (an
        # instance created and applied) outlasted the phones' 40 s.
        answering, caller = bob_talks_to_a_caller(cc, team, caller_id, "caller-forged")
        bob_calls = (f"/instances/{sales}/agents/"
                     f"{agent_id('alice', sales, bob['extension'])}/calls")
        carol_id = agent_id("alice", hotline, carol["extension"])
        for user, path, body, status in (
                ("gina", bob_calls + "/release", None, 404),      # another account
                ("gina", bob_calls + "/hold", None, 404),
                ("alice", f"/instances/{sales}/agents/{carol_id}/calls/release", None, 404),
                ("alice", bob_calls + "/transfer",
                 {"kind": "agent", "target": "1001&PJSIP/i2-1001"}, 404),
                ("alice", bob_calls + "/transfer", {"kind": "number", "target": "1(2)3/4,5"}, 422),
                ("alice", bob_calls + "/transfer",
                 {"kind": "skill_group", "target": "1,2"}, 404)):
            got, error = post(user, path, body)
            assert got == status and "error" in error, (user, path, body, got, error)
        assert cc.agent_state(bob)["state"] == "TALKING"   # the call went on
        assert not held(cc, caller_id)
    finally:
        server.shutdown()
        server.server_close()
    cc.ccc("call", "hangup", *call_args(bob))
    answering.assert_success(timeout=10)
    caller.assert_success(timeout=15)
