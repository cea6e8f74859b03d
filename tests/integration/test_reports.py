"""Reports from the PBX's own queue log: calls with known outcomes on the real Asterisk
(answered, abandoned in the queue, abandoned while the agent's phone rang), the log
ingested by ``ccc serve`` (also after it was down), and the figures ``ccc report``
gives for them.

Configured (conftest): instance Sales (number 01012345678, skill group default, the
queue i1-q1) with admin agent alice (1001). The PBX site, and so its queue log, is
shared by every module and by both databases' runs; each test here starts by reading
the log to its end and forgetting what it held, so its figures are its own calls'.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, select

from engine.calls.models import IngestCursor
from engine.instances.models import Instance
from engine.reports.models import QueueCall, QueueEvent
from engine.reports.service import skill_group_report
from engine.settings import load_settings
from engine.skillgroups.models import SkillGroup
from engine.uow import transaction
from tests.integration.callcenter import CARRIER as CARRIER_ORIGIN
from tests.integration.callcenter import PORT_OFFSET, local

ALICE_PHONE = local("127.0.0.41", 5310)
# A second carrier caller beside the first: another port of the carrier's address,
# and RTP ports of its own.
SECOND_CALLER = local("127.0.0.2", 5092)
SECOND_MEDIA = ("-mp", str(16000 + 4 * PORT_OFFSET + 200))
SALES_NUMBER = "01012345678"


def period() -> tuple[str, ...]:
    # Today on the site's clock (+08:00 by default), with tomorrow as the end: a test
    # running across midnight would report its calls on two days.
    today = (datetime.now(timezone.utc) + timedelta(hours=8)).date()
    return ("--instance", "sales.acme", "--from", today.isoformat(),
            "--to", (today + timedelta(days=1)).isoformat())


def skill_group_rows(cc) -> list[dict]:
    return cc.ccc_json("report", "skillgroup", *period(), "--interval", "month")


def forget_earlier_events(cc) -> int:
    """Read the queue log to its end and drop what it held; the read position."""
    cc.ccc("report", "ingest")
    settings = load_settings(cc.env)
    with transaction(settings) as db:
        db.execute(delete(QueueEvent))
        db.execute(delete(QueueCall))
        return db.get(IngestCursor, str(settings.queue_log)).position


def wait_for_figures(cc, predicate, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = skill_group_rows(cc)
        if predicate(rows):
            return rows
        time.sleep(0.5)
    raise AssertionError(f"the report never showed the calls: {skill_group_rows(cc)}")


def test_an_answered_and_an_abandoned_call_reported_after_serve_catches_up(callcenter):
    """serve is down: the first caller is answered by alice and talks ~12 s; the second
    waits ~9 s in the queue behind it and hangs up. Once serve is back, the report
    shows them; reading the log again changes nothing."""
    cc = callcenter
    alice = cc.instances["sales"]["admin_agent"]
    cc.kill_sipps()
    cc.sign_out_everyone()
    cc.register(alice, ALICE_PHONE)
    start = forget_earlier_events(cc)
    cc.stop_serve()
    try:
        # No IVR while serve is down: the dialplan answers and queues in the default group.
        agent = cc.answering_agent(ALICE_PHONE)
        answered = cc.carrier_calls(SALES_NUMBER, "1360013600" + cc.tag, talk_ms=15000)
        time.sleep(3)  # answered is talking to alice: the next caller waits
        abandoning = cc.sipp("abandoning", "call.xml", SECOND_CALLER, SALES_NUMBER,
                             "-key", "caller", "1370013700" + cc.tag, "-d", "9000",
                             *SECOND_MEDIA)
        abandoning.assert_success()
        answered.assert_success()
        agent.assert_success()
        assert len(agent.requests("INVITE")) == 1  # alice took one call only
        assert skill_group_rows(cc) == []  # nothing ingested while serve is down
    finally:
        cc.start_serve()

    [row] = wait_for_figures(cc, lambda rows: rows and rows[0]["CallsOffered"] == 2
                             and rows[0]["CallsWaiting"] == 0 and rows[0]["AverageTalkTime"])
    assert row["skill_group"] == "default"
    assert (row["CallsOffered"], row["CallsHandled"], row["CallsAbandoned"]) == (2, 1, 1)
    assert row["CallsAbandonedInQueue"] == 1 and row["CallsAbandonedShort"] == 0
    assert row["CallsTimeout"] == row["CallsExitedByKey"] == row["CallsBlocked"] == 0
    assert row["HandleRate"] == row["AbandonRate"] == 0.5
    assert row["ServiceLevel"] == 0.5  # the answered call within 20 s, of 2 offered
    assert 0 <= row["AverageWaitTime"] <= 3          # alice answers at once
    assert 10 <= row["AverageTalkTime"] <= 16        # ~15 s after the PBX answered
    assert 6 <= row["AverageAbandonTime"] <= 11      # ~9 s in the queue
    [agent_row] = cc.ccc_json("report", "agent", *period(), "--interval", "month")
    assert agent_row["agent"] == alice["extension"] and agent_row["CallsHandled"] == 1
    assert agent_row["AverageTalkTime"] == row["AverageTalkTime"]

    # Ingestion again, and the same lines read again from before the calls: no change.
    assert cc.ccc("report", "ingest").stdout == "0 queue events added\n"
    settings = load_settings(cc.env)
    with transaction(settings) as db:
        db.get(IngestCursor, str(settings.queue_log)).position = start
    assert cc.ccc("report", "ingest").stdout == "0 queue events added\n"
    assert skill_group_rows(cc) == [row]


def test_a_caller_who_hangs_up_while_the_agent_rings_is_an_abandon_while_ringing(callcenter):
    """alice's phone rings and is never answered; the caller gives up after ~8 s in the
    queue, while it still rings (a queue rings an agent 15 s)."""
    cc = callcenter
    alice = cc.instances["sales"]["admin_agent"]
    cc.kill_sipps()
    cc.sign_out_everyone()
    cc.register(alice, ALICE_PHONE)
    forget_earlier_events(cc)
    ringing = cc.sipp("alice-lets-it-ring", "ring_no_answer.xml", ALICE_PHONE)
    time.sleep(0.3)
    # ~3 s of welcome prompt, then ~8 s in the queue.
    cc.carrier_calls(SALES_NUMBER, "1380013811" + cc.tag, talk_ms=11000).assert_success()
    ringing.assert_success()
    [row] = wait_for_figures(cc, lambda rows: rows and rows[0]["CallsOffered"] == 1
                             and rows[0]["CallsWaiting"] == 0)
    assert row["CallsAbandoned"] == row["CallsAbandonedRinging"] == 1
    assert row["CallsAbandonedInQueue"] == row["CallsHandled"] == 0
    assert 5 <= row["AverageAbandonTime"] <= 10


# ---- every outcome, on the Hotline instance (number 4001234567, admin agent carol) -----
HOTLINE = "hotline.acme"
HOTLINE_NUMBER = "4001234567"
CAROL_PHONE = local("127.0.0.43", 5340)
THIRD_CALLER = local("127.0.0.2", 5094)
THIRD_MEDIA = ("-mp", str(16000 + 4 * PORT_OFFSET + 240))
# Key 1: the default group (8 s wait at most); key 2: the group "empty", which nobody
# is signed in to: its callers wait 5 s, then overflow to the default group.
OUTCOMES_FLOW = {"format": 1, "nodes": [
    {"id": "start", "type": "start"},
    {"id": "menu", "type": "menu", "text": "Press 1 or 2.", "timeout": 3, "retries": 0},
    # Longer than the 8 s that B and C wait before they hang up, by enough that a loaded
    # host's late hang-up is still an abandon, not a timeout.
    {"id": "to_default", "type": "transfer_skill_group", "skill_group": "default",
     "timeout": 12},
    {"id": "to_empty", "type": "transfer_skill_group", "skill_group": "empty",
     "timeout": 5},
    {"id": "bye", "type": "hangup", "reason": "no key"}],
    "edges": [{"from": "start", "to": "menu"},
              {"from": "menu", "to": "to_default", "when": "1"},
              {"from": "menu", "to": "to_empty", "when": "2"},
              {"from": "menu", "to": "bye", "when": "timeout"}]}


def hotline_rows(cc, kind: str) -> list[dict]:
    return cc.ccc_json("report", kind, *period()[2:], "--instance", HOTLINE,
                       "--interval", "month")


def caller(cc, name, key, seconds, origin=CARRIER_ORIGIN, media=(), pbx_hangs_up=False):
    steps = [("pause", 1200), ("keys", key)]
    if not pbx_hangs_up:
        steps.append(("pause", int(seconds * 1000)))
    return cc.ivr_caller(HOTLINE_NUMBER, f"13900{name}{cc.tag}", steps, pbx_hangs_up,
                         f"caller-{name}", origin, *media)


def hotline_report(settings) -> list[dict]:
    with transaction(settings) as db:
        instance = db.scalars(select(Instance).where(Instance.domain == HOTLINE)).one()
        start, end = (date.fromisoformat(day) for day in period()[3::2])
        return skill_group_report(db, instance, start, end, "month",
                                  settings.billing_utc_offset_minutes)


def queue_of(cc, group: str) -> str:
    with transaction(load_settings(cc.env)) as db:
        return db.scalars(select(SkillGroup).join(Instance)
                          .where(Instance.domain == HOTLINE, SkillGroup.name == group)
                          ).one().queue_name


def wait_for_log_line(cc, text: str, since: int, timeout: float = 20) -> None:
    """Until the PBX's queue log holds a line with ``text`` after byte ``since``."""
    path = load_settings(cc.env).queue_log
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "rb") as log:
            log.seek(since)
            if text.encode() in log.read():
                return
        time.sleep(0.1)
    raise AssertionError(f"the queue log never showed {text!r}")


