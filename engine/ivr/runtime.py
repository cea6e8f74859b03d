"""What the IVR runtime asks the database during a call (engine-agnostic).

A call runs one published version from its first node to its last: a new call takes
the number's latest version; a call that comes back from the dialplan (queue overflow,
the agent hung up...) names the version it runs and gets exactly that one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.agents.models import Agent
from engine.instances.models import Instance
from engine.ivr.interpreter import LoadedFlow
from engine.ivr.models import FlowState, IvrFlowVersion
from engine.ivr.service import latest_versions, published_version_for_number
from engine.numbers.models import Number
from engine.skillgroups.service import find_skill_group


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


def plan_for_number(session: Session, digits: str) -> CallPlan | None:
    """The flow version a new call to ``digits`` runs; kept for the whole call."""
    number = session.scalar(select(Number).where(Number.digits == digits))
    version = published_version_for_number(session, number) if number else None
    if version is None or number.instance_id is None:
        return None
    return _plan(session, number.instance_id, version)


def instance_of_number(session: Session, digits: str) -> int | None:
    """The instance a dialled number belongs to (None: nobody's)."""
    return session.scalar(select(Number.instance_id).where(Number.digits == digits))


def plan_for_version(session: Session, version_id: int) -> CallPlan | None:
    """The very version a call in progress started with, never the flow's latest one."""
    version = session.get(IvrFlowVersion, version_id)
    if version is None or version.state != FlowState.PUBLISHED:
        return None
    return _plan(session, version.flow.instance_id, version)


def _plan(session: Session, instance_id: int, version: IvrFlowVersion) -> CallPlan:
    return CallPlan(instance_id, version.id, json.loads(version.definition),
                    published_flows(session, instance_id))


def published_flows(session: Session, instance_id: int) -> dict[str, LoadedFlow]:
    """What goto_flow may enter: each flow's latest published version, by flow name."""
    instance = session.get(Instance, instance_id)
    return {name: LoadedFlow(str(version.id), json.loads(version.definition))
            for name, version in latest_versions(session, instance).items()}


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
