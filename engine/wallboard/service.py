"""The real-time wallboard: one snapshot of an instance (or one of its skill groups)
that the web page, the API and ``ccc wallboard`` show alike.

Asks the PBX directly (one AMI login: QueueStatus and the channel list), so it is
right whichever process serves it and even while ``ccc serve`` is down; today's
figures come from the ingested queue log through the historical report's own
function, over today on the site's clock.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.agents.models import Agent, AgentSkillGroup
from engine.agentstate.service import latest_changes
from engine.ami.client import AmiActionFailed, ami_session
from engine.callcontrol import pbx as calls_pbx
from engine.db import utcnow
from engine.instances.models import Instance
from engine.reports.metrics import Figures
from engine.reports.service import skill_group_figures
from engine.settings import Settings
from engine.skillgroups.models import SkillGroup
from engine.wallboard.board import Group, Seat, board, memberships, waiting_callers


def today_figures(session: Session, instance: Instance, offset_minutes: int,
                  now: datetime) -> dict:
    """Today's Figures (on the site's clock) by skill group id, or by queue name for a
    group deleted since."""
    today = (now + timedelta(minutes=offset_minutes)).date()
    found: dict = {}
    for (_, key), figures in skill_group_figures(session, instance, today,
                                                 today + timedelta(days=1), "day",
                                                 offset_minutes).items():
        found[key] = found.get(key, Figures()) + figures
    return found


def _directory(session: Session, instance: Instance,
               group: SkillGroup | None) -> tuple[list[Group], list[Seat]]:
    groups = [group] if group is not None else list(session.scalars(
        select(SkillGroup).where(SkillGroup.instance_id == instance.id).order_by(SkillGroup.id)))
    member_of: dict[int, list[int]] = {}
    for agent_id, group_id in session.execute(
            select(AgentSkillGroup.agent_id, AgentSkillGroup.skill_group_id)
            .join(Agent, Agent.id == AgentSkillGroup.agent_id)
            .where(Agent.instance_id == instance.id).order_by(AgentSkillGroup.skill_group_id)):
        member_of.setdefault(agent_id, []).append(group_id)
    seats = [Seat(a.id, a.extension, a.name, f"{instance.pbx_key}-{a.extension}",
                  tuple(member_of.get(a.id, ())))
             for a in session.scalars(select(Agent).where(Agent.instance_id == instance.id)
                                      .order_by(Agent.extension))]
    if group is not None:
        seats = [s for s in seats if group.id in s.group_ids]
    return ([Group(g.id, g.name, g.queue_name, g.service_level_seconds) for g in groups],
            seats)


def live_pbx(settings: Settings, members: set[str]) -> tuple[list[dict], list]:
    """What the PBX says now: QueueStatus' events, and the live channels; an agent's
    channel not bridged yet (ringing) also with its call's first id, to find the
    caller (``members``: the agents' SIP user names)."""
    devices = members | {member + "-web" for member in members}

    async def work(client):
        status = await client.action({"Action": "QueueStatus"})
        channels = []
        for channel in await calls_pbx.channels(client):
            if channel.endpoint in devices and not channel.bridge:
                try:
                    found = await calls_pbx.detail(client, channel.name)
                except AmiActionFailed:  # it hung up meanwhile
                    continue
                channel = replace(channel, linked_id=found.linked_id)
            channels.append(channel)
        return status, channels
    return ami_session(settings, work)


def snapshot(session: Session, settings: Settings, instance: Instance,
             group: SkillGroup | None = None, now: datetime | None = None) -> dict:
    """The wallboard of the instance, or of one of its skill groups (the caller checked
    that the group is the instance's): raises AmiError when the PBX does not answer."""
    now = now or utcnow()
    groups, seats = _directory(session, instance, group)
    today = today_figures(session, instance, settings.billing_utc_offset_minutes, now)
    if group is not None:
        today = {group.id: today.get(group.id, Figures())}
    since = {agent_id: (change.state, change.at)
             for agent_id, change in latest_changes(session, instance.id).items()}
    events, channels = live_pbx(settings, {seat.member for seat in seats})
    shown = board(groups, seats, memberships(events), waiting_callers(events), channels,
                  today, since, now)
    local = now + timedelta(minutes=settings.billing_utc_offset_minutes)
    return {"InstanceId": instance.id, "Domain": instance.domain,
            "SkillGroupId": group.id if group is not None else None,
            "At": now.isoformat(timespec="seconds") + "Z",
            "Day": local.date().isoformat(), **shown}
