"""What the IVR runtime asks the database during a call (engine-agnostic).

A call runs one published version from its first node to its last: a new call takes
the number's latest version; a call that comes back from the dialplan (queue overflow,
the agent hung up...) names the version it runs and gets exactly that one.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from engine.agents.models import Agent
from engine.db import in_values
from engine.instances.models import Instance
from engine.ivr.interpreter import LoadedFlow
from engine.ivr.models import FlowState, IvrFlow, IvrFlowVersion
from engine.numbers.models import Number
from engine.skillgroups.service import find_skill_group


# Each flow's latest published version number.
_LATEST = (select(IvrFlowVersion.flow_id, func.max(IvrFlowVersion.version).label("number"))
           .where(IvrFlowVersion.state == FlowState.PUBLISHED)
           .group_by(IvrFlowVersion.flow_id).subquery("latest"))


@dataclass(frozen=True)
class CallPlan:
    instance_id: int
    flow_version_id: int
    document: dict
    # goto_flow targets: the instance's published flows by name, read once per session
    # so the interpreter never waits on the database in the middle of a step.
    flows: dict[str, LoadedFlow] = field(default_factory=dict)

    @property
    def pbx_key(self) -> str:
        return Instance.pbx_key_for(self.instance_id)


@dataclass(frozen=True)
class QueueTarget:
    queue: str
    timeout: int


def plan_for_number(session: Session | Connection, digits: str) -> CallPlan | None:
    """The flow version a new call to ``digits`` runs; kept for the whole call.

    A plan is kept in memory with the stamp of what it was made from (see
    ``_PLAN_STAMP``); a call asks the database only for the stamp, and the plan is made
    again when the stamp differs: a publication, a binding, a deleted instance."""
    stamp = session.execute(_PLAN_STAMP, {"digits": digits}).first()
    if stamp is None:
        return None
    stamp = tuple(stamp)
    with _plans_lock:
        kept = _plans.get(digits)
        if kept is not None and kept[0] == stamp:
            _plans.move_to_end(digits)
            return kept[1]
    plan = _read_plan_for_number(session, digits)
    with _plans_lock:
        _plans[digits] = (stamp, plan)
        while len(_plans) > PLANS_KEPT:
            _plans.popitem(last=False)
    return plan


# What a number's plan is made from, in one row: the number's instance and flow, and
# the instance's published versions (how many, the highest id, the newest creation
# time). Published versions are only ever added, never changed or deleted on their own;
# a new publication changes the count, a deleted and re-made instance (SQLite may give
# the old ids again) the creation time. Built once: every call asks it, and building
# the statement (and its cache key) cost more than running it.
_PLAN_STAMP = (select(Number.instance_id, Number.inbound_flow_id,
                      func.count(IvrFlowVersion.id), func.max(IvrFlowVersion.id),
                      func.max(IvrFlowVersion.created_at))
               .select_from(Number)
               .outerjoin(IvrFlow, IvrFlow.instance_id == Number.instance_id)
               .outerjoin(IvrFlowVersion, (IvrFlowVersion.flow_id == IvrFlow.id)
                          & (IvrFlowVersion.state == FlowState.PUBLISHED))
               .where(Number.digits == bindparam("digits"))
               .group_by(Number.instance_id, Number.inbound_flow_id))


def _read_plan_for_number(session: Session | Connection, digits: str) -> CallPlan | None:
    """One query: the instance's latest published versions, among them the number's
    flow's."""
    rows = session.execute(
        select(Number.instance_id, Number.inbound_flow_id, IvrFlow.name, *_KEY_COLUMNS)
        .join(IvrFlow, IvrFlow.instance_id == Number.instance_id)
        .join(IvrFlowVersion, IvrFlowVersion.flow_id == IvrFlow.id)
        .join(_LATEST, (_LATEST.c.flow_id == IvrFlowVersion.flow_id)
              & (_LATEST.c.number == IvrFlowVersion.version))
        .where(Number.digits == digits)).all()
    mine = next((row for row in rows if row.flow_id == row.inbound_flow_id), None)
    if mine is None:
        return None
    flows = _loaded(session, rows)
    return CallPlan(mine.instance_id, mine.id, flows[mine.name].document, flows)


def instance_of_number(session: Session | Connection, digits: str) -> int | None:
    """The instance a dialled number belongs to (None: nobody's)."""
    return session.scalar(select(Number.instance_id).where(Number.digits == digits))


