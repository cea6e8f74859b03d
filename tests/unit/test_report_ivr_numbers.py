"""The IVR report from the AGI's run tracking, the number report from call records, and
the hold log: counted on hand-made rows in the real schema (both databases)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.calls.models import CallRecord, Direction
from engine.ivr.models import IvrFlow, IvrFlowVersion
from engine.reports.holds import hold_of, store_hold
from engine.reports.ivr import IvrOutcome, format_trail, node_figures, record_session
from engine.reports.ivr import ivr_report
from engine.reports.models import CallHold, IvrSession
from engine.reports.numbers import number_report
from tests.factories import add_account, add_instance

T0 = datetime(2026, 12, 3, 2, 0, 0)  # 10:00 on the site's clock (+08:00)
DAY = (date(2026, 12, 3), date(2026, 12, 4))


@pytest.fixture
def sales(session):
    add_account(session)
    return add_instance(session).instance


def version_of(session, instance) -> IvrFlowVersion:
    return session.scalars(select(IvrFlowVersion).join(IvrFlow)
                           .where(IvrFlow.instance_id == instance.id)).first()


def run(session, instance, call, trail, outcome, seconds=0):
    record_session(session, instance_id=instance.id,
                   flow_version_id=version_of(session, instance).id, pbx_call_id=call,
                   number="01012345678", started_at=T0 + timedelta(seconds=seconds),
                   ended_at=T0 + timedelta(seconds=seconds + 20), trail=trail,
                   outcome=outcome)


def test_callers_reaching_each_node_keys_pressed_and_drops(session, sales):
    run(session, sales, "c1", ["welcome", "menu:1", "sales"], IvrOutcome.QUEUE)
    run(session, sales, "c2", ["welcome", "menu:92", "support"], IvrOutcome.QUEUE)
    run(session, sales, "c3", ["welcome", "menu"], IvrOutcome.DROPPED)
    run(session, sales, "c4", ["welcome", "menu:3", "hours"], IvrOutcome.COMPLETED)
    # c1 comes back after its queue overflowed: one caller, a second run.
    run(session, sales, "c1", ["sales-overflow"], IvrOutcome.COMPLETED, seconds=60)
    # The same run written twice is kept once.
    run(session, sales, "c4", ["welcome", "menu:3", "hours"], IvrOutcome.COMPLETED)
    session.flush()
    assert session.scalar(select(func.count()).select_from(IvrSession)) == 5
    rows = {row["node"]: row for row in ivr_report(session, sales, *DAY, "day", 480)}
    assert rows["welcome"]["CallsReached"] == rows["menu"]["CallsReached"] == 4
    assert rows["welcome"]["CallsEntered"] == 4
    assert rows["menu"]["KeyPresses"] == {"1": 1, "2": 1, "3": 1, "9": 1}
    assert rows["menu"]["CallsDropped"] == 1 and rows["welcome"]["CallsDropped"] == 0
    assert rows["hours"]["CallsCompleted"] == 1
    assert rows["sales"]["CallsReached"] == rows["support"]["CallsReached"] == 1
    assert {row["interval_start"] for row in rows.values()} == {"2026-12-03T00:00"}
    assert all(row["flow"] for row in rows.values())


def test_a_trail_keeps_valid_steps_and_its_latest_part():
    assert format_trail(["a", "b:12", "bad step", "c:x"]) == "a/b:12"
    long = format_trail([f"node{i}:1" for i in range(200)])
    assert len(long) <= 1024 and long.endswith("node199:1") and long.split("/")[0][0] == "n"
    assert node_figures([("c", "a/a:1", "dropped")])["a"].dropped == 1


def test_the_number_report_counts_call_records(session, sales):
    def record(call, disposition, seconds, answered=True, direction=Direction.INBOUND):
        session.add(CallRecord(
            pbx_call_id=call, instance_id=sales.id, number="01012345678",
            direction=direction, started_at=T0, ended_at=T0 + timedelta(seconds=seconds),
            answered_at=T0 if answered else None, billable_seconds=seconds if answered else 0,
            disposition=disposition))
    record("n1", "answered", 60)
    record("n2", "abandoned", 20)
    record("n3", "completed_in_ivr", 10)
    record("n4", "no_answer", 30, answered=False, direction=Direction.OUTBOUND)
    session.flush()
    inbound, outbound = number_report(session, sales, *DAY, "month", 480)
    assert inbound["direction"] == "inbound" and inbound["interval_start"] == "2026-12-01T00:00"
    assert (inbound["Calls"], inbound["CallsAnswered"], inbound["CallsAbandoned"],
            inbound["CallsCompletedInIvr"], inbound["CallsUnanswered"]) == (3, 1, 1, 1, 0)
    assert inbound["AnswerRate"] == 0.3333 and inbound["AverageDuration"] == 30.0
    assert inbound["BillableTime"] == 90
    assert (outbound["Calls"], outbound["CallsAnswered"], outbound["CallsUnanswered"]) == (1, 0, 1)


def test_only_an_agents_hold_is_logged_and_once(session, sales):
    key = f"i{sales.id}"
    event = {"Channel": f"PJSIP/{key}-1001-0000002a", "Uniqueid": "a.2", "Linkedid": "c.1"}
    hold = hold_of(event, T0)
    assert (hold.instance_id, hold.pbx_call_id, hold.agent_extension) == (sales.id, "c.1", "1001")
    assert hold_of({**event, "Channel": "PJSIP/trunk-carrier-00000010"}, T0) is None
    assert hold_of({**event, "Channel": "PJSIP/i999-1001-0000002a"}, T0) is not None
    assert store_hold(session, hold, T0 + timedelta(seconds=12.5))
    assert not store_hold(session, hold, T0 + timedelta(seconds=12.5))
    unknown = hold_of({**event, "Channel": "PJSIP/i999-1001-0000002a"}, T0)
    assert not store_hold(session, unknown, T0 + timedelta(seconds=3))
    assert session.scalars(select(CallHold.seconds)).all() == [12.5]


def test_the_reports_take_holds_out_of_talk(session, sales):
    from engine.reports.ingest import store_events
    from engine.reports.queuelog import parse_line
    from engine.reports.service import agent_report, skill_group_report
    from engine.skillgroups.models import SkillGroup
    group = session.scalars(select(SkillGroup).where(SkillGroup.instance_id == sales.id)).first()
    queue, member, at = f"i{sales.id}-q{group.id}", f"i{sales.id}-1001", 1796263200
    store_events(session, [parse_line(text) for text in (
        f"{at}|h-1.4|{queue}|NONE|ENTERQUEUE||13800138000|1",
        f"{at + 4}|h-1.4|{queue}|{member}|CONNECT|4|h-1.5|3",
        f"{at + 104}|h-1.4|{queue}|{member}|COMPLETECALLER|4|100|1")])
    hold = hold_of({"Channel": f"PJSIP/i{sales.id}-1001-0000002a", "Uniqueid": "h-1.5",
                    "Linkedid": "h-1.4"}, T0 + timedelta(seconds=20))
    store_hold(session, hold, T0 + timedelta(seconds=45))
    session.flush()
    [row] = skill_group_report(session, sales, *DAY, "day", 480)
    assert (row["AverageTalkTime"], row["AverageHoldTime"]) == (75.0, 25.0)
    assert row["AverageHandleTime"] == 100.0
    [agent] = agent_report(session, sales, *DAY, "day", 480)
    assert (agent["AverageHoldTime"], agent["HoldTime"]) == (25.0, 25.0)
