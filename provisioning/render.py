"""Render the PBX's configuration from the database: one context function per file.

Each ``*_context`` is a pure function from a database session (and settings) to the
dict its template needs; no configuration text is built in Python. Queries are ordered,
so the same database always renders the same bytes.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.agents.models import Agent, AgentSkillGroup
from engine.instances.models import Instance
from engine.numbers.models import Number
from engine.numbers.service import caller_id_numbers
from engine.settings import Settings
from engine.skillgroups.models import SkillGroup
from engine.skillgroups.service import DEFAULT
from engine.trunks.service import default_trunk, list_trunks
from engine.validation import (DIAL_NUMBER_DIGITS_MIN, OUTSIDE_NUMBER_DIGITS_MIN,
                               PHONE_DIGITS_MAX)
from provisioning.templates import render


def _agent(agent: Agent, caller_id: str | None = None) -> dict:
    return {"username": agent.sip_username, "extension": agent.extension,
            "secret": agent.sip_secret, "instance_key": agent.instance.pbx_key,
            "caller_id": caller_id}


def _agents(session: Session) -> list[Agent]:
    return list(session.scalars(select(Agent).order_by(Agent.instance_id, Agent.extension)))


def _trunk(trunk) -> dict:
    return {"name": trunk.name, "endpoint": trunk.endpoint_name, "host": trunk.host,
            "port": trunk.port}


def pjsip_context(session: Session, settings: Settings) -> dict:
    agents = []
    for agent in _agents(session):
        numbers = caller_id_numbers(session, [m.skill_group_id for m in agent.memberships])
        agents.append(_agent(agent, numbers[0].digits if numbers else None))
    return {"sip_bind": settings.sip_bind, "sip_port": settings.sip_port,
            "trunks": [_trunk(t) for t in list_trunks(session)], "agents": agents}


# What the dialplan's patterns admit, from the engine's one rule (engine/validation.py).
DIALLED_NUMBERS = {
    "dial_number_digits_min": DIAL_NUMBER_DIGITS_MIN,
    "outside_digits_min": OUTSIDE_NUMBER_DIGITS_MIN,
    "phone_digits_max": PHONE_DIGITS_MAX,
    "outside_patterns": ["X" * n for n in range(OUTSIDE_NUMBER_DIGITS_MIN, PHONE_DIGITS_MAX + 1)],
    # An extension is 3 to 6 digits (engine/validation.EXTENSION_RE).
    "extension_patterns": ["X" * n for n in range(3, 7)],
}


def extensions_context(session: Session, settings: Settings) -> dict:
    numbers = session.scalars(select(Number).where(Number.instance_id.is_not(None))
                              .order_by(Number.digits)).all()
    agents = _agents(session)
    instances = []
    for instance in session.scalars(select(Instance).order_by(Instance.id)):
        groups = session.scalars(select(SkillGroup).where(SkillGroup.instance_id == instance.id)
                                 .order_by(SkillGroup.id)).all()
        default = next((g for g in groups if g.name == DEFAULT), groups[0] if groups else None)
        instances.append({
            "key": instance.pbx_key,
            "queue_prefix": f"{instance.pbx_key}-q",
            "agent_prefix": f"{instance.pbx_key}-",
            "caller_id": next((n.digits for n in numbers
                               if n.instance_id == instance.id and n.type.can_call_out), None),
            "default_queue": default.queue_name if default else "",
            "default_queue_timeout": default.wait_timeout if default else 0,
            "agents": [_agent(a) for a in agents if a.instance_id == instance.id],
            "numbers": [n.digits for n in numbers if n.instance_id == instance.id],
            # Only groups of the same instance: the service refuses any other target.
            "overflows": [{"group_id": g.id, "skill_group": g.name, "queue": g.overflow.queue_name,
                           "timeout": g.overflow.wait_timeout}
                          for g in groups if g.overflow is not None
                          and g.overflow.instance_id == instance.id],
        })
    trunk = default_trunk(session)
    return {**DIALLED_NUMBERS, "agi_port": settings.agi_port,
            "sounds_dir": str(settings.site_dir_in_pbx / "sounds"),
            "inbound_numbers": [{"digits": n.digits, "instance_key": n.instance.pbx_key}
                                for n in numbers],
            "instances": instances, "trunk": trunk.endpoint_name if trunk else None}


def queues_context(session: Session, settings: Settings) -> dict:
    queues = []
    for group in session.scalars(select(SkillGroup).order_by(SkillGroup.id)):
        members = session.scalars(
            select(AgentSkillGroup).join(Agent)
            .where(AgentSkillGroup.skill_group_id == group.id).order_by(Agent.extension))
        queues.append({
            "name": group.queue_name, "skill_group": group.name,
            "instance_key": group.instance.pbx_key, "strategy": group.strategy,
            "members": [{"username": m.agent.sip_username, "penalty": m.level - 1}
                        for m in members],
        })
    return {"queues": queues}


def cdr_custom_context(session: Session, settings: Settings) -> dict:
    return {}


# One generator per PBX file: file name -> context function.
GENERATORS = {
    "pjsip.conf": pjsip_context,
    "extensions.conf": extensions_context,
    "queues.conf": queues_context,
    "cdr_custom.conf": cdr_custom_context,
}


def render_files(session: Session, settings: Settings) -> dict[str, str]:
    """Every configuration file of the site: settings-only ones and database-derived ones."""
    from provisioning.site import static_files
    files = dict(static_files(settings))
    for name, context_of in GENERATORS.items():
        files[name] = render(name, **context_of(session, settings))
    return dict(sorted(files.items()))
