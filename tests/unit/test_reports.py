"""The queue log read into queue events (idempotent), and the reports built on them."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from engine.calls.models import IngestCursor
from engine.errors import Invalid
from engine.reports.ingest import ingest_queue_log
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
    f"soon|unit-1.4|i1-q3|NONE|ENTERQUEUE||138|1",         # not a time
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