def test_every_outcome_in_the_skill_group_agent_and_ivr_reports(callcenter):
    """Through a menu: answered after ~2.5 s of ringing (A), abandoned while carol's
    phone rings (B), abandoned in the queue and timed out while she is on a break (C,
    D), blocked in a group nobody is signed in to, timed out there and answered after
    the overflow (E). serve is stopped while E waits and started after it ended: the
    figures are the same, and reading the log again adds nothing."""
    cc = callcenter
    carol = cc.instances["hotline"]["admin_agent"]
    cc.kill_sipps()
    cc.sign_out_everyone()
    cc.ccc("skillgroup", "create", "--instance", HOTLINE, "--name", "empty")
    cc.ccc("skillgroup", "update", "--instance", HOTLINE, "--name", "empty",
           "--overflow", "default")
    cc.publish_flow(HOTLINE, "outcomes", OUTCOMES_FLOW, bind=HOTLINE_NUMBER)
    cc.register(carol, CAROL_PHONE)
    start = forget_earlier_events(cc)

    phone = cc.sipp("carol-rings-then-answers", "ring_then_answer.xml", CAROL_PHONE)
    caller(cc, "01", "1", 8).assert_success()                     # A
    phone.assert_success()
    phone = cc.sipp("carol-lets-it-ring", "ring_no_answer.xml", CAROL_PHONE)
    caller(cc, "02", "1", 8).assert_success()                     # B
    phone.assert_success()
    cc.agent_state(carol, "break", "--code", "Rest")
    in_queue = caller(cc, "03", "1", 8)                            # C
    timing_out = caller(cc, "04", "1", 0, SECOND_CALLER, SECOND_MEDIA, pbx_hangs_up=True)
    in_queue.assert_success()
    timing_out.assert_success()                                    # D
    cc.agent_state(carol, "ready")
    phone = cc.answering_agent(CAROL_PHONE)
    overflowing = caller(cc, "05", "2", 12, THIRD_CALLER, THIRD_MEDIA)   # E
    # Once E waits in "empty" the IVR has decided: serve (and ingestion) may go.
    wait_for_log_line(cc, f"|{queue_of(cc, 'empty')}|NONE|ENTERQUEUE|", start)
    cc.stop_serve()
    try:
        overflowing.assert_success()
        phone.assert_success()
    finally:
        cc.start_serve()

    def settled(rows):
        return (len(rows) == 2 and sum(r["CallsOffered"] for r in rows) == 6
                and all(r["CallsWaiting"] == 0 for r in rows)
                and all(r["AverageTalkTime"] for r in rows if r["CallsHandled"]))
    # Polled in this process (a ccc per look costs seconds on a loaded host); the
    # figures asserted are the command's.
    settings = load_settings(cc.env)
    deadline = time.monotonic() + 20
    while not settled(hotline_report(settings)) and time.monotonic() < deadline:
        time.sleep(0.5)
    rows = hotline_rows(cc, "skillgroup")
    by_group = {row["skill_group"]: row for row in rows}
    default, empty = by_group["default"], by_group["empty"]
    assert {k: default[k] for k in COUNTS} == {
        "CallsOffered": 5, "CallsHandled": 2, "CallsAbandoned": 2,
        "CallsAbandonedInQueue": 1, "CallsAbandonedRinging": 1, "CallsAbandonedShort": 0,
        "CallsTimeout": 1, "CallsExitedByKey": 0, "CallsExitedEmpty": 0, "CallsWaiting": 0,
        "CallsBlocked": 0, "CallsTransferredIn": 0, "CallsOverflowedIn": 1}, default
    assert default["HandleRate"] == default["AbandonRate"] == 0.4
    assert default["ServiceLevel"] == 0.4          # A and E, both well within 20 s
    assert 1 <= default["AverageWaitTime"] <= 4    # (~2.5 s + ~0 s) / 2
    assert 5 <= default["AverageAbandonTime"] <= 10
    assert 3 <= default["AverageTalkTime"] <= 9    # A ~5 s, E ~6 s after the overflow
    assert default["AverageHoldTime"] == 0.0 and default["AverageWorkTime"] == 0.0
    assert default["AverageHandleTime"] == default["AverageTalkTime"]
    assert {k: empty[k] for k in COUNTS} == {
        "CallsOffered": 1, "CallsHandled": 0, "CallsAbandoned": 0,
        "CallsAbandonedInQueue": 0, "CallsAbandonedRinging": 0, "CallsAbandonedShort": 0,
        "CallsTimeout": 1, "CallsExitedByKey": 0, "CallsExitedEmpty": 0, "CallsWaiting": 0,
        "CallsBlocked": 1, "CallsTransferredIn": 0, "CallsOverflowedIn": 0}, empty
    assert empty["HandleRate"] == empty["ServiceLevel"] == 0.0
    assert empty["AverageWaitTime"] is None and empty["AverageHandleTime"] is None

    [agent] = hotline_rows(cc, "agent")
    assert agent["agent"] == carol["extension"]
    assert (agent["CallsHandled"], agent["CallsRingNoAnswer"]) == (2, 0)
    assert agent["AverageWaitTime"] == default["AverageWaitTime"]
    assert agent["AverageTalkTime"] == default["AverageTalkTime"]
    assert agent["AverageHoldTime"] == 0.0 and agent["HoldTime"] == 0.0
    assert agent["BreakTime"]["Rest"] >= 5        # C and D waited through it
    assert agent["SignedInTime"] > 0

    ivr = {row["node"]: row for row in hotline_rows(cc, "ivr")}
    assert ivr["menu"]["CallsEntered"] == ivr["menu"]["CallsReached"] == 5
    assert ivr["menu"]["KeyPresses"] == {"1": 4, "2": 1}
    assert ivr["to_default"]["CallsReached"] == 4 and ivr["to_empty"]["CallsReached"] == 1
    assert sum(row["CallsDropped"] for row in ivr.values()) == 0

    # Read again, and from before the calls: nothing new, the same figures.
    assert cc.ccc("report", "ingest").stdout == "0 queue events added\n"
    with transaction(settings) as db:
        db.get(IngestCursor, str(settings.queue_log)).position = start
    assert cc.ccc("report", "ingest").stdout == "0 queue events added\n"
    assert hotline_rows(cc, "skillgroup") == rows


COUNTS = ("CallsOffered", "CallsHandled", "CallsAbandoned", "CallsAbandonedInQueue",
          "CallsAbandonedRinging", "CallsAbandonedShort", "CallsTimeout", "CallsExitedByKey",
          "CallsExitedEmpty", "CallsWaiting", "CallsBlocked", "CallsTransferredIn",
          "CallsOverflowedIn")
