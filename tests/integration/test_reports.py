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
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete

from engine.calls.models import IngestCursor
from engine.reports.models import QueueCall, QueueEvent
from engine.settings import load_settings
from engine.uow import transaction
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
