"""The live model of agents' states in ``ccc serve``, and the durable state log.

Built from a snapshot of the PBX's queue memberships when AMI connects (so a restart
of ``ccc serve`` or of the PBX is followed by the truth, never by memory), then kept up
from queue and dial events. Each change of an agent's derived state is written to the
``agent_state_change`` log, which pages, the API and reports read.

After-call work also lives here: when a queue call ends, the agent is paused with the
reason AfterCallWork for its skill group's wrap-up seconds (the queue's own wrapuptime
keeps calls away meanwhile even if this process is down), then made READY again
unless the agent chose a break in between.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from engine.agents.models import Agent, AgentSkillGroup
from engine.agentstate import pbx
from engine.agentstate.models import AgentStateChange
from engine.agentstate.service import latest_changes, logged_presence
from engine.agentstate.states import (AFTER_CALL_WORK, AgentState, Membership, Presence,
                                      derive)
from engine.ami.client import AmiClient, AmiError
from engine.db import utcnow
from engine.instances.models import Instance
from engine.pools import BACKGROUND
from engine.retried import Retried
from engine.settings import Settings
from engine.skillgroups.models import SkillGroup
from engine.uow import transaction

log = logging.getLogger(__name__)
HOUSEKEEPING_EVERY = 2.0
MEMBER_EVENTS = ("QueueMemberAdded", "QueueMemberRemoved", "QueueMemberStatus",
                 "QueueMemberPause", "QueueMemberPenalty", "QueueMemberRinginuse")


def _device(channel: str) -> str:
    """PJSIP/i1-1001-00000012 -> PJSIP/i1-1001 (the endpoint's device)."""
    head, _, tail = channel.rpartition("-")
    return head if head and len(tail) >= 8 else channel


class AgentTracker:
    def __init__(self, settings: Settings,
                 on_change: Callable[[int, Presence], None] | None = None):
        self.settings = settings
        self.on_change = on_change
        self.memberships: dict[str, dict[str, Membership]] = {}  # member -> queue -> it
        self.dialing: dict[str, set[str]] = {}                   # member -> its channels
        self.wrapping_up: dict[str, asyncio.TimerHandle] = {}
        self.presence: dict[str, Presence] = {}                  # member -> last logged
        self.agents: dict[str, tuple[int, int]] = {}             # member -> (agent, instance)
        self.wrap_up: dict[str, int] = {}                        # queue -> seconds
        self.allowed: dict[str, set[str]] = {}                   # member -> its queues
        self.logged_at: dict[str, datetime] = {}
        self._directory_from = -1
        self.client: AmiClient | None = None
        self._writes: asyncio.Queue = asyncio.Queue()

    # ---- wiring --------------------------------------------------------------------------
    def attach(self, client: AmiClient) -> None:
        for name in MEMBER_EVENTS:
            client.on_event(name, self._member_event)
        client.on_event("AgentComplete", self._agent_complete)
        client.on_event("DialBegin", self._dial_begin)
        client.on_event("DialEnd", self._dial_end)
        client.on_event("Hangup", self._hangup)

    async def resync(self, client: AmiClient) -> None:
        """Rebuild every membership from the PBX (after each AMI connect)."""
        self.client = client
        snapshot = await pbx.memberships(client)
        self.memberships = {member: {m.queue: m for m in found}
                            for member, found in snapshot.items()}
        self.dialing.clear()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(BACKGROUND, self._load_directory)
        await loop.run_in_executor(BACKGROUND, self._load_logged)
        await self.prune()
        for member in set(self.memberships) | set(self.presence):
            self._changed(member)
            self._resume_wrap_up(member)

    async def prune(self) -> None:
        """Take out of a queue whoever may no longer be in it: a deleted agent, one moved
        out of that skill group, or one of an instance that is gone (the PBX keeps
        signed-in members across reloads and restarts)."""
        for member, queues in list(self.memberships.items()):
            for queue, membership in list(queues.items()):
                if queue in self.allowed.get(member, ()):
                    continue
                try:
                    await pbx.remove(self.client, queue, membership.interface)
                    log.info("agent %s left %s: no longer one of its skill groups",
                             member, queue)
                except (AmiError, ValueError) as error:
                    log.warning("%s not taken out of %s: %s", member, queue, error)

    async def run_housekeeping(self) -> None:
        """After each configuration apply: a fresh directory, and members pruned."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(HOUSEKEEPING_EVERY)
            if self.client is None or not self.client.connected:
                continue
            if self._applied_at() == self._directory_from:
                continue
            try:
                await loop.run_in_executor(BACKGROUND, self._load_directory)
                await self.prune()
            except Exception:  # a locked database: the next round tries again
                log.exception("agent directory: reload failed")

    async def run_writer(self) -> None:
        """Write state changes in order, off the event loop."""
        loop = asyncio.get_running_loop()
        failures = Retried(log, "agent state log: writing")
        while True:
            batch = [await self._writes.get()]
            while not self._writes.empty():
                batch.append(self._writes.get_nowait())
            try:
                await loop.run_in_executor(BACKGROUND, self._write, batch)
            except Exception:  # a locked database: keep the batch for the next round
                failures.failed()
                for item in batch:
                    self._writes.put_nowait(item)
                await asyncio.sleep(1.0)
            else:
                failures.succeeded()

    # ---- the database --------------------------------------------------------------------
    def _applied_at(self) -> int:
        try:
            return (self.settings.site_dir / "apply.last").stat().st_mtime_ns
        except OSError:
            return 0

    def _fresh_directory(self) -> None:
        """Reload agents and wrap-ups if the configuration was applied since the last load
        (every change of agents or skill groups is applied to the PBX)."""
        if self._applied_at() != self._directory_from:
            self._load_directory()

    def _load_directory(self) -> None:
        self._directory_from = self._applied_at()
        with transaction(self.settings) as db:
            key = Instance.pbx_key_for
            self.agents = {f"{key(instance_id)}-{extension}": (agent_id, instance_id)
                           for agent_id, instance_id, extension in db.execute(
                               select(Agent.id, Agent.instance_id, Agent.extension))}
            self.allowed = {}
            for instance_id, extension, group_id in db.execute(
                    select(Agent.instance_id, Agent.extension, AgentSkillGroup.skill_group_id)
                    .join(AgentSkillGroup, AgentSkillGroup.agent_id == Agent.id)):
                self.allowed.setdefault(f"{key(instance_id)}-{extension}", set()).add(
                    f"{key(instance_id)}-q{group_id}")
            self.wrap_up = {f"{key(instance_id)}-q{group_id}": seconds
                            for group_id, instance_id, seconds in db.execute(
                                select(SkillGroup.id, SkillGroup.instance_id,
                                       SkillGroup.wrap_up_seconds))}

    def _load_logged(self) -> None:
        by_agent = {agent_id: member for member, (agent_id, _) in self.agents.items()}
        with transaction(self.settings) as db:
            instance_ids = {instance_id for _, instance_id in self.agents.values()}
            self.presence, self.logged_at = {}, {}
            for instance_id in instance_ids:
                for agent_id, change in latest_changes(db, instance_id).items():
                    if agent_id in by_agent:
                        self.presence[by_agent[agent_id]] = logged_presence(change)
                        self.logged_at[by_agent[agent_id]] = change.at

    def _write(self, batch: list[tuple[int, int, Presence, datetime]]) -> None:
        with transaction(self.settings) as db:
            for agent_id, instance_id, presence, at in batch:
                db.add(AgentStateChange(agent_id=agent_id, instance_id=instance_id,
                                        state=presence.state.value,
                                        break_code=presence.break_code,
                                        queues=" ".join(presence.queues),
                                        interface=presence.interface, at=at))

    # ---- state ---------------------------------------------------------------------------
    def _changed(self, member: str) -> None:
        now = derive(list(self.memberships.get(member, {}).values()),
                     dialing=bool(self.dialing.get(member)),
                     wrapping_up=member in self.wrapping_up)
        if self.presence.get(member) == now:
            return
        if member not in self.agents:
            return  # not an agent of ours (or created since: the next resync finds it)
        self.presence[member] = now
        agent_id, instance_id = self.agents[member]
        self._writes.put_nowait((agent_id, instance_id, now, utcnow()))
        log.info("agent %s: %s%s", member, now.state.value,
                 f" ({now.break_code})" if now.break_code else "")
        if self.on_change:
            self.on_change(agent_id, now)

    def _member_of(self, event: dict) -> str:
        return pbx.member_name(event)

    def _member_event(self, event: dict) -> None:
        member, name = self._member_of(event), event.get("Event")
        if not member:
            return
        queues = self.memberships.setdefault(member, {})
        if name == "QueueMemberRemoved":
            queues.pop(event.get("Queue", ""), None)
            if not queues:
                self.memberships.pop(member, None)
        else:
            queues[event.get("Queue", "")] = pbx.membership_from(event)
        if member not in self.agents and name == "QueueMemberAdded":
            asyncio.get_running_loop().run_in_executor(BACKGROUND, self._load_directory) \
                .add_done_callback(lambda _f: self._changed(member))
            return
        self._changed(member)

    # ---- dialling: the agent places a call ------------------------------------------------
    def _member_for_device(self, device: str) -> str | None:
        name = device.removeprefix("PJSIP/").removesuffix("-web")
        return name if name in self.agents else None

    def _dial_begin(self, event: dict) -> None:
        member = self._member_for_device(_device(event.get("Channel", "")))
        if member and event.get("Channel", "").startswith("PJSIP/"):
            self.dialing.setdefault(member, set()).add(event["Channel"])
            self._changed(member)

    def _dial_end(self, event: dict) -> None:
        self._stop_dialing(event.get("Channel", ""))

    def _hangup(self, event: dict) -> None:
        self._stop_dialing(event.get("Channel", ""))

    def _stop_dialing(self, channel: str) -> None:
        member = self._member_for_device(_device(channel))
        if member and channel in self.dialing.get(member, set()):
            self.dialing[member].discard(channel)
            self._changed(member)

    # ---- after-call work -----------------------------------------------------------------
    async def _agent_complete(self, event: dict) -> None:
        member = self._member_of(event)
        self._fresh_directory()
        if member not in self.agents:
            return
        seconds = self.wrap_up.get(event.get("Queue", ""), 0)
        if seconds <= 0:
            return
        self._start_wrap_up(member, seconds)
        interface = event.get("Interface") or next(
            (m.interface for m in self.memberships.get(member, {}).values()), "")
        try:
            await pbx.pause(self.client, interface, AFTER_CALL_WORK)
        except (AmiError, ValueError) as error:
            log.warning("after-call work of %s not paused on the PBX: %s", member, error)

    def _start_wrap_up(self, member: str, seconds: float) -> None:
        if self.wrapping_up.get(member) is not None:
            self.wrapping_up.pop(member).cancel()
        loop = asyncio.get_running_loop()
        self.wrapping_up[member] = loop.call_later(
            seconds, lambda: asyncio.ensure_future(self._end_wrap_up(member)))
        self._changed(member)

    def _resume_wrap_up(self, member: str) -> None:
        """After a restart: an agent still paused for after-call work gets the rest of it."""
        found = list(self.memberships.get(member, {}).values())
        if not (found and found[0].paused and found[0].reason == AFTER_CALL_WORK):
            return
        logged = self.presence.get(member)
        started = self.logged_at.get(member) if logged and \
            logged.state == AgentState.WORKING else None
        seconds = self.wrap_up.get(found[0].queue, 0)
        left = seconds - (utcnow() - started).total_seconds() if started else 0
        self._start_wrap_up(member, max(0.0, left))

    async def _end_wrap_up(self, member: str) -> None:
        self.wrapping_up.pop(member, None)
        found = list(self.memberships.get(member, {}).values())
        if found and found[0].paused and found[0].reason == AFTER_CALL_WORK and self.client:
            try:
                await pbx.pause(self.client, found[0].interface, None)
            except (AmiError, ValueError) as error:
                log.warning("after-call work of %s not ended on the PBX: %s", member, error)
        self._changed(member)

