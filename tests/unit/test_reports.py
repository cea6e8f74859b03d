"""The queue log read into queue events (idempotent), and the reports built on them."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.agents.models import Agent
from engine.agentstate.models import AgentStateChange
from engine.calls.models import IngestCursor
from engine.errors import Invalid
from engine.reports.ingest import ingest_queue_log, store_events
from engine.reports.metrics import (QueueLogEvent, queue_visits, refused_calls,
                                    skill_group_figures)
from engine.reports.models import QueueEvent
from engine.reports.queuelog import parse_line
from engine.reports.service import agent_report, skill_group_report
from engine.skillgroups.models import SkillGroup
from engine.skillgroups.service import create_skill_group
from tests.factories import add_account, add_instance

# 2026-12-03 10:00:00 on the site's clock (+08:00) is 02:00:00 UTC.
AT = 1796263200


def line(offset, call, queue, agent, event, *data) -> str:
    return "|".join([str(AT + offset), call, queue, agent, event, *map(str, data)])


def test_a_connect_line():
    parsed = parse_line(line(7, "unit-1.4", "i1-q3", "i1-1001", "CONNECT", 7, "unit-1.5", 3))
    assert parsed.at == datetime(2026, 12, 3, 2, 0, 7)
    assert (parsed.instance_id, parsed.skill_group_id, parsed.agent_extension) == (1, 3, "1001")
    assert parsed.call_id == "unit-1.4" and parsed.event == "CONNECT"
    assert parsed.data == ("7", "unit-1.5", "3", "", "")


@pytest.mark.parametrize("text", [
    f"{AT}|NONE|NONE|NONE|QUEUESTART|",                    # the PBX's own start
    f"{AT}|unit-1.4|support|NONE|ENTERQUEUE||138|1",       # a queue that is not ours
    f"{AT}|unit-1.4|i1-q3|NONE",                           # cut by a crash
    "soon|unit-1.4|i1-q3|NONE|ENTERQUEUE||138|1",         # not a time
    f"{AT}|unit-1.4|i1-q3|NONE|enterqueue||138|1",         # not an event name
    f"{AT}|{'x' * 65}|i1-q3|NONE|ENTERQUEUE||138|1",       # a call id past its column
])
def test_lines_that_are_not_events_of_our_queues(text):
    assert parse_line(text) is None


def test_member_events_carry_no_call_and_extra_fields_stay_in_the_last():
    parsed = parse_line(line(0, "NONE", "i1-q3", "i1-1001", "PAUSE", "", "Meal", "a", "b", "c|d"))
    assert parsed.call_id is None and parsed.data == ("", "Meal", "a", "b", "c|d")
    member = parse_line(line(0, "NONE", "i1-q3", "PJSIP/i1-1001", "ADDMEMBER"))
    assert member.agent_extension is None


def write_log(settings, *lines) -> None:
    settings.queue_log.parent.mkdir(parents=True, exist_ok=True)
    with open(settings.queue_log, "a", encoding="utf-8") as log:
        log.write("".join(text + "\n" for text in lines))


def calls_of(group_id: int, instance_key: str = "i1") -> list[str]:
    queue = f"{instance_key}-q{group_id}"
    member = f"{instance_key}-1001"
    return [line(0, "unit-1.4", queue, "NONE", "ENTERQUEUE", "", "13800138000", 1),
            line(1, "unit-1.6", queue, "NONE", "ENTERQUEUE", "", "13800138001", 2),
            line(8, "unit-1.4", queue, member, "CONNECT", 8, "unit-1.5", 3),
            line(13, "unit-1.6", queue, "NONE", "ABANDON", 1, 2, 12),
            line(38, "unit-1.4", queue, member, "COMPLETECALLER", 8, 30, 1)]


@pytest.fixture
def sales(session):
    add_account(session)
    return add_instance(session).instance


def test_ingesting_twice_or_from_the_start_again_stores_each_event_once(settings, session,
                                                                     sales):
    group_id = _default_group_id(session, sales)
    write_log(settings, f"{AT}|NONE|NONE|NONE|QUEUESTART|", *calls_of(group_id, sales.pbx_key))
    assert ingest_queue_log(session, settings) == 5
    assert ingest_queue_log(session, settings) == 0
    session.get(IngestCursor, str(settings.queue_log)).position = 0  # read it all again
    assert ingest_queue_log(session, settings) == 0
    assert session.scalar(select(func.count()).select_from(QueueEvent)) == 5
    connect = session.scalar(select(QueueEvent).where(QueueEvent.event == "CONNECT"))
    assert (connect.instance_id, connect.skill_group_id) == (sales.id, group_id)
    assert connect.agent_extension == "1001" and connect.data1 == "8"


def test_a_line_still_being_written_waits_for_its_end(settings, session, sales):
    group_id = _default_group_id(session, sales)
    first, second = calls_of(group_id, sales.pbx_key)[:2]
    settings.queue_log.parent.mkdir(parents=True, exist_ok=True)
    settings.queue_log.write_text(first + "\n" + second[:20])
    assert ingest_queue_log(session, settings) == 1
    settings.queue_log.write_text(first + "\n" + second + "\n")
    assert ingest_queue_log(session, settings) == 1


def test_events_of_unknown_instances_are_skipped_and_other_instances_groups_not_credited(
        settings, session, sales):
    other = add_instance(session, name="Other", domain="other.acme", number="01012345679",
                         admin="bob").instance
    other_group = create_skill_group(session, other, "vip").id
    write_log(settings, *calls_of(other_group, sales.pbx_key)[:1],
              *calls_of(1, "i999")[:1])
    assert ingest_queue_log(session, settings) == 1
    [event] = session.scalars(select(QueueEvent))
    assert event.instance_id == sales.id and event.skill_group_id is None


def _default_group_id(session, instance) -> int:
    return session.scalar(select(SkillGroup.id).where(
        SkillGroup.instance_id == instance.id, SkillGroup.name == "default"))


def test_the_skill_group_report_of_a_day(settings, session, sales):
    group_id = _default_group_id(session, sales)
    write_log(settings, *calls_of(group_id, sales.pbx_key))
    ingest_queue_log(session, settings)
    [row] = skill_group_report(session, sales, date(2026, 12, 3), date(2026, 12, 4), "day",
                               480)
    assert row["interval_start"] == "2026-12-03T00:00" and row["skill_group"] == "default"
    assert (row["CallsOffered"], row["CallsHandled"], row["CallsAbandoned"]) == (2, 1, 1)
    assert row["AverageWaitTime"] == 8.0 and row["AverageTalkTime"] == 30.0
    assert row["ServiceLevel"] == 0.5 and row["service_level_seconds"] == 20


def test_intervals_follow_the_sites_clock(settings, session, sales):
    group_id = _default_group_id(session, sales)
    write_log(settings, *calls_of(group_id, sales.pbx_key))
    ingest_queue_log(session, settings)
    assert skill_group_report(session, sales, date(2026, 12, 2), date(2026, 12, 3), "day",
                              480) == []           # 10:00 on the 3rd, not the 2nd
    hours = skill_group_report(session, sales, date(2026, 12, 3), date(2026, 12, 4),
                               "hour", 480)
    months = skill_group_report(session, sales, date(2026, 12, 1), date(2027, 1, 1),
                                "month", 0)
    assert [r["interval_start"] for r in hours] == ["2026-12-03T10:00"]
    assert [r["interval_start"] for r in months] == ["2026-12-01T00:00"]


def test_the_agent_report_of_a_day(settings, session, sales):
    group_id = _default_group_id(session, sales)
    write_log(settings, *calls_of(group_id, sales.pbx_key))
    ingest_queue_log(session, settings)
    [row] = agent_report(session, sales, date(2026, 12, 3), date(2026, 12, 4), "day", 480)
    assert row["agent"] == "1001" and row["agent_name"] == "alice"
    assert row["CallsHandled"] == 1 and row["AverageTalkTime"] == 30.0


@pytest.mark.parametrize("start, end, interval", [
    (date(2026, 12, 3), date(2026, 12, 3), "day"),
    (date(2026, 12, 3), date(2026, 12, 4), "week"),
    (date(2025, 1, 1), date(2026, 12, 4), "month"),
])
def test_bad_periods_are_refused(session, sales, start, end, interval):
    with pytest.raises(Invalid):
        skill_group_report(session, sales, start, end, interval, 480)


def every_outcome(default: int, other: int, key: str = "i1") -> list[str]:
    """Lines with each way a visit can go, in two groups of one instance."""
    a, b, member = f"{key}-q{default}", f"{key}-q{other}", f"{key}-1001"
    return [
        line(0, "u-1.1", a, "NONE", "ENTERQUEUE", "", "1", 1),          # handled in 19 s
        line(18, "u-1.1", a, member, "RINGNOANSWER", 15000),
        line(19, "u-1.1", a, member, "CONNECT", 19, "u-1.2", 1),
        line(79, "u-1.1", a, member, "COMPLETEAGENT", 19, 60, 1),
        line(0, "u-2.1", a, "NONE", "ENTERQUEUE", "", "2", 2),          # handled in 25 s
        line(25, "u-2.1", a, member, "CONNECT", 25, "u-2.2", 1),        # still talking
        line(1, "u-3.1", a, "NONE", "ENTERQUEUE", "", "3", 3),          # short abandon
        line(4, "u-3.1", a, "NONE", "ABANDON", 1, 3, 3),
        line(2, "u-4.1", a, "NONE", "ENTERQUEUE", "", "4", 3),          # abandoned ringing
        line(14, "u-4.1", a, member, "RINGCANCELED", 2000),
        line(14, "u-4.1", a, "NONE", "ABANDON", 1, 3, 12),
        line(3, "u-5.1", a, "NONE", "ENTERQUEUE", "", "5", 3),          # key, then waiting
        line(9, "u-5.1", a, "NONE", "EXITWITHKEY", "1", 1, 3, 6),
        line(4, "u-6.1", a, "NONE", "ENTERQUEUE", "", "6", 4),          # overflow, handled
        line(64, "u-6.1", a, "NONE", "EXITWITHTIMEOUT", 1, 4, 60),
        line(64, "u-6.1", b, "NONE", "ENTERQUEUE", "", "6", 1),
        line(70, "u-6.1", b, member, "CONNECT", 6, "u-6.2", 1),
        line(100, "u-6.1", b, member, "BLINDTRANSFER", "q1", "ctx", 6, 30, 1),
        line(101, "u-6.1", a, "NONE", "ENTERQUEUE", "", "6", 1),         # transferred back in
        line(5, "u-7.1", a, "NONE", "ENTERQUEUE", "", "7", 5),           # abandoned in queue
        line(35, "u-7.1", a, "NONE", "ABANDON", 1, 5, 30),
        line(6, "u-8.1", a, "NONE", "JOINEMPTY", 1, "", ""),             # refused
    ]


def test_the_database_sums_visits_as_the_metrics_module_counts_them(settings, session, sales):
    default = _default_group_id(session, sales)
    other = create_skill_group(session, sales, "vip")
    session.flush()
    lines = every_outcome(default, other.id, sales.pbx_key)
    assert store_events(session, [parse_line(text) for text in lines]) == len(lines)
    rows = {r["skill_group"]: r for r in skill_group_report(
        session, sales, date(2026, 12, 3), date(2026, 12, 4), "day", 480)}
    events = [QueueLogEvent(at=p.at, call_id=p.call_id, queue=p.queue,
                            skill_group_id=p.skill_group_id, agent=p.agent_extension,
                            event=p.event, data=p.data) for p in map(parse_line, lines)]
    visits = queue_visits(events)
    for name, group_id in (("default", default), ("vip", other.id)):
        mine = [v for v in visits if v.skill_group_id == group_id]
        refused = len([e for e in refused_calls(events) if e.skill_group_id == group_id])
        expected = skill_group_figures(mine, refused)
        assert {k: rows[name][k] for k in expected} == expected, name
    default_row = rows["default"]
    # Plain numbers on both databases (a NUMERIC sum would reach JSON as Decimal).
    assert {type(value) for value in default_row.values()} <= {int, float, str, type(None)}
    assert (default_row["CallsOffered"], default_row["CallsHandled"]) == (8, 2)
    assert default_row["CallsAbandonedShort"] == 1 and default_row["CallsAbandonedRinging"] == 1
    assert default_row["CallsTimeout"] == default_row["CallsExitedByKey"] == 1
    assert default_row["CallsBlocked"] == 1 and default_row["CallsTransferredIn"] == 1
    assert rows["vip"]["CallsOverflowedIn"] == 1 and rows["vip"]["AverageTalkTime"] == 30.0
    [agent] = agent_report(session, sales, date(2026, 12, 3), date(2026, 12, 4), "day", 480)
    assert agent["CallsHandled"] == 3 and agent["CallsRingNoAnswer"] == 1
    assert agent["AverageWaitTime"] == round((19 + 25 + 6) / 3, 1)
    assert agent["AverageTalkTime"] == 45.0   # 60 and 30; the call still talking not yet


def test_after_call_work_from_the_state_log_counts_for_the_group_and_the_agent(
        settings, session, sales):
    group_id = _default_group_id(session, sales)
    store_events(session, [parse_line(text) for text in calls_of(group_id, sales.pbx_key)])
    alice = session.scalar(select(Agent).where(Agent.instance_id == sales.id,
                                               Agent.extension == "1001"))
    at = datetime(2026, 12, 3, 2, 0, 0)
    for seconds, state in ((-60, "READY"), (8, "TALKING"), (38, "WORKING"), (68, "READY"),
                           (3600 * 12, "OFFLINE")):
        session.add(AgentStateChange(agent_id=alice.id, instance_id=sales.id, state=state,
                                     at=at + timedelta(seconds=seconds)))
    session.flush()
    [group] = skill_group_report(session, sales, date(2026, 12, 3), date(2026, 12, 4), "day",
                                 480)
    assert group["AverageWorkTime"] == 30.0 and group["AverageHandleTime"] == 60.0
    [agent] = agent_report(session, sales, date(2026, 12, 3), date(2026, 12, 4), "day", 480)
    assert agent["WorkTime"] == 30.0 and agent["StateTime"]["TALKING"] == 30.0
    assert agent["SignedInTime"] == 3600 * 12 + 60  # signed in 09:59, out at 22:00
    assert agent["OccupancyRate"] == round(60 / (3600 * 12 + 60), 4)
