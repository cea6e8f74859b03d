"""Agents (seats): SIP credentials, extensions, skill-group membership."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.agents.models import Agent, AgentSkillGroup
from engine.agents.seats import close_seat, open_seat
from engine.db import utcnow
from engine.errors import Conflict, Invalid, NotFound
from engine.instances.models import Instance
from engine.numbers.models import Number
from engine.skillgroups.models import SkillGroup
from engine.skillgroups.service import DEFAULT, find_skill_group
from engine.uow import mark_pbx_changed
from engine.validation import FieldErrors, number_text
from engine.messages import N_

FIRST_EXTENSION = 1001
LEVELS = range(1, 11)  # 1 (best) .. 10


def next_extension(session: Session, instance: Instance, also_taken: set[str] = frozenset()) -> str:
    taken = set(session.scalars(select(Agent.extension).where(Agent.instance_id == instance.id)))
    taken |= also_taken
    candidate = FIRST_EXTENSION
    while str(candidate) in taken:
        candidate += 1
    return str(candidate)


def check_agent(session: Session, instance: Instance, name: str, extension: str | None,
                skill_groups: dict[str, int], errors: FieldErrors,
                agent: Agent | None = None) -> list[tuple[SkillGroup, int]]:
    """Record every rule a new (or edited) agent breaks in ``errors``; the groups found.

    Fields: name, extension, skill_groups. An edited agent keeps its own extension.
    """
    errors.check("name", validation.name, name, N_("agent name"))
    if extension is not None and errors.check("extension", validation.extension, extension):
        other = find_agent(session, instance, extension)
        if other is not None and other is not agent:
            errors.add("extension", N_("extension %(extension)s is already taken in %(domain)s",
                                       extension=extension, domain=instance.domain),
                       conflict=True)
        elif session.scalar(select(Number).where(Number.instance_id == instance.id,
                                                 Number.digits == extension)):
            # Agents dial both from one context: the number's test call would be unreachable.
            errors.add("extension", N_("extension %(extension)s is one of %(domain)s's numbers",
                                       extension=extension, domain=instance.domain),
                       conflict=True)
    groups = []
    for group_name, level in skill_groups.items():
        group = find_skill_group(session, instance, group_name)
        if group is None:
            errors.add("skill_groups", N_("unknown skill group %(group_name)r in %(domain)s",
                                          group_name=group_name, domain=instance.domain))
        elif not isinstance(level, int) or level not in LEVELS:
            errors.add("skill_groups",
                       N_("invalid skill level %(level)s for %(group_name)r: 1 (best) to 10",
                          level=level, group_name=group_name))
        else:
            groups.append((group, level))
    return groups


def create_agent(session: Session, instance: Instance, name: str, extension: str | None = None,
                 skill_groups: dict[str, int] | None = None, user_id: int | None = None) -> Agent:
    """Add a seat with a generated SIP secret; ``skill_groups`` maps group name to level.

    Without ``skill_groups`` the agent joins ``default`` at level 1, so a new seat
    takes calls at once; pass ``{}`` for an agent in no group.
    """
    extension = extension or next_extension(session, instance)
    if skill_groups is None:
        skill_groups = {DEFAULT: 1}
    errors = FieldErrors()
    groups = check_agent(session, instance, name, extension, skill_groups, errors)
    errors.raise_if_any()
    agent = Agent(instance=instance, name=name, extension=extension, user_id=user_id,
                  sip_secret=secrets.token_hex(16))
    session.add(agent)
    for group, level in groups:
        agent.memberships.append(AgentSkillGroup(skill_group=group, level=level))
    session.flush()
    open_seat(session, agent, utcnow())
    mark_pbx_changed(session)
    return agent


def update_agent(session: Session, agent: Agent, name: str,
                 skill_groups: dict[str, int]) -> Agent:
    """Rename an agent and set its skill groups (name -> level); the extension stays."""
    errors = FieldErrors()
    groups = check_agent(session, agent.instance, name, None, skill_groups, errors, agent)
    errors.raise_if_any()
    agent.name = name
    wanted = {group.id: level for group, level in groups}
    for membership in list(agent.memberships):
        if membership.skill_group_id not in wanted:
            agent.memberships.remove(membership)
        else:
            membership.level = wanted.pop(membership.skill_group_id)
    for group, level in groups:
        if group.id in wanted:
            agent.memberships.append(AgentSkillGroup(skill_group=group, level=level))
    session.flush()
    mark_pbx_changed(session)
    return agent


def find_agent(session: Session, instance: Instance, extension: str) -> Agent | None:
    return session.scalar(select(Agent).where(
        Agent.instance_id == instance.id, Agent.extension == extension))


def get_agent(session: Session, instance: Instance, extension: str) -> Agent:
    agent = find_agent(session, instance, extension)
    if agent is None:
        raise NotFound(f"no agent with extension {extension} in {instance.domain}")
    return agent


def delete_agent(session: Session, instance: Instance, extension: str) -> None:
    """Remove a seat; the PBX drops its endpoint and queue memberships."""
    agent = find_agent(session, instance, extension)
    if agent is None:
        raise NotFound(N_("no agent with extension %(extension)s in %(domain)s",
                          extension=extension, domain=instance.domain))
    from engine.ivr.service import flows_naming
    used = flows_naming(session, instance, "agent", extension)
    if used:
        raise Conflict(N_("agent %(extension)s cannot be deleted: published flows transfer "
                          "callers to it: %(flows)s", extension=extension, flows=", ".join(used)))
    close_seat(session, agent, utcnow())
    session.delete(agent)
    session.flush()
    mark_pbx_changed(session)


def list_agents(session: Session, instance: Instance) -> list[Agent]:
    return list(session.scalars(
        select(Agent).where(Agent.instance_id == instance.id).order_by(Agent.extension)))


def agent_json(agent: Agent, secret: bool = False) -> dict:
    """An agent as every face shows it (the API's answers, the CLI's ``--json``); the SIP
    password only where the caller asked for it."""
    row = {"id": agent.id, "extension": agent.extension, "name": agent.name,
           "sip_username": agent.sip_username,
           "skill_groups": {m.skill_group.name: m.level for m in agent.memberships}}
    if secret:
        row["sip_password"] = agent.sip_secret
    return row


def parse_levels(text: str) -> dict[str, int]:
    """``"default:1;vip:2"`` (or with commas) -> {name: level}; a bare name is level 1.

    The one syntax of skill groups with levels in CSV files, forms and the CLI.
    """
    levels: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in re.split(r"[;,]", text))):
        name, _, level = (part.strip() for part in item.partition(":"))
        number = number_text(level or "1")
        if number is None:
            raise Invalid(N_("invalid skill group %(item)r: use NAME or NAME:LEVEL", item=item),
                          fields={"skill_groups": f"invalid entry {item!r}: NAME or NAME:LEVEL"})
        levels[name] = number
    return levels
