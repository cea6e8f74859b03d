"""Calls the PBX never recorded because it died during them: recorded as interrupted.

The PBX writes a call's record when the call ends. Killed with calls up, it writes none
for them, and once it runs again nothing on its side remembers them. The IVR saw each
inbound call begin (``note_starts``, written off the call's path); after the PBX has
started again, and once ingestion has read its journal, a call that began under an
earlier run of the PBX and still has no record can never get one: it is recorded as
``interrupted`` (``reconcile``), neither lost nor counted as answered. Both steps are
idempotent: a start noted twice is one row, a call reconciled twice is one record, and
a record that the journal brings after all (a clock set back, a PBX that did not die)
merges into the interrupted one and replaces its outcome (engine/calls/merge.py ranks
``interrupted`` lowest).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.calls.models import CallRecord, CallStart, Direction
from engine.db import in_values
from engine.instances.models import Instance

INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Start:
    pbx_call_id: str
    instance_id: int | None
    number: str | None
    caller: str
    started_at: datetime


def _fit(column: str, value: str | None) -> str | None:
    length = CallStart.__table__.c[column].type.length
    return value[:length] if value is not None else None


def note_starts(session: Session, starts: list[Start]) -> int:
    """Keep these starts (those not kept already); return how many were new."""
    wanted = {s.pbx_call_id: s for s in starts if 0 < len(s.pbx_call_id) <= 64}
    if not wanted:
        return 0
    known = set(session.scalars(select(CallStart.pbx_call_id)
                                .where(in_values(CallStart.pbx_call_id, wanted))))
    instances = set(session.scalars(select(Instance.id).where(in_values(Instance.id,
        {s.instance_id for s in wanted.values() if s.instance_id is not None}))))
    new = [s for call_id, s in wanted.items() if call_id not in known]
    if new:
        # One insert (Core, no ORM object per start): ccc serve writes a second's starts
        # at once, every second, and an object per start cost more than the insert.
        session.flush()
        session.execute(insert(CallStart.__table__), [
            dict(pbx_call_id=start.pbx_call_id,
                 instance_id=start.instance_id if start.instance_id in instances else None,
                 number=_fit("number", start.number), caller=_fit("caller", start.caller) or "",
                 started_at=start.started_at) for start in new])
    return len(new)


def reconcile(session: Session, pbx_started_at: datetime) -> int:
    """Record as interrupted every noted call that began before the PBX's current run
    and has no record; forget the starts whose call has a record. Call it only after
    ingestion has read the journal the PBX wrote before it died. Returns how many calls
    were recorded as interrupted."""
    recorded = select(CallRecord.pbx_call_id).where(
        CallRecord.pbx_call_id == CallStart.pbx_call_id).exists()
    orphans = list(session.scalars(select(CallStart).where(
        CallStart.started_at < pbx_started_at, ~recorded)))
    for start in orphans:
        session.add(CallRecord(
            pbx_call_id=start.pbx_call_id, instance_id=start.instance_id,
            direction=Direction.INBOUND, number=start.number, caller=start.caller,
            callee=start.number or "", started_at=start.started_at, answered_at=None,
            ended_at=None, billable_seconds=0, disposition=INTERRUPTED))
    session.flush()
    session.execute(delete(CallStart).where(recorded)
                    .execution_options(synchronize_session=False))
    return len(orphans)


class StartNotes:
    """The starts the IVR sees, written to the database in batches off the calls' path
    (every second in ``ccc serve``): noting a start never delays a caller, and a
    database that does not answer only delays the notes, kept for the next try.

    ``note``, ``take`` and ``put_back`` run on the event loop; ``write`` in a thread."""

    KEEP = 100_000  # notes kept while the database is down; the oldest go first

    def __init__(self, settings):
        self.settings = settings
        self.pending: list[Start] = []

    def note(self, start: Start) -> None:
        self.pending.append(start)
        del self.pending[:-self.KEEP]

    def take(self) -> list[Start]:
        batch, self.pending = self.pending, []
        return batch

    def put_back(self, batch: list[Start]) -> None:
        self.pending[:0] = batch
        del self.pending[:-self.KEEP]

    def write(self, batch: list[Start]) -> int:
        from engine.uow import transaction
        with transaction(self.settings) as session:
            return note_starts(session, batch)
