"""What the IVR runtime asks the database during a call (engine-agnostic)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.instances.models import Instance
from engine.ivr.service import published_version_for_number
from engine.numbers.models import Number
from engine.skillgroups.service import find_skill_group


@dataclass(frozen=True)
class CallPlan:
    instance_id: int
    flow_version_id: int
    document: dict


@dataclass(frozen=True)
class QueueTarget:
    queue: str
    timeout: int


def plan_for_number(session: Session, digits: str) -> CallPlan | None:
    """The flow version a new call to ``digits`` runs; kept for the whole call."""
    number = session.scalar(select(Number).where(Number.digits == digits))
    version = published_version_for_number(session, number) if number else None
    if version is None:
        return None
    return CallPlan(number.instance_id, version.id, json.loads(version.definition))


def queue_for(session: Session, instance_id: int, skill_group: str) -> QueueTarget | None:
    """The queue of a skill group of the call's own instance (never another's)."""
    instance = session.get(Instance, instance_id)
    group = find_skill_group(session, instance, skill_group) if instance else None
    return QueueTarget(group.queue_name, group.wait_timeout) if group else None
