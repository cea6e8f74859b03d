"""Agents' notes on their calls: only on their own calls, of a bounded length."""
from __future__ import annotations

from datetime import datetime

import pytest

from engine.agents.models import Agent
from engine.ami.client import AmiError
from engine.callcontrol.service import NOTE_MAX, add_note, notes_of
from engine.calls.models import CallRecord, Direction
from engine.errors import Invalid, NotFound
from engine.uow import transaction
from tests.unit.webadmin_world import sqlite_world

__all__ = ["sqlite_world"]


def record(db, world, call_id: str, agent_key: str, instance_key: str) -> None:
    agent = db.get(Agent, world.ids[agent_key])
    db.add(CallRecord(pbx_call_id=call_id, instance_id=world.ids[instance_key],
                      direction=Direction.INBOUND, caller="13800138000", callee="01012345678",
                      started_at=datetime(2026, 12, 1, 9), disposition="answered",
                      agent_extension=agent.extension))


def test_a_note_goes_on_the_agents_own_recorded_call_only(sqlite_world):
    w = sqlite_world
    with transaction(w.settings) as db:
        record(db, w, "1796000000.1", "acme_agent", "acme_instance")
        record(db, w, "1796000000.2", "acme_admin_agent", "acme_instance")
        record(db, w, "1796000000.3", "globex_agent", "globex_instance")
    with transaction(w.settings) as db:
        bob = db.get(Agent, w.ids["acme_agent"])
        add_note(db, w.settings, bob, "1796000000.1", "  call back on Monday ")
        # Another agent's call or another instance's is not bob's recorded call; the
        # service then asks the PBX whether it is his current call, and this PBX is away:
        # refused either way (the browser test covers the current call).
        for call_id in ("1796000000.2", "1796000000.3", "x" * 65):
            with pytest.raises((NotFound, AmiError)):
                add_note(db, w.settings, bob, call_id, "mine now")
        for text in ("", "   ", "x" * (NOTE_MAX + 1), 7):
            with pytest.raises(Invalid):
                add_note(db, w.settings, bob, "1796000000.1", text)
        assert notes_of(db, bob, ["1796000000.1", "1796000000.2"]) == {
            "1796000000.1": ["call back on Monday"]}
