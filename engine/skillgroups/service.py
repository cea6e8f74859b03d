"""Skill groups: the queues agents answer from."""
from __future__ import annotations


from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.errors import Conflict, NotFound
from engine.instances.models import Instance
from engine.recording.policy import SKILL_GROUP_POLICIES, parse as parse_policy
from engine.skillgroups.models import SkillGroup
from engine.uow import mark_pbx_changed
from engine.validation import FieldErrors
from engine.messages import N_

DEFAULT = "default"
# The strategies Asterisk's app_queue knows and queues.conf.j2 renders as they are.
STRATEGIES = ("ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear")
WAIT_TIMEOUTS = range(10, 3601)  # seconds a caller may wait in the queue
WRAP_UPS = range(0, 3601)        # seconds of after-call work (0: none)
SERVICE_LEVELS = range(1, 3601)  # seconds within which an answer counts as in service level


def _check_wrap_up(wrap_up_seconds) -> None:
    if not isinstance(wrap_up_seconds, int) or isinstance(wrap_up_seconds, bool) \
            or wrap_up_seconds not in WRAP_UPS:
        errors = FieldErrors()
        errors.add("wrap_up_seconds", f"invalid wrap-up {wrap_up_seconds!r}: "
                   f"0 to {WRAP_UPS.stop - 1} seconds")
        errors.raise_if_any()


def _check_service_level(seconds) -> None:
    if not isinstance(seconds, int) or isinstance(seconds, bool) \
            or seconds not in SERVICE_LEVELS:
        errors = FieldErrors()
        errors.add("service_level_seconds", N_(
            "invalid service level %(seconds)r: 1 to %(top)d seconds",
            seconds=seconds, top=SERVICE_LEVELS.stop - 1))
        errors.raise_if_any()


def _check(session: Session, instance: Instance, name: str, strategy: str, wait_timeout,
           overflow_id: int | None, group: SkillGroup | None = None) -> None:
    errors = FieldErrors()
    if overflow_id is not None:
        target = session.get(SkillGroup, overflow_id) if isinstance(overflow_id, int) else None
        if target is None or target.instance_id != instance.id:
            errors.add("overflow", N_("choose another skill group of the same instance"))
        elif group is not None and target.id == group.id:
            errors.add("overflow", N_("a skill group cannot overflow into itself"))
    if errors.check("name", validation.name, name, N_("skill group name")):
        other = find_skill_group(session, instance, name)
        if other is not None and other is not group:
            errors.add("name", N_("skill group %(name)r already exists in %(domain)s",
                                  name=name, domain=instance.domain),
                       conflict=True)
    if strategy not in STRATEGIES:
        errors.add("strategy", N_("invalid strategy %(strategy)r: choose one of %(choices)s",
                                  strategy=strategy, choices=", ".join(STRATEGIES)))
    if not isinstance(wait_timeout, int) or wait_timeout not in WAIT_TIMEOUTS:
        errors.add("wait_timeout", N_("invalid wait timeout %(wait_timeout)r: %(start)s to "
                                      "%(value)s seconds",
                                      wait_timeout=wait_timeout, start=WAIT_TIMEOUTS.start,
                                      value=WAIT_TIMEOUTS.stop - 1))
    if group is not None and name != group.name:
        _refuse_if_used(session, group, N_("renamed"), "name")
    errors.raise_if_any()


def create_skill_group(session: Session, instance: Instance, name: str,
                       strategy: str = "rrmemory", wait_timeout: int = 300,
                       overflow_id: int | None = None) -> SkillGroup:
    """A new, empty queue of the instance (fields: name, strategy, wait_timeout, overflow).

    A caller who waited ``wait_timeout`` seconds in vain goes on to the ``overflow``
    group (one hop: from there, to the 'unavailable' prompt).
    """
    _check(session, instance, name, strategy, wait_timeout, overflow_id)
    group = SkillGroup(instance=instance, name=name, strategy=strategy,
                       wait_timeout=wait_timeout, overflow_id=overflow_id)
    session.add(group)
    session.flush()
    mark_pbx_changed(session)
    return group


