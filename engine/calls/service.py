"""Call records: ingestion from the PBX's journal (idempotent, catches up) and listing."""
from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calls.journal import CdrRow, parse_line
from engine.calls.merge import COMPLETED_IN_IVR, DERIVED, MergedCall, merge_row
from engine.calls.models import (CallRecord, CallRecordAgent, Direction, SurveyScore,
                                 Voicemail)
from engine.db import in_values
from engine.errors import Invalid
from engine.instances.models import Instance
from engine.journals.cursor import read_journal
from engine.settings import Settings
from engine.messages import N_


def ingest(session: Session, settings: Settings) -> int:
    """Read what the PBX journaled since the last read; return how many calls changed.

    Rows are merged into the call record of their linked id, so a row read twice, or
    a journal read again from the start, changes nothing. What a batch needs from the
    database (its calls' records so far, their agents, the instances) is read in three
    queries, and its records written together: a busy PBX journals calls faster than
    one round of queries per call could keep up with.
    """
    lines = read_journal(session, settings.cdr_file)
    calls: OrderedDict[str, list[CdrRow]] = OrderedDict()
    for line in lines:
        row = parse_line(line)
        if row is not None and 0 < len(row.linkedid) <= _length("pbx_call_id"):
            calls.setdefault(row.linkedid, []).append(row)
    if not calls:
        session.flush()
        return 0
    records = {r.pbx_call_id: r for r in session.scalars(
        select(CallRecord).where(in_values(CallRecord.pbx_call_id, calls)))}
    talked: dict[int, dict[str, CallRecordAgent]] = {}
    if records:
        for agent in session.scalars(select(CallRecordAgent).where(
                in_values(CallRecordAgent.call_record_id, (r.id for r in records.values())))):
            talked.setdefault(agent.call_record_id, {})[agent.extension] = agent
    merged_calls = []
    for linkedid, rows in calls.items():
        record = records.get(linkedid)
        mine = talked.get(record.id, {}) if record else {}
        merged = _from_record(record, mine) if record else MergedCall(pbx_call_id=linkedid)
        for row in rows:
            merge_row(merged, row)
        if merged.started_at is not None:
            merged_calls.append((merged, record, mine))
    instances = _instance_ids(session, {m.instance_key for m, _, _ in merged_calls})
    stored = []
    for merged, record, mine in merged_calls:
        record = _store(session, merged, record, instances.get(merged.instance_key))
        stored.append((merged, record, mine))
    session.flush()   # the new records' ids, in one batch
    for merged, record, mine in stored:
        _store_agents(session, merged, record, mine)
    session.flush()
    return len(calls)


def _store(session: Session, merged: MergedCall, record: CallRecord | None,
           instance_id: int | None) -> CallRecord:
    if record is None:
        record = CallRecord(pbx_call_id=merged.pbx_call_id)
    record.instance_id = instance_id
    record.direction = Direction(merged.direction or "internal")
    record.number = _fit("number", merged.number)
    record.caller, record.callee = _fit("caller", merged.caller), _fit("callee", merged.callee)
    record.started_at, record.answered_at = merged.started_at, merged.answered_at
    record.ended_at = merged.ended_at
    record.billable_seconds = merged.billable_seconds
    record.disposition = merged.disposition
    record.agent_extension = _fit("agent_extension", merged.agent_extension)
    record.refusal_reason = _fit("refusal_reason", merged.refusal_reason)
    session.add(record)
    return record


def _store_agents(session: Session, merged: MergedCall, record: CallRecord,
                  talked: dict[str, CallRecordAgent]) -> None:
    for extension, since in merged.agents.items():
        if len(extension) > _AGENT_EXTENSION:
            continue
        row = talked.get(extension) or CallRecordAgent(call_record_id=record.id,
                                                       extension=extension)
        row.answered_at = since
        session.add(row)


def _length(column: str) -> int:
    return CallRecord.__table__.c[column].type.length


def _fit(column: str, value: str | None) -> str | None:
    # The PBX writes what callers send: a caller ID longer than its column is cut
    # rather than refused, or PostgreSQL would stop ingestion at that line for ever.
    return value[:_length(column)] if value is not None else None


_AGENT_EXTENSION = CallRecordAgent.__table__.c.extension.type.length


