"""IVR flows: drafts, published versions, and which version a number runs."""
from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.instances.models import Instance
from engine.ivr.models import FlowState, IvrFlow, IvrFlowVersion
from engine.numbers.models import Number

WELCOME = "welcome"


def welcome_document(skill_group: str = "default") -> dict:
    """The flow every new instance starts with: a welcome prompt, then the queue."""
    return {
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "welcome", "type": "play", "prompt": "welcome"},
            {"id": "queue", "type": "transfer_skill_group", "skill_group": skill_group},
        ],
        "edges": [{"from": "start", "to": "welcome"}, {"from": "welcome", "to": "queue"}],
    }


def create_published_flow(session: Session, instance: Instance, name: str,
                          document: dict) -> IvrFlow:
    flow = IvrFlow(instance=instance, name=name)
    session.add(flow)
    session.flush()
    publish(session, flow, document)
    return flow


def publish(session: Session, flow: IvrFlow, document: dict) -> IvrFlowVersion:
    """Add an immutable numbered version; numbers run the latest one from their next call."""
    last = session.scalar(select(func.max(IvrFlowVersion.version))
                          .where(IvrFlowVersion.flow_id == flow.id)) or 0
    version = IvrFlowVersion(flow_id=flow.id, version=last + 1, state=FlowState.PUBLISHED,
                             definition=json.dumps(document, sort_keys=True))
    session.add(version)
    session.flush()
    return version


def published_version_for_number(session: Session, number: Number) -> IvrFlowVersion | None:
    """The latest published version of the flow bound to the number, if any."""
    if number.inbound_flow_id is None:
        return None
    return session.scalar(
        select(IvrFlowVersion)
        .where(IvrFlowVersion.flow_id == number.inbound_flow_id,
               IvrFlowVersion.state == FlowState.PUBLISHED)
        .order_by(IvrFlowVersion.version.desc()).limit(1))
