"""Agent states: sign in to skill groups, ready, break, sign out; the log.

The faces (workbench page, API, CLI) call these; each change is made on the PBX
(queue membership and pauses), which is the truth. ``ccc serve`` follows the PBX and
writes the durable state log (engine/agentstate/tracker.py); ``presence`` asks the
PBX directly, so it is right even while ``ccc serve`` is down.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.agents.models import Agent
from engine.agentstate import pbx
from engine.agentstate.breakcodes import break_codes
from engine.agentstate.models import AgentStateChange
from engine.agentstate.states import AgentState, Presence, derive
from engine.ami.client import ami_session
from engine.errors import Conflict, Invalid
from engine.instances.models import Instance
from engine.messages import N_
from engine.settings import Settings

DEVICES = ("web", "sip")  # the phone in the workbench page, or a SIP phone beside it


# ---- the agent on the PBX ---------------------------------------------------------------

def interface(agent: Agent, device: str) -> str:
    """The PJSIP device the queues ring: the page's phone or the SIP phone."""
    return f"PJSIP/{agent.sip_username}" + ("-web" if device == "web" else "")


def presence(settings: Settings, agent: Agent) -> Presence:
    """The agent's state as the PBX has it now (dialling is not seen from here)."""
    member = agent.sip_username

    async def work(client):
        return (await pbx.memberships(client, member)).get(member, [])
    return derive(ami_session(settings, work))


@dataclass(frozen=True)
class GroupChoice:
    queue: str
    penalty: int


def _choices(agent: Agent, group_names: list[str]) -> list[GroupChoice]:
    mine = {m.skill_group.name: m for m in agent.memberships}
    unknown = [name for name in group_names if name not in mine]
    if unknown:
        raise Invalid(f"not a skill group of agent {agent.extension}: {', '.join(unknown)}",
                      fields={"skill_groups": "choose among the agent's own skill groups"})
    if not group_names:
        raise Invalid("choose at least one skill group",
                      fields={"skill_groups": "choose at least one skill group"})
    return [GroupChoice(mine[n].skill_group.queue_name, mine[n].level - 1)
            for n in dict.fromkeys(group_names)]


def sign_in(settings: Settings, agent: Agent, group_names: list[str], device: str) -> Presence:
    """SignInGroup: take calls from these skill groups on this device, READY at once."""
    if device not in DEVICES:
        raise Invalid(f"device must be one of {', '.join(DEVICES)}",
                      fields={"device": "the page's phone (web) or a SIP phone (sip)"})
    choices = _choices(agent, group_names)
    member, device_interface = agent.sip_username, interface(agent, device)

    async def work(client):
        current = (await pbx.memberships(client, member)).get(member, [])
        wanted = {c.queue for c in choices}
        for m in current:  # groups dropped, or the same ones on another device
            if m.queue not in wanted or m.interface != device_interface:
                await pbx.remove(client, m.queue, m.interface)
        kept = {m.queue for m in current if m.interface == device_interface}
        for choice in choices:
            if choice.queue not in kept:
                await pbx.add(client, choice.queue, device_interface, member, choice.penalty)
        await pbx.pause(client, device_interface, None)
        return (await pbx.memberships(client, member)).get(member, [])
    return derive(ami_session(settings, work))


def _signed_in(client_memberships, agent: Agent):
    if not client_memberships:
        raise Conflict(f"agent {agent.extension} is not signed in to any skill group")
    return client_memberships[0].interface


def ready(settings: Settings, agent: Agent) -> Presence:
    """ReadyForService: end a break or after-call work."""
    return _pause(settings, agent, None)