def _from_record(record: CallRecord, talked: dict[str, CallRecordAgent]) -> MergedCall:
    return MergedCall(
        pbx_call_id=record.pbx_call_id, started_at=record.started_at,
        answered_at=record.answered_at, ended_at=record.ended_at,
        outcome="answered" if record.disposition in DERIVED else record.disposition,
        direction=record.direction.value,
        instance_key=Instance.pbx_key_for(record.instance_id) if record.instance_id else None,
        number=record.number, caller=record.caller, callee=record.callee,
        agent_extension=record.agent_extension, refusal_reason=record.refusal_reason,
        agents={extension: row.answered_at for extension, row in talked.items()},
        tags={"end": "ivr"} if record.disposition == COMPLETED_IN_IVR else {})


def _instance_ids(session: Session, keys: set[str | None]) -> dict[str, int]:
    """The existing instances among these PBX keys, by key (one query)."""
    wanted = {key: Instance.id_from_pbx_key(key) for key in keys if key}
    wanted = {key: found for key, found in wanted.items() if found is not None}
    if not wanted:
        return {}
    existing = set(session.scalars(
        select(Instance.id).where(in_values(Instance.id, wanted.values()))))
    return {key: found for key, found in wanted.items() if found in existing}


def list_call_records(session: Session, instance: Instance | None = None,
                      limit: int = 100) -> list[CallRecord]:
    query = select(CallRecord).order_by(CallRecord.started_at.desc(), CallRecord.id.desc())
    if instance is not None:
        query = query.where(CallRecord.instance_id == instance.id)
    return list(session.scalars(query.limit(limit)))


def agents_of(session: Session, records: list[CallRecord]) -> dict[int, list[str]]:
    """The agents who talked on each of these calls, in the order they began: record id ->
    extensions."""
    agents: dict[int, list[str]] = {record.id: [] for record in records}
    if records:
        for row in session.scalars(
                select(CallRecordAgent).where(in_values(CallRecordAgent.call_record_id, agents))
                .order_by(CallRecordAgent.answered_at, CallRecordAgent.extension)):
            agents[row.call_record_id].append(row.extension)
    return agents


def talked_on(agent_extension: str):
    """A query condition: the call record is one the agent with this extension talked on
    (within a query already limited to the agent's instance)."""
    return CallRecord.id.in_(select(CallRecordAgent.call_record_id)
                             .where(CallRecordAgent.extension == agent_extension))


# ---- what the IVR stores with a call ---------------------------------------------------

SURVEY_SCORES = range(1, 6)


def save_voicemail(session: Session, pbx_call_id: str, instance_id: int | None, path: str,
                   seconds: int) -> Voicemail:
    """Keep a caller's recorded message with the call (joined to its record by linked id)."""
    _check_call_id(pbx_call_id)
    message = Voicemail(pbx_call_id=pbx_call_id, instance_id=instance_id, path=path,
                        seconds=max(0, int(seconds)))
    session.add(message)
    session.flush()
    return message


def save_survey(session: Session, pbx_call_id: str, instance_id: int | None,
                score: int) -> SurveyScore:
    """Keep the caller's 1-5 score; a second survey in the same call replaces the first."""
    _check_call_id(pbx_call_id)
    if score not in SURVEY_SCORES:
        raise Invalid(N_("a survey score is 1 to 5, not %(score)r", score=score))
    row = session.scalar(select(SurveyScore).where(SurveyScore.pbx_call_id == pbx_call_id))
    row = row or SurveyScore(pbx_call_id=pbx_call_id, instance_id=instance_id)
    row.score = score
    session.add(row)
    session.flush()
    return row


def ivr_results(session: Session, pbx_call_ids: list[str]) -> dict[str, dict]:
    """Voicemail messages and survey scores of these calls: linked id -> what they hold."""
    results = {call_id: {"voicemail": [], "survey_score": None} for call_id in pbx_call_ids}
    if not pbx_call_ids:
        return results
    for message in session.scalars(select(Voicemail)
                                   .where(in_values(Voicemail.pbx_call_id, pbx_call_ids))
                                   .order_by(Voicemail.id)):
        results[message.pbx_call_id]["voicemail"].append(
            {"path": message.path, "seconds": message.seconds})
    for row in session.scalars(select(SurveyScore)
                               .where(in_values(SurveyScore.pbx_call_id, pbx_call_ids))):
        results[row.pbx_call_id]["survey_score"] = row.score
    return results


def _check_call_id(pbx_call_id: str) -> None:
    if not 0 < len(pbx_call_id) <= _length("pbx_call_id"):
        raise Invalid(N_("invalid PBX call id %(pbx_call_id)r", pbx_call_id=pbx_call_id))
