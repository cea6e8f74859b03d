"""Agents (seats): SIP credentials, extensions, skill-group membership."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.agents.models import Agent, AgentSkillGroup
from engine.errors import Conflict, Invalid, NotFound
from engine.instances.models import Instance
from engine.numbers.models import Number
from engine.skillgroups.service import DEFAULT, get_skill_group
from engine.uow import mark_pbx_changed

FIRST_EXTENSION = 1001


def next_extension(session: Session, instance: Instance) -> str:
    taken = set(session.scalars(select(Agent.extension).where(Agent.instance_id == instance.id)))
    candidate = FIRST_EXTENSION
    while str(candidate) in taken:
        candidate += 1
    return str(candidate)


def create_agent(session: Session, instance: Instance, name: str, extension: str | None = None,
                 skill_groups: dict[str, int] | None = None, user_id: int | None = None) -> Agent:
    """Add a seat with a generated SIP secret; ``skill_groups`` maps group name to level.

    Without ``skill_groups`` the agent joins ``default`` at level 1, so a new seat
    takes calls at once; pass ``{}`` for an agent in no group.
    """
    validation.name(name, "agent name")
    extension = extension or next_extension(session, instance)
    validation.extension(extension)
    if find_agent(session, instance, extension) is not None:
        raise Conflict(f"extension {extension} is already taken in {instance.domain}")
    if session.scalar(select(Number).where(Number.instance_id == instance.id,
                                           Number.digits == extension)):
        # Agents dial both from one context: the number's test call would be unreachable.
        raise Conflict(f"extension {extension} is one of {instance.domain}'s numbers")
    agent = Agent(instance=instance, name=name, extension=extension, user_id=user_id,
                  sip_secret=secrets.token_hex(16))
    session.add(agent)
    if skill_groups is None:
        skill_groups = {DEFAULT: 1}
    for group_name, level in skill_groups.items():
        if not 1 <= level <= 10:
            raise Invalid(f"invalid skill level {level} for {group_name!r}: 1 (best) to 10")
        group = get_skill_group(session, instance, group_name)
        agent.memberships.append(AgentSkillGroup(skill_group=group, level=level))
    session.flush()
    mark_pbx_changed(session)
    return agent


def find_agent(session: Session, instance: Instance, extension: str) -> Agent | None:
    return session.scalar(select(Agent).where(
        Agent.instance_id == instance.id, Agent.extension == extension))


def delete_agent(session: Session, instance: Instance, extension: str) -> None:
    agent = find_agent(session, instance, extension)
    if agent is None:
        raise NotFound(f"no agent with extension {extension} in {instance.domain}")
    session.delete(agent)
    session.flush()
    mark_pbx_changed(session)


def list_agents(session: Session, instance: Instance) -> list[Agent]:
    return list(session.scalars(
        select(Agent).where(Agent.instance_id == instance.id).order_by(Agent.extension)))
