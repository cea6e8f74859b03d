"""Dedicated agents: a customer's number tied to one agent of the same instance.

That customer's inbound calls ring the agent first, for the queue's ring time, when the
agent's last logged state is READY; unanswered, busy, unavailable or not READY, the
call goes on into the queue as before. The ties are read by the IVR at each queue
handoff (``ready_device``), so a change takes effect with the next call and needs no
PBX reload.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.agents.models import Agent, DedicatedAgent
from engine.agentstate.models import AgentStateChange
from engine.agentstate.states import AgentState
from engine.errors import Conflict, NotFound
from engine.instances.models import Instance
from engine.messages import N_
from engine.validation import DIAL_NUMBER_RE, FieldErrors

WEB_DEVICE = "-web"  # the workbench page's phone: PJSIP/<sip user>-web (agentstate.service)
# What the IVR may hand the dialplan: an agent's device, nothing else (docs/security.md).
DEVICE_RE = re.compile(r"^PJSIP/i[0-9]+-[1-9][0-9]{2,5}(-web)?$")


def customer_number(value: str) -> str:
    """A caller's number as callers present it: 3 to 20 ASCII digits, an optional +."""
    return validation.check(DIAL_NUMBER_RE, value, N_("customer number"),
                            N_("3 to 20 digits, with an optional leading +"))


def as_dict(tie: DedicatedAgent) -> dict:
    """The one serializer of a tie: the CLI's --json and the API print this."""
    return {"customer_number": tie.customer_number, "agent_id": tie.agent_id,
            "extension": tie.agent.extension, "agent_name": tie.agent.name}


def list_ties(session: Session, instance: Instance) -> list[DedicatedAgent]:
    """The instance's ties, by customer number."""
    return list(session.scalars(select(DedicatedAgent)
                                .where(DedicatedAgent.instance_id == instance.id)
                                .order_by(DedicatedAgent.customer_number)))


def find_tie(session: Session, instance: Instance, number: str) -> DedicatedAgent | None:
    return session.scalar(select(DedicatedAgent).where(
        DedicatedAgent.instance_id == instance.id, DedicatedAgent.customer_number == number))


def tie(session: Session, instance: Instance, number: str, agent_id: int) -> DedicatedAgent:
    """Tie a customer's number to an agent of the same instance (another instance's agent
    is not found); a number has one dedicated agent per instance (a conflict otherwise).

    Bad fields are reported together (Invalid) before anything is looked up.
    """
    errors = FieldErrors()
    errors.check("customer_number", customer_number, number)
    # Ids are 64-bit: a larger integer names nobody, and must not reach the database.
    if not isinstance(agent_id, int) or isinstance(agent_id, bool) \
            or not 0 < agent_id < 2 ** 63:
        errors.add("agent_id", N_("choose an agent of this instance"))
    errors.raise_if_any()
    agent = session.get(Agent, agent_id)
    if agent is None or agent.instance_id != instance.id:
        raise NotFound(N_("no agent %(agent)s in %(domain)s", agent=agent_id,
                          domain=instance.domain),
                       fields={"agent_id": N_("choose an agent of this instance")})
    if find_tie(session, instance, number) is not None:
        message = N_("customer %(number)s already has a dedicated agent in %(domain)s",
                     number=number, domain=instance.domain)
        raise Conflict(message, fields={"customer_number": message})
    found = DedicatedAgent(instance_id=instance.id, customer_number=number, agent=agent)
    session.add(found)
    session.flush()
    return found


def untie(session: Session, instance: Instance, number: str) -> None:
    """Remove a customer's tie: the customer's calls go straight to the flow again."""
    found = find_tie(session, instance, number) if isinstance(number, str) else None
    if found is None:
        raise NotFound(N_("customer %(number)r has no dedicated agent in %(domain)s",
                          number=number, domain=instance.domain))
    session.delete(found)
    session.flush()


def ready_device(session: Session, instance_id: int, caller: str) -> str | None:
    """The device to ring first for a call from ``caller``: its dedicated agent's, when
    the agent's last logged state is READY; None otherwise.

    One query on the (instance, customer number) key and the state log's (agent, time)
    index: the IVR asks it at every queue handoff. The latest row is the one with the
    latest time (the log has one writer, so that is also the highest id).
    """
    if not isinstance(caller, str) or not DIAL_NUMBER_RE.fullmatch(caller):
        return None
    latest = (select(AgentStateChange.id)
              .where(AgentStateChange.agent_id == DedicatedAgent.agent_id)
              .order_by(AgentStateChange.at.desc(), AgentStateChange.id.desc())
              .limit(1).correlate(DedicatedAgent).scalar_subquery())
    found = session.execute(
        select(Agent.extension, AgentStateChange.state, AgentStateChange.interface)
        .join(DedicatedAgent, DedicatedAgent.agent_id == Agent.id)
        .join(AgentStateChange, AgentStateChange.id == latest)
        .where(DedicatedAgent.instance_id == instance_id,
               DedicatedAgent.customer_number == caller,
               Agent.instance_id == instance_id)).first()
    if found is None or found.state != AgentState.READY.value:
        return None
    return _device(instance_id, found.extension, found.interface)


def _device(instance_id: int, extension: str, interface: str | None) -> str | None:
    """The device the agent signed in with, named from the engine's own data (the key and
    the extension); a logged interface of any other shape is not rung."""
    device = f"PJSIP/{Instance.pbx_key_for(instance_id)}-{extension}"
    for candidate in (device, device + WEB_DEVICE):
        if interface == candidate and DEVICE_RE.fullmatch(candidate):
            return candidate
    return None
