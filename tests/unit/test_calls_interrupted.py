"""Calls the PBX died during (engine/calls/interrupted.py), on SQLite and PostgreSQL: a
noted start with no record becomes one interrupted record once the PBX has started
again, never twice, never a call of the PBX's current run, and a journal row that comes
after all replaces the interrupted outcome."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from engine.calls.interrupted import Start, StartNotes, note_starts, reconcile
from engine.calls.models import CallRecord, CallStart
from engine.calls.service import ingest
from engine.instances.service import get_instance
from tests.factories import add_account, add_instance
from tests.unit.test_journal import journal_line

T0 = datetime(2026, 12, 3, 10, 0, 0)
BOOT = T0 + timedelta(minutes=5)  # the PBX died and started again here


def start(call_id: str, at: datetime, instance_id=None) -> Start:
    return Start(call_id, instance_id, "01012345678", "13800138000", at)


def records(session) -> dict[str, CallRecord]:
    return {r.pbx_call_id: r for r in session.scalars(select(CallRecord))}


def test_a_call_of_an_earlier_run_with_no_record_is_recorded_interrupted(session):
    add_account(session)
    add_instance(session)
    sales = get_instance(session, "sales.acme")
    assert note_starts(session, [start("c1", T0, sales.id), start("c2", BOOT + timedelta(
        seconds=3), sales.id)]) == 2
    assert reconcile(session, BOOT) == 1
    found = records(session)
    assert set(found) == {"c1"}  # c2 belongs to the PBX's current run: maybe still up
    record = found["c1"]
    assert record.disposition == "interrupted" and record.instance_id == sales.id
    assert record.direction.value == "inbound" and record.caller == "13800138000"
    assert record.number == record.callee == "01012345678"
    assert record.answered_at is None and record.billable_seconds == 0
    assert record.agent_extension is None
    # Again: nothing new; the start of the recorded call is forgotten, c2's is kept.
    assert reconcile(session, BOOT) == 0
    assert len(records(session)) == 1
    assert set(session.scalars(select(CallStart.pbx_call_id))) == {"c2"}
    # A start noted again (a retried batch) is still one.
    assert note_starts(session, [start("c2", BOOT + timedelta(seconds=3))]) == 0


def test_a_call_whose_record_the_journal_holds_is_not_interrupted(session, settings):
    call = "e2e-1795476100.0"
    note_starts(session, [start(call, T0)])
    settings.cdr_file.parent.mkdir(parents=True, exist_ok=True)
    settings.cdr_file.write_text(journal_line(call) + "\n")
    ingest(session, settings)
    assert reconcile(session, BOOT) == 0
    assert records(session)[call].disposition == "abandoned"
    assert session.scalar(select(func.count()).select_from(CallStart)) == 0


def test_a_row_that_comes_after_all_replaces_the_interrupted_outcome(session, settings):
    call = "e2e-1795476100.0"
    note_starts(session, [start(call, T0)])
    reconcile(session, BOOT)
    settings.cdr_file.parent.mkdir(parents=True, exist_ok=True)
    settings.cdr_file.write_text(journal_line(call) + "\n")
    ingest(session, settings)
    [record] = records(session).values()
    assert record.disposition == "abandoned" and record.ended_at is not None


def test_notes_wait_for_a_database_that_answers(settings):
    notes = StartNotes(settings)
    notes.note(start("c1", T0))
    batch = notes.take()
    assert notes.take() == []
    notes.note(start("c2", T0))
    notes.put_back(batch)  # the write failed: the notes go back, oldest first
    assert [s.pbx_call_id for s in notes.take()] == ["c1", "c2"]
    assert notes.write([start("c1", T0), start("c1", T0)]) == 1
