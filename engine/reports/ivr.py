"""The IVR's per-call tracking, and the flow report made from it.

The AGI server writes one ``IvrSession`` row when a run of a flow ends (the only
database write it adds to a call); the report counts, per flow and node, the callers
who reached the node, the keys they pressed there, and where they dropped.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.db import in_values
from engine.instances.models import Instance
from engine.ivr.models import IvrFlow, IvrFlowVersion
from engine.reports.intervals import check_period, interval_start, utc_bounds
from engine.reports.models import IvrSession
from engine.validation import IVR_STEP_RE

TRAIL_LENGTH = IvrSession.__table__.c.trail.type.length
NUMBER_LENGTH = IvrSession.__table__.c.number.type.length


class IvrOutcome(enum.StrEnum):
    QUEUE = "queue"          # handed to a skill group's queue
    AGENT = "agent"          # handed to one agent
    EXTERNAL = "external"    # handed to an outside number
    COMPLETED = "completed"  # the flow itself ended the call (completed in the IVR)
    DROPPED = "dropped"      # the caller hung up while in the flow
    FAILED = "failed"        # the run failed; the dialplan's fallback took the call


@dataclass(frozen=True)
class Step:
    node: str
    keys: str = ""


def parse_trail(trail: str) -> list[Step]:
    """``node`` / ``node:keys`` steps, '/'-joined; a malformed step is skipped."""
    steps = []
    for text in trail.split("/"):
        match = IVR_STEP_RE.fullmatch(text)
        if match:
            steps.append(Step(match.group(1), match.group(2) or ""))
    return steps


def format_trail(trail: list[str]) -> str:
    """The interpreter's trail as stored: valid steps only, the latest kept when long."""
    text = "/".join(step for step in trail if IVR_STEP_RE.fullmatch(step))
    if len(text) > TRAIL_LENGTH:
        text = text[-TRAIL_LENGTH:].partition("/")[2]
    return text


def record_session(session: Session, *, instance_id: int, flow_version_id: int,
                   pbx_call_id: str, number: str, started_at: datetime, ended_at: datetime,
                   trail: list[str], outcome: IvrOutcome) -> None:
    """Keep one run of a flow (once: a second write of the same run is ignored)."""
    record_sessions(session, [dict(
        instance_id=instance_id, flow_version_id=flow_version_id, pbx_call_id=pbx_call_id,
        number=number, started_at=started_at, ended_at=ended_at, trail=trail,
        outcome=outcome)])


def record_sessions(session: Session, runs: list[dict]) -> int:
    """Keep these runs of flows (each as ``record_session``'s arguments), those not kept
    already, in one insert; return how many were new. The AGI server writes a second's
    runs at once: a transaction and an ORM object per run cost more CPU than the call's
    whole FastAGI session. A run whose instance is gone is dropped (nothing to report it
    in); one whose version is gone keeps no flow."""
    wanted: dict[tuple[str, datetime], dict] = {}
    for run in runs:
        wanted.setdefault((run["pbx_call_id"][:64], run["started_at"]), run)
    if not wanted:
        return 0
    table = IvrSession.__table__
    known = {tuple(row) for row in session.execute(
        select(table.c.pbx_call_id, table.c.started_at)
        .where(in_values(table.c.pbx_call_id, {call for call, _ in wanted})))}
    version_ids = {run["flow_version_id"] for run in wanted.values()}
    flows = dict(session.execute(select(IvrFlowVersion.id, IvrFlowVersion.flow_id)
                                 .where(in_values(IvrFlowVersion.id, version_ids))).all())
    instances = set(session.scalars(select(Instance.id).where(
        in_values(Instance.id, {run["instance_id"] for run in wanted.values()}))))
    rows = [dict(instance_id=run["instance_id"], flow_id=flows.get(run["flow_version_id"]),
                 flow_version_id=run["flow_version_id"]
                 if run["flow_version_id"] in flows else None,
                 pbx_call_id=call_id,
                 number="".join(c for c in run["number"] if c in "+0123456789")[:NUMBER_LENGTH],
                 started_at=started_at, ended_at=run["ended_at"],
                 trail=format_trail(run["trail"]), outcome=IvrOutcome(run["outcome"]).value)
            for (call_id, started_at), run in wanted.items()
            if (call_id, started_at) not in known and run["instance_id"] in instances]
    if rows:
        session.execute(insert(table), rows)
    return len(rows)


# ---- the figures (pure) ----------------------------------------------------------------

@dataclass
class NodeFigures:
    callers: set[str] = field(default_factory=set)   # calls that reached the node
    keys: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    dropped: int = 0      # runs whose caller hung up at this node
    completed: int = 0    # runs the flow ended at this node

    def as_dict(self) -> dict:
        return {"CallsReached": len(self.callers), "CallsDropped": self.dropped,
                "CallsCompleted": self.completed,
                "KeyPresses": {key: self.keys[key] for key in sorted(self.keys)}}


def node_figures(runs: list[tuple[str, str, str]]) -> dict[str, NodeFigures]:
    """Node -> its figures, over runs given as (call id, trail, outcome). A caller who
    passes a node twice (a menu repeated, a call back from a queue) reached it once;
    every key pressed there counts."""
    nodes: dict[str, NodeFigures] = defaultdict(NodeFigures)
    for call_id, trail, outcome in runs:
        steps = parse_trail(trail)
        for step in steps:
            figures = nodes[step.node]
            figures.callers.add(call_id)
            for key in step.keys:
                figures.keys[key] += 1
        if steps and outcome == IvrOutcome.DROPPED:
            nodes[steps[-1].node].dropped += 1
        elif steps and outcome == IvrOutcome.COMPLETED:
            nodes[steps[-1].node].completed += 1
    return nodes


# ---- the report ------------------------------------------------------------------------

def ivr_report(session: Session, instance: Instance, start: date, end: date, interval: str,
               offset_minutes: int) -> list[dict]:
    """One row per flow, interval and node the flow's callers reached: how many reached
    it, dropped there, were ended there by the flow, and the keys they pressed."""
    check_period(start, end, interval)
    since, until = utc_bounds(start, end, offset_minutes)
    names = dict(session.execute(select(IvrFlow.id, IvrFlow.name)
                                 .where(IvrFlow.instance_id == instance.id)).all())
    runs: dict[tuple, list] = defaultdict(list)
    for flow_id, call_id, at, trail, outcome in session.execute(
            select(IvrSession.flow_id, IvrSession.pbx_call_id, IvrSession.started_at,
                   IvrSession.trail, IvrSession.outcome)
            .where(IvrSession.instance_id == instance.id, IvrSession.started_at >= since,
                   IvrSession.started_at < until)):
        runs[(interval_start(at, interval, offset_minutes), flow_id)].append(
            (call_id, trail, outcome))
    rows = []
    for (at, flow_id), found in sorted(runs.items(), key=lambda item: (item[0][0],
                                                                       item[0][1] or 0)):
        for node, figures in sorted(node_figures(found).items(),
                                    key=lambda item: (-len(item[1].callers), item[0])):
            rows.append({"interval_start": at.isoformat(timespec="minutes"),
                         "flow": names.get(flow_id, str(flow_id) if flow_id else ""),
                         "flow_id": flow_id, "node": node,
                         "CallsEntered": len({call for call, _, _ in found}),
                         **figures.as_dict()})
    return rows
