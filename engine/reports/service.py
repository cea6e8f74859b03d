"""Historical reports over the ingested journals, by skill group and by agent.

The figures are those of ``engine.reports.metrics``; this module only loads an
instance's events of a period and cuts them into intervals on the site's clock.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.agents.models import Agent
from engine.agentstate.models import AgentStateChange
from engine.instances.models import Instance
from engine.reports import metrics
from engine.reports.intervals import check_period, interval_start, next_start, utc_bounds
from engine.reports.metrics import QueueLogEvent, StateChange, StatePeriod
from engine.reports.models import QueueEvent
from engine.skillgroups.models import SkillGroup

# How long after the period's end a call that entered in it is followed, for how it
# ended and how long it talked.
LONGEST_CALL = timedelta(hours=12)


def skill_group_report(session: Session, instance: Instance, start: date, end: date,
                       interval: str, offset_minutes: int) -> list[dict]:
    """One row per skill group and interval with calls: the skill group figures."""
    check_period(start, end, interval)
    since, until = utc_bounds(start, end, offset_minutes)
    events = _queue_events(session, instance.id, since, until)
    visits = [v for v in metrics.queue_visits(events) if since <= v.entered_at < until]
    periods = _state_periods(session, instance.id, since, until)
    groups = {g.id: g for g in session.scalars(
        select(SkillGroup).where(SkillGroup.instance_id == instance.id))}

    def slot(group_id, queue, at):
        return interval_start(at, interval, offset_minutes), group_id or queue

    rows: dict[tuple, dict] = defaultdict(lambda: {"visits": [], "refused": 0, "works": []})
    for visit in visits:
        rows[slot(visit.skill_group_id, visit.queue, visit.entered_at)]["visits"].append(visit)
    for event in metrics.refused_calls(events):
        if since <= event.at < until:
            rows[slot(event.skill_group_id, event.queue, event.at)]["refused"] += 1
    for group_id, works in metrics.work_by_skill_group(periods, visits).items():
        for period in works:
            rows[slot(group_id, None, period.start)]["works"].append(period.seconds)
    report = []
    for (local_start, key), found in sorted(rows.items(),
                                            key=lambda item: (item[0][0], str(item[0][1]))):
        group = groups.get(key) if isinstance(key, int) else None
        level = group.service_level_seconds if group else metrics.DEFAULT_SERVICE_LEVEL_SECONDS
        report.append({
            "interval_start": local_start.isoformat(timespec="minutes"),
            "skill_group": group.name if group else str(key),
            "skill_group_id": group.id if group else None,
            "service_level_seconds": level,
            **metrics.skill_group_figures(found["visits"], found["refused"], found["works"],
                                          level)})
    return report


def agent_report(session: Session, instance: Instance, start: date, end: date,
                 interval: str, offset_minutes: int) -> list[dict]:
    """One row per agent and interval with activity: the agent figures."""
    check_period(start, end, interval)
    since, until = utc_bounds(start, end, offset_minutes)
    events = _queue_events(session, instance.id, since, until)
    visits = [v for v in metrics.queue_visits(events) if since <= v.entered_at < until]
    names = dict(session.execute(select(Agent.extension, Agent.name)
                                 .where(Agent.instance_id == instance.id)).all())
    rows: dict[tuple, dict] = defaultdict(lambda: {"visits": [], "periods": [], "rna": 0})
    for visit in visits:
        if visit.agent:
            at = interval_start(visit.entered_at, interval, offset_minutes)
            rows[(at, visit.agent)]["visits"].append(visit)
    for event in events:
        if event.event == metrics.RING_NO_ANSWER and event.agent and since <= event.at < until:
            rows[(interval_start(event.at, interval, offset_minutes), event.agent)]["rna"] += 1
    for period in _state_periods(session, instance.id, since, until):
        for at, piece in _split(period, interval, offset_minutes):
            if piece.state != "OFFLINE":
                rows[(at, piece.agent)]["periods"].append(piece)
    return [{"interval_start": at.isoformat(timespec="minutes"), "agent": extension,
             "agent_name": names.get(extension),
             **metrics.agent_figures(found["visits"], found["periods"], found["rna"])}
            for (at, extension), found in sorted(rows.items())]


def _queue_events(session: Session, instance_id: int, since: datetime,
                  until: datetime) -> list[QueueLogEvent]:
    rows = session.execute(
        select(QueueEvent.at, QueueEvent.call_id, QueueEvent.queue, QueueEvent.skill_group_id,
               QueueEvent.agent_extension, QueueEvent.event, QueueEvent.data1,
               QueueEvent.data2, QueueEvent.data3, QueueEvent.data4, QueueEvent.data5)
        .where(QueueEvent.instance_id == instance_id, QueueEvent.at >= since,
               QueueEvent.at < until + LONGEST_CALL)
        .order_by(QueueEvent.at, QueueEvent.id))
    return [QueueLogEvent(at=r[0], call_id=r[1], queue=r[2], skill_group_id=r[3], agent=r[4],
                          event=r[5], data=tuple(r[6:11])) for r in rows]


def _state_periods(session: Session, instance_id: int, since: datetime,
                   until: datetime) -> list[StatePeriod]:
    """The agents' state periods within [since, until), from the state log: the changes
    in it, and each agent's last change before it (the state it began in)."""
    last_before = (select(AgentStateChange.agent_id, func.max(AgentStateChange.at).label("at"))
                   .where(AgentStateChange.instance_id == instance_id,
                          AgentStateChange.at < since)
                   .group_by(AgentStateChange.agent_id).subquery())
    columns = (Agent.extension, AgentStateChange.state, AgentStateChange.at,
               AgentStateChange.break_code)
    within = (select(*columns).join(Agent, Agent.id == AgentStateChange.agent_id)
              .where(AgentStateChange.instance_id == instance_id,
                     AgentStateChange.at >= since, AgentStateChange.at < until))
    before = (select(*columns).join(Agent, Agent.id == AgentStateChange.agent_id)
              .join(last_before, (last_before.c.agent_id == AgentStateChange.agent_id)
                    & (last_before.c.at == AgentStateChange.at)))
    changes = [StateChange(agent=r[0], state=r[1], at=r[2], break_code=r[3])
               for query in (before, within) for r in session.execute(query)]
    return metrics.state_periods(changes, since, until)


def _split(period: StatePeriod, interval: str, offset_minutes: int):
    """A state period cut at interval boundaries: (interval start, piece) pairs."""
    shift = timedelta(minutes=offset_minutes)
    local = interval_start(period.start, interval, offset_minutes)
    begins = period.start
    while begins < period.end:
        ends = min(next_start(local, interval) - shift, period.end)
        yield local, StatePeriod(period.agent, period.state, period.break_code, begins, ends)
        local, begins = next_start(local, interval), ends
