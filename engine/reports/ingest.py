"""Queue events: ingestion from the PBX's queue log, idempotent, catching up.

The read position is kept like the call journal's (``ingest_cursor``, keyed by the
file's path, following its rotations: engine/journals/follow.py); a log truncated in
place is read again from its start, and each line's digest keeps a line read twice
from being stored twice. The visits of every call with new
events are then rebuilt from all of that call's events, so they are the same whatever
the order and the batches in which the lines were read.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.db import in_values
from engine.instances.models import Instance
from engine.journals.cursor import read_journal
from engine.reports.metrics import QueueLogEvent, queue_visits
from engine.reports.models import QueueCall, QueueEvent
from engine.reports.queuelog import QueueLogLine, parse_line
from engine.settings import Settings
from engine.skillgroups.models import SkillGroup

BATCH = 1000  # digests looked up per query (bounded IN lists on both databases)


def ingest_queue_log(session: Session, settings: Settings) -> int:
    """Read what the PBX's queues logged since the last read; return how many events
    were new."""
    lines = read_journal(session, settings.queue_log)
    parsed = [event for event in map(parse_line, lines) if event is not None]
    return store_events(session, parsed)


def store_events(session: Session, lines: list[QueueLogLine]) -> int:
    """Store the events not stored yet (by digest) whose instance exists, and rebuild
    the visits of their calls."""
    unique = list({line.digest: line for line in lines}.values())
    groups = _groups(session, {line.instance_id for line in unique})
    added, calls = 0, set()
    for start in range(0, len(unique), BATCH):
        batch = unique[start:start + BATCH]
        known = set(session.scalars(select(QueueEvent.line_digest).where(
            in_values(QueueEvent.line_digest, (line.digest for line in batch)))))
        for line in batch:
            if line.digest in known or line.instance_id not in groups:
                continue
            session.add(_event(line, groups[line.instance_id]))
            added += 1
            if line.call_id is not None:
                calls.add(line.call_id)
        session.flush()
    refresh_visits(session, calls)
    return added


def refresh_visits(session: Session, call_ids: set[str]) -> int:
    """Rebuild the stored visits of these calls from their events; return how many."""
    ids, count = sorted(call_ids), 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        rows = session.execute(
            select(QueueEvent.instance_id, QueueEvent.at, QueueEvent.call_id, QueueEvent.queue,
                   QueueEvent.skill_group_id, QueueEvent.agent_extension, QueueEvent.event,
                   QueueEvent.data1, QueueEvent.data2, QueueEvent.data3, QueueEvent.data4,
                   QueueEvent.data5)
            .where(in_values(QueueEvent.call_id, chunk))
            .order_by(QueueEvent.at, QueueEvent.id)).all()
        instance_of = {(row.call_id, row.queue): row.instance_id for row in rows}
        events = [QueueLogEvent(at=r.at, call_id=r.call_id, queue=r.queue,
                                skill_group_id=r.skill_group_id, agent=r.agent_extension,
                                event=r.event, data=(r.data1, r.data2, r.data3, r.data4, r.data5))
                  for r in rows]
        # Replaced wholesale: a call's visits are a function of its events, and the
        # rows are written in one statement rather than one object at a time.
        session.execute(delete(QueueCall).where(in_values(QueueCall.call_id, chunk)))
        visits = {}
        for visit in queue_visits(events):
            visits[(visit.call_id, visit.queue, visit.entered_at)] = {
                "call_id": visit.call_id, "queue": visit.queue, "entered_at": visit.entered_at,
                "instance_id": instance_of[(visit.call_id, visit.queue)],
                "skill_group_id": visit.skill_group_id, "outcome": visit.outcome.value,
                "agent_extension": visit.agent, "wait_seconds": visit.wait_seconds or 0.0,
                "talk_seconds": visit.talk_seconds, "rang_agent": visit.rang_agent,
                "exit_key": (visit.key or "")[:8] or None,
                "transferred_in": visit.transferred_in, "overflowed_in": visit.overflowed_in}
        if visits:
            session.execute(insert(QueueCall), list(visits.values()))
        count += len(visits)
    return count


def _groups(session: Session, instance_ids: set[int]) -> dict[int, set[int]]:
    """Existing instances among these ids -> their skill group ids."""
    if not instance_ids:
        return {}
    found = {i: set() for i in session.scalars(
        select(Instance.id).where(in_values(Instance.id, instance_ids)))}
    for group_id, instance_id in session.execute(
            select(SkillGroup.id, SkillGroup.instance_id)
            .where(in_values(SkillGroup.instance_id, found))):
        found[instance_id].add(group_id)
    return found


def _event(line: QueueLogLine, group_ids: set[int]) -> QueueEvent:
    data1, data2, data3, data4, data5 = line.data
    return QueueEvent(
        line_digest=line.digest, instance_id=line.instance_id,
        # A group of another instance is never credited, whatever the queue name says.
        skill_group_id=line.skill_group_id if line.skill_group_id in group_ids else None,
        queue=line.queue, agent_extension=line.agent_extension, event=line.event,
        call_id=line.call_id, at=line.at,
        data1=data1, data2=data2, data3=data3, data4=data4, data5=data5)