def get_ready(settings: Settings, agent: Agent, group_names: list[str] | None = None,
              device: str | None = None, default_device: str = "sip") -> Presence:
    """READY from any state, as an agent's "get ready" asks for it.

    An agent signed in who names neither groups nor a device only ends its break or
    after-call work (ReadyForService); otherwise it signs in (SignInGroup) to the named
    groups, or all of its own, on the named device, or ``default_device`` (the face's
    own phone: the workbench page's, or the SIP phone for the CLI).
    """
    if group_names is not None and (not isinstance(group_names, list) or not all(
            isinstance(name, str) for name in group_names)):
        raise Invalid(N_("skill_groups must be a list of names"),
                      fields={"skill_groups": N_("a list of skill group names")})
    if group_names is None and device is None and presence(settings, agent).queues:
        return ready(settings, agent)
    if group_names is None:
        group_names = [m.skill_group.name for m in agent.memberships]
    return sign_in(settings, agent, group_names, default_device if device is None else device)


def take_break(session: Session, settings: Settings, agent: Agent, code: str) -> Presence:
    """TakeBreak with one of the instance's break codes (after the current call, if any)."""
    if code not in {b.code for b in break_codes(session, agent.instance)}:
        raise Invalid(N_("unknown break code %(code)r", code=code),
                      fields={"break_code": N_("choose one of the instance's break codes")})
    return _pause(settings, agent, code)


def _pause(settings: Settings, agent: Agent, reason: str | None) -> Presence:
    member = agent.sip_username

    async def work(client):
        current = (await pbx.memberships(client, member)).get(member, [])
        device = _signed_in(current, agent)
        await pbx.pause(client, device, reason)
        return (await pbx.memberships(client, member)).get(member, [])
    return derive(ami_session(settings, work))


def sign_out(settings: Settings, agent: Agent) -> Presence:
    """SignOutGroup: leave every queue (OFFLINE)."""
    member = agent.sip_username

    async def work(client):
        for m in (await pbx.memberships(client, member)).get(member, []):
            await pbx.remove(client, m.queue, m.interface)
        return (await pbx.memberships(client, member)).get(member, [])
    return derive(ami_session(settings, work))


def allowed_queues(session: Session) -> dict[str, set[str]]:
    """Each agent's member name -> the queues it may be in (its skill groups')."""
    from engine.agents.models import AgentSkillGroup
    key = Instance.pbx_key_for
    allowed: dict[str, set[str]] = {}
    for instance_id, extension, group_id in session.execute(
            select(Agent.instance_id, Agent.extension, AgentSkillGroup.skill_group_id)
            .join(AgentSkillGroup, AgentSkillGroup.agent_id == Agent.id)):
        allowed.setdefault(f"{key(instance_id)}-{extension}", set()).add(
            f"{key(instance_id)}-q{group_id}")
    return allowed


def prune_members(session: Session, settings: Settings) -> int:
    """Take out of each queue whoever may no longer be in it (a deleted agent, one moved
    out of the group): the PBX keeps signed-in members across reloads. Returns how many."""
    allowed = allowed_queues(session)

    async def work(client):
        removed = 0
        for member, found in (await pbx.memberships(client)).items():
            for membership in found:
                if membership.queue not in allowed.get(member, ()):
                    await pbx.remove(client, membership.queue, membership.interface)
                    removed += 1
        return removed
    return ami_session(settings, work)


# ---- the durable log --------------------------------------------------------------------

def latest_changes(session: Session, instance_id: int,
                   agent_id: int | None = None) -> dict[int, AgentStateChange]:
    """Each agent's last logged state (its current one, as far as the log knows)."""
    query = select(AgentStateChange.agent_id, func.max(AgentStateChange.id).label("id")) \
        .where(AgentStateChange.instance_id == instance_id)
    if agent_id is not None:
        query = query.where(AgentStateChange.agent_id == agent_id)
    last = query.group_by(AgentStateChange.agent_id).subquery()
    rows = session.scalars(select(AgentStateChange).join(last, AgentStateChange.id == last.c.id))
    return {row.agent_id: row for row in rows}


def logged_presence(change: AgentStateChange | None) -> Presence:
    if change is None:
        return Presence(AgentState.OFFLINE)
    return Presence(AgentState(change.state), change.break_code,
                    tuple(change.queues.split()), change.interface)