def plan_for_version(session: Session | Connection, version_id: int) -> CallPlan | None:
    """The very version a call in progress started with, never the flow's latest one."""
    row = session.execute(
        select(IvrFlow.instance_id, *_KEY_COLUMNS)
        .join(IvrFlow, IvrFlow.id == IvrFlowVersion.flow_id)
        .where(IvrFlowVersion.id == version_id,
               IvrFlowVersion.state == FlowState.PUBLISHED)).first()
    return None if row is None else _plan(session, row.instance_id, _key(row))


def _plan(session: Session, instance_id: int, key: _VersionKey) -> CallPlan:
    return CallPlan(instance_id, key.id, _document(session, key),
                    published_flows(session, instance_id))


def published_flows(session: Session, instance_id: int) -> dict[str, LoadedFlow]:
    """What goto_flow may enter: each flow's latest published version, by flow name."""
    return _loaded(session, session.execute(
        select(IvrFlow.name, *_KEY_COLUMNS)
        .join(IvrFlowVersion, IvrFlowVersion.flow_id == IvrFlow.id)
        .join(_LATEST, (_LATEST.c.flow_id == IvrFlowVersion.flow_id)
              & (_LATEST.c.number == IvrFlowVersion.version))
        .where(IvrFlow.instance_id == instance_id)))


def _loaded(session: Session, rows) -> dict[str, LoadedFlow]:
    rows = list(rows)
    documents = _documents_of(session, [_key(row) for row in rows])
    return {row.name: LoadedFlow(str(row.id), documents[_key(row)]) for row in rows}


# ---- published documents, parsed once -------------------------------------------------
# A published version never changes, so its parsed document is kept in memory and a call
# reads only the versions' keys from the database, never their text. The key holds more
# than the row id: SQLite may give a deleted row's id to a new row, never with the same
# flow, number and creation time as well. Callers only read the documents.
_KEY_COLUMNS = (IvrFlowVersion.id, IvrFlowVersion.flow_id, IvrFlowVersion.version,
                IvrFlowVersion.created_at)
DOCUMENTS_KEPT = 512


@dataclass(frozen=True)
class _VersionKey:
    id: int
    flow_id: int
    version: int
    created_at: object


def _key(row) -> _VersionKey:
    return _VersionKey(row.id, row.flow_id, row.version, row.created_at)


_documents: OrderedDict[_VersionKey, dict] = OrderedDict()
_documents_lock = threading.Lock()


def _document(session: Session, key: _VersionKey) -> dict:
    return _documents_of(session, [key])[key]


def _documents_of(session: Session, keys: list[_VersionKey]) -> dict[_VersionKey, dict]:
    """The parsed documents of these versions: kept ones from memory, the others read
    in one query and kept."""
    found: dict[_VersionKey, dict] = {}
    with _documents_lock:
        for key in keys:
            if key in _documents:
                _documents.move_to_end(key)
                found[key] = _documents[key]
    missing = {key.id: key for key in keys if key not in found}
    if missing:
        rows = session.execute(select(IvrFlowVersion.id, IvrFlowVersion.definition)
                               .where(in_values(IvrFlowVersion.id, missing)))
        read = {missing[row.id]: json.loads(row.definition) for row in rows}
        found.update(read)
        with _documents_lock:
            _documents.update(read)
            while len(_documents) > DOCUMENTS_KEPT:
                _documents.popitem(last=False)
    return found


def forget_documents() -> None:
    """Drop every kept document and plan (benchmarks measure the first read with it)."""
    with _documents_lock:
        _documents.clear()
    with _plans_lock:
        _plans.clear()


# ---- numbers' plans, with the stamp they were made from -------------------------------
PLANS_KEPT = 4096
_plans: OrderedDict[str, tuple[tuple, CallPlan | None]] = OrderedDict()
_plans_lock = threading.Lock()


def queue_for(session: Session, instance_id: int, skill_group: str) -> QueueTarget | None:
    """The queue of a skill group of the call's own instance (never another's)."""
    instance = session.get(Instance, instance_id)
    group = find_skill_group(session, instance, skill_group) if instance else None
    return QueueTarget(group.queue_name, group.wait_timeout) if group else None


def agent_endpoint(session: Session, instance_id: int, extension: str) -> str | None:
    """The SIP endpoint of an agent of the call's own instance (never another's)."""
    agent = session.scalar(select(Agent).where(Agent.instance_id == instance_id,
                                               Agent.extension == extension))
    return agent.sip_username if agent else None
