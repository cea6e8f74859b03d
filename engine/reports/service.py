"""Historical reports over the ingested journals, by skill group and by agent.

The figures are those of ``engine.reports.metrics``: the database sums the stored
visits (``QueueCall``) per interval with ``metrics.visit_sums``, and ``Figures`` turns
the sums into figures. Intervals are cut on the site's clock: 15 minutes, hours and
days in the database from the epoch, months by adding up days here.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.agents.models import Agent
from engine.agentstate.models import AgentStateChange
from engine.billing.sqltime import epoch_seconds
from engine.instances.models import Instance
from engine.reports import metrics
from engine.reports.intervals import check_period, interval_start, next_start, utc_bounds
from engine.reports.metrics import AgentCalls, Figures, QueueVisit, StateChange, StatePeriod
from engine.reports.models import CallHold, QueueCall, QueueEvent
from engine.skillgroups.models import SkillGroup

# Seconds of each interval the database cuts; a month is made of its days.
SLOT_SECONDS = {"15m": 900, "hour": 3600, "day": 86400, "month": 86400}
EPOCH = datetime(1970, 1, 1)
# How far before the period an agent's last call may have entered, for the after-call
# work that follows it to be credited to that call's group.
LONGEST_CALL = timedelta(hours=12)


def slot_of(column, interval: str, offset_minutes: int):
    """The interval a UTC time falls in, as a whole number (SQL)."""
    return (epoch_seconds(column) + offset_minutes * 60) // SLOT_SECONDS[interval]


def slot_start(slot: int, interval: str) -> datetime:
    local = EPOCH + timedelta(seconds=int(slot) * SLOT_SECONDS[interval])
    return local.replace(day=1) if interval == "month" else local


def skill_group_report(session: Session, instance: Instance, start: date, end: date,
                       interval: str, offset_minutes: int) -> list[dict]:
    """One row per skill group and interval with calls: the skill group figures."""
    check_period(start, end, interval)
    groups = {g.id: g for g in session.scalars(
        select(SkillGroup).where(SkillGroup.instance_id == instance.id))}
    rows = skill_group_figures(session, instance, start, end, interval, offset_minutes)
    report = []
    for (at, key), figures in sorted(rows.items(), key=lambda item: (item[0][0],
                                                                     str(item[0][1]))):
        group = groups.get(key) if isinstance(key, int) else None
        report.append({
            "interval_start": at.isoformat(timespec="minutes"),
            "skill_group": group.name if group else str(key),
            "skill_group_id": group.id if group else None,
            "service_level_seconds": (group.service_level_seconds if group
                                      else metrics.DEFAULT_SERVICE_LEVEL_SECONDS),
            **figures.as_dict()})
    return report


def skill_group_figures(session: Session, instance: Instance, start: date, end: date,
                        interval: str, offset_minutes: int) -> dict[tuple, Figures]:
    """The counts behind the skill group report: (interval start, skill group id, or the
    queue's name for a deleted group) -> Figures. The wallboard's figures of today are
    these over today, so the two faces cannot disagree."""
    since, until = utc_bounds(start, end, offset_minutes)
    level = func.coalesce(SkillGroup.service_level_seconds,
                          metrics.DEFAULT_SERVICE_LEVEL_SECONDS)
    sums = metrics.visit_sums(QueueCall, level)
    slot = slot_of(QueueCall.entered_at, interval, offset_minutes).label("slot")
    query = (select(slot, QueueCall.skill_group_id, QueueCall.queue,
                    *(value.label(name) for name, value in sums.items()))
             .outerjoin(SkillGroup, SkillGroup.id == QueueCall.skill_group_id)
             .where(QueueCall.instance_id == instance.id, QueueCall.entered_at >= since,
                    QueueCall.entered_at < until)
             .group_by(slot, QueueCall.skill_group_id, QueueCall.queue))
    rows: dict[tuple, Figures] = defaultdict(Figures)
    for found in session.execute(query).mappings():
        key = (slot_start(found["slot"], interval), found["skill_group_id"] or found["queue"])
        rows[key] += Figures(**{name: found[name] for name in sums})
    for (at, group_key), refused in _refused(session, instance.id, since, until, interval,
                                             offset_minutes).items():
        rows[(at, group_key)] += Figures(blocked=refused)
    for (at, group_key), seconds in _work(session, instance.id, since, until, interval,
                                          offset_minutes).items():
        rows[(at, group_key)] += Figures(work_total=seconds)
    for (at, group_key, _agent), seconds in _held(session, instance.id, since, until,
                                                   interval, offset_minutes).items():
        rows[(at, group_key)] += Figures(hold_total=seconds)
    return dict(rows)


def _held(session, instance_id, since, until, interval, offset_minutes) -> dict:
    """Hold seconds of handled visits whose talk ended, by interval (of the visit's
    entry), group and agent: the holds its agent made on that call."""
    # Holds begin after their call entered the queue, at most a call's length later;
    # found through their own index first (most periods have few or none).
    held_within = (CallHold.instance_id == instance_id, CallHold.started_at >= since,
                   CallHold.started_at < until + LONGEST_CALL)
    if session.scalar(select(CallHold.id).where(*held_within).limit(1)) is None:
        return {}
    slot = slot_of(QueueCall.entered_at, interval, offset_minutes).label("slot")
    query = (select(slot, QueueCall.skill_group_id, QueueCall.queue, QueueCall.agent_extension,
                    func.sum(CallHold.seconds))
             .join(CallHold, (CallHold.pbx_call_id == QueueCall.call_id)
                   & (CallHold.agent_extension == QueueCall.agent_extension))
             .where(*held_within, QueueCall.instance_id == instance_id,
                    QueueCall.entered_at >= since, QueueCall.entered_at < until,
                    QueueCall.outcome == metrics.Outcome.HANDLED.value,
                    QueueCall.talk_seconds.is_not(None))
             .group_by(slot, QueueCall.skill_group_id, QueueCall.queue,
                       QueueCall.agent_extension))
    held: dict[tuple, float] = defaultdict(float)
    for found_slot, group_id, queue, agent, seconds in session.execute(query):
        held[(slot_start(found_slot, interval), group_id or queue, agent)] += float(seconds or 0)
    return held


def _refused(session, instance_id, since, until, interval, offset_minutes) -> dict:
    """Calls the queues refused at the door, by interval and group."""
    slot = slot_of(QueueEvent.at, interval, offset_minutes).label("slot")
    query = (select(slot, QueueEvent.skill_group_id, QueueEvent.queue, func.count())
             .where(QueueEvent.instance_id == instance_id, QueueEvent.at >= since,
                    QueueEvent.at < until, QueueEvent.event.in_(metrics.REFUSED))
             .group_by(slot, QueueEvent.skill_group_id, QueueEvent.queue))
    counts: dict[tuple, int] = defaultdict(int)
    for found_slot, group_id, queue, count in session.execute(query):
        counts[(slot_start(found_slot, interval), group_id or queue)] += count
    return counts


def _work(session, instance_id, since, until, interval, offset_minutes) -> dict:
    """After-call work seconds by interval (of the work's start) and group."""
    periods = [p for p in _state_periods(session, instance_id, since, until)
               if p.state == "WORKING"]
    if not periods:
        return {}
    agents = {p.agent for p in periods}
    handled = [QueueVisit(call_id="", queue=queue, skill_group_id=group_id,
                          entered_at=entered_at, outcome=metrics.Outcome.HANDLED, agent=agent)
               for agent, group_id, queue, entered_at in session.execute(
                   select(QueueCall.agent_extension, QueueCall.skill_group_id, QueueCall.queue,
                          QueueCall.entered_at)
                   .where(QueueCall.instance_id == instance_id,
                          QueueCall.outcome == metrics.Outcome.HANDLED.value,
                          QueueCall.agent_extension.in_(agents),
                          QueueCall.entered_at >= since - LONGEST_CALL,
                          QueueCall.entered_at < until))]
    seconds: dict[tuple, float] = defaultdict(float)
    for group_id, works in metrics.work_by_skill_group(periods, handled).items():
        for period in works:
            at = interval_start(period.start, interval, offset_minutes)
            seconds[(at, group_id)] += period.seconds
    return seconds


def agent_report(session: Session, instance: Instance, start: date, end: date,
                 interval: str, offset_minutes: int) -> list[dict]:
    """One row per agent and interval with activity: the agent figures."""
    check_period(start, end, interval)
    since, until = utc_bounds(start, end, offset_minutes)
    names = dict(session.execute(select(Agent.extension, Agent.name)
                                 .where(Agent.instance_id == instance.id)).all())
    calls: dict[tuple, AgentCalls] = defaultdict(AgentCalls)
    sums = metrics.agent_sums(QueueCall)
    slot = slot_of(QueueCall.entered_at, interval, offset_minutes).label("slot")
    for found in session.execute(
            select(slot, QueueCall.agent_extension,
                   *(value.label(name) for name, value in sums.items()))
            .where(QueueCall.instance_id == instance.id, QueueCall.entered_at >= since,
                   QueueCall.entered_at < until, QueueCall.agent_extension.is_not(None))
            .group_by(slot, QueueCall.agent_extension)).mappings():
        key = (slot_start(found["slot"], interval), found["agent_extension"])
        calls[key] += AgentCalls(**{name: found[name] for name in sums})
    slot = slot_of(QueueEvent.at, interval, offset_minutes).label("slot")
    for found_slot, extension, count in session.execute(
            select(slot, QueueEvent.agent_extension, func.count())
            .where(QueueEvent.instance_id == instance.id, QueueEvent.at >= since,
                   QueueEvent.at < until, QueueEvent.event == metrics.RING_NO_ANSWER,
                   QueueEvent.agent_extension.is_not(None))
            .group_by(slot, QueueEvent.agent_extension)):
        calls[(slot_start(found_slot, interval), extension)] += AgentCalls(
            rang_unanswered=count)
    for (at, _group, extension), seconds in _held(session, instance.id, since, until,
                                                   interval, offset_minutes).items():
        calls[(at, extension)] += AgentCalls(hold_total=seconds)
    periods: dict[tuple, list[StatePeriod]] = defaultdict(list)
    for period in _state_periods(session, instance.id, since, until):
        for at, piece in _split(period, interval, offset_minutes):
            if piece.state != "OFFLINE":
                periods[(at, piece.agent)].append(piece)
    return [{"interval_start": at.isoformat(timespec="minutes"), "agent": extension,
             "agent_name": names.get(extension),
             **metrics.agent_figures(calls.get((at, extension), AgentCalls()),
                                     periods.get((at, extension), []))}
            for at, extension in sorted(set(calls) | set(periods))]


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