def update_skill_group(session: Session, group: SkillGroup, name: str, strategy: str,
                       wait_timeout: int, overflow_id: int | None = None,
                       wrap_up_seconds: int | None = None,
                       recording: str | None = None,
                       service_level_seconds: int | None = None) -> SkillGroup:
    """Change a group's name, routing strategy, wait timeout, overflow group, wrap-up,
    recording policy (inherit, all, none, on-demand) or service-level threshold."""
    _check(session, group.instance, name, strategy, wait_timeout, overflow_id, group)
    if recording is not None:
        try:
            group.recording = parse_policy(recording, SKILL_GROUP_POLICIES)
        except ValueError as error:
            errors = FieldErrors()
            errors.add("recording", N_("invalid recording policy %(value)r: choose one of "
                                       "%(choices)s", value=recording, choices=str(error)))
            errors.raise_if_any()
    if wrap_up_seconds is not None:
        _check_wrap_up(wrap_up_seconds)
        group.wrap_up_seconds = wrap_up_seconds
    if service_level_seconds is not None:
        _check_service_level(service_level_seconds)
        group.service_level_seconds = service_level_seconds
    group.name, group.strategy, group.wait_timeout = name, strategy, wait_timeout
    group.overflow_id = overflow_id
    session.flush()
    mark_pbx_changed(session)
    return group


def set_members(session: Session, group: SkillGroup, levels: dict[int, int]) -> None:
    """Make exactly these agents (id -> skill level) the group's members."""
    from engine.agents.models import Agent, AgentSkillGroup
    errors = FieldErrors()
    agents = {a.id: a for a in session.scalars(
        select(Agent).where(Agent.instance_id == group.instance_id))}
    for agent_id, level in levels.items():
        if agent_id not in agents:
            errors.add("agents", N_("no agent #%(agent_id)s in %(domain)s",
                                    agent_id=agent_id, domain=group.instance.domain))
        elif not isinstance(level, int) or not 1 <= level <= 10:
            errors.add("agents", N_("invalid skill level %(level)r: 1 (best) to 10", level=level))
    errors.raise_if_any()
    # Through the agents' collections, so agents already loaded see the change at once.
    for agent in agents.values():
        membership = next((m for m in agent.memberships if m.skill_group_id == group.id), None)
        if agent.id not in levels:
            if membership is not None:
                agent.memberships.remove(membership)
        elif membership is None:
            agent.memberships.append(AgentSkillGroup(skill_group=group, level=levels[agent.id]))
        else:
            membership.level = levels[agent.id]
    session.flush()
    mark_pbx_changed(session)


def members(session: Session, group: SkillGroup) -> dict[int, int]:
    """Agent id -> skill level of the group's members."""
    from engine.agents.models import AgentSkillGroup
    return dict(session.execute(select(AgentSkillGroup.agent_id, AgentSkillGroup.level)
                                .where(AgentSkillGroup.skill_group_id == group.id)).all())


def flows_using(session: Session, group: SkillGroup) -> list[str]:
    """Names of the instance's flows whose published version sends callers to the group."""
    from engine.ivr.service import flows_naming
    return flows_naming(session, group.instance, "skill_group", group.name)


def _refuse_if_used(session: Session, group: SkillGroup, what: str, field: str) -> None:
    used = flows_using(session, group)
    if group.name == DEFAULT or used:
        why = N_("it is the instance's default group") if group.name == DEFAULT else \
            N_("published flows send callers to it: %(flows)s", flows=", ".join(used))
        message = N_("skill group %(group_name)r cannot be %(what)s: %(why)s",
                     group_name=group.name, what=what, why=why)
        raise Conflict(message, fields={field: message})


def delete_skill_group(session: Session, group: SkillGroup) -> None:
    """Remove a group no published flow uses; its agents and numbers just lose it."""
    _refuse_if_used(session, group, N_("deleted"), "name")
    set_members(session, group, {})
    from engine.numbers.models import Number, NumberSkillGroup
    for number in session.scalars(select(Number).join(NumberSkillGroup).where(
            NumberSkillGroup.skill_group_id == group.id)):
        number.outbound_skill_groups.remove(group)  # in the session too, not only the table
    for other in session.scalars(select(SkillGroup).where(SkillGroup.overflow_id == group.id)):
        other.overflow_id = None
    session.delete(group)
    session.flush()
    mark_pbx_changed(session)


def find_skill_group(session: Session, instance: Instance, name: str) -> SkillGroup | None:
    return session.scalar(select(SkillGroup).where(
        SkillGroup.instance_id == instance.id, SkillGroup.name == name))


def get_skill_group(session: Session, instance: Instance, name: str) -> SkillGroup:
    group = find_skill_group(session, instance, name)
    if group is None:
        raise NotFound(N_("unknown skill group %(name)r in %(domain)s",
                          name=name, domain=instance.domain))
    return group


def list_skill_groups(session: Session, instance: Instance) -> list[SkillGroup]:
    return list(session.scalars(
        select(SkillGroup).where(SkillGroup.instance_id == instance.id).order_by(SkillGroup.id)))


