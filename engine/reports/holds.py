"""The hold log: each time an agent held a call, written by ``ccc serve`` when it ends.

The PBX announces holds only over AMI (Hold and Unhold on the channel whose phone put
the other party on hold; its queue log, call records and channel event log keep no
trace), so this is the journal that AverageHoldTime reads. Only agents' channels count:
a caller's phone putting the agent on hold is no agent's hold time.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calls.merge import agent_of
from engine.db import session_factory
from engine.instances.models import Instance
from engine.reports.models import CallHold
from engine.settings import Settings

log = logging.getLogger(__name__)
ID_LENGTH = CallHold.__table__.c.pbx_call_id.type.length


@dataclass(frozen=True)
class Hold:
    instance_id: int
    pbx_call_id: str
    channel_uniqueid: str
    agent_extension: str
    started_at: datetime


def hold_of(event: dict, now: datetime) -> Hold | None:
    """The hold a Hold event starts, or None when it is not an agent's (pure)."""
    channel = event.get("Channel", "")
    extension = agent_of(channel)
    instance_id = Instance.id_from_pbx_key(channel[len("PJSIP/"):].split("-", 1)[0])
    uniqueid, linkedid = event.get("Uniqueid", ""), event.get("Linkedid", "")
    if extension is None or instance_id is None or not uniqueid or not linkedid:
        return None
    return Hold(instance_id, linkedid[:ID_LENGTH], uniqueid[:ID_LENGTH], extension, now)


def store_hold(session: Session, hold: Hold, ended_at: datetime) -> bool:
    """Keep one ended hold (once); False when it was kept already or its instance is
    gone."""
    if session.get(Instance, hold.instance_id) is None or session.scalar(
            select(CallHold.id).where(CallHold.channel_uniqueid == hold.channel_uniqueid,
                                      CallHold.started_at == hold.started_at)):
        return False
    session.add(CallHold(instance_id=hold.instance_id, pbx_call_id=hold.pbx_call_id,
                         channel_uniqueid=hold.channel_uniqueid,
                         agent_extension=hold.agent_extension, started_at=hold.started_at,
                         seconds=max(0.0, (ended_at - hold.started_at).total_seconds())))
    return True


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class HoldLog:
    """Follows Hold, Unhold and Hangup events; writes each hold when it ends."""

    def __init__(self, settings: Settings, clock=_now):
        self.sessions = session_factory(settings.database_url)
        self.clock = clock
        self.open: dict[str, Hold] = {}   # channel uniqueid -> its hold under way

    def attach(self, client) -> None:
        client.on_event("Hold", self._hold)
        client.on_event("Unhold", self._unhold)
        client.on_event("Hangup", self._unhold)

    def _hold(self, event: dict) -> None:
        hold = hold_of(event, self.clock())
        if hold is not None:
            self.open.setdefault(hold.channel_uniqueid, hold)

    async def _unhold(self, event: dict) -> None:
        hold = self.open.pop(event.get("Uniqueid", ""), None)
        if hold is None:
            return
        ended = self.clock()

        def write():
            with self.sessions() as session, session.begin():
                store_hold(session, hold, ended)
        try:
            await asyncio.get_running_loop().run_in_executor(None, write)
        except Exception:  # noqa: BLE001 - a lost hold must not stop the listener
            log.exception("hold of call %s not written", hold.pbx_call_id)
