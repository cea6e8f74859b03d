"""Queue events: ingestion from the PBX's queue log, idempotent, catching up.

The read position is kept like the call journal's (``ingest_cursor``, keyed by the
file's path); a replaced log is read again from its start, and each line's digest
keeps a line read twice from being stored twice.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calls.journal import read_new_lines
from engine.calls.models import IngestCursor
from engine.instances.models import Instance
from engine.reports.models import QueueEvent
from engine.reports.queuelog import QueueLogLine, parse_line
from engine.settings import Settings
from engine.skillgroups.models import SkillGroup

BATCH = 1000  # digests looked up per query (bounded IN lists on both databases)


def ingest_queue_log(session: Session, settings: Settings) -> int:
    """Read what the PBX's queues logged since the last read; return how many events
    were new."""
    source = str(settings.queue_log)
    cursor = session.get(IngestCursor, source) or IngestCursor(source=source, position=0)
    session.add(cursor)
    lines, cursor.position = read_new_lines(settings.queue_log, cursor.position)
    parsed = [event for event in map(parse_line, lines) if event is not None]
    return store_events(session, parsed)


def store_events(session: Session, lines: list[QueueLogLine]) -> int:
    """Store the events not stored yet (by digest) whose instance exists."""
    unique = list({line.digest: line for line in lines}.values())
    groups = _groups(session, {line.instance_id for line in unique})
    added = 0
    for start in range(0, len(unique), BATCH):
        batch = unique[start:start + BATCH]
        known = set(session.scalars(select(QueueEvent.line_digest).where(
            QueueEvent.line_digest.in_([line.digest for line in batch]))))
        for line in batch:
            if line.digest in known or line.instance_id not in groups:
                continue
            session.add(_event(line, groups[line.instance_id]))
            added += 1
        session.flush()
    return added


def _groups(session: Session, instance_ids: set[int]) -> dict[int, set[int]]:
    """Existing instances among these ids -> their skill group ids."""
    if not instance_ids:
        return {}
    found = {i: set() for i in session.scalars(
        select(Instance.id).where(Instance.id.in_(instance_ids)))}
    for group_id, instance_id in session.execute(
            select(SkillGroup.id, SkillGroup.instance_id)
            .where(SkillGroup.instance_id.in_(found))):
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
