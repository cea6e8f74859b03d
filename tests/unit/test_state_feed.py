"""The web process's feed of agents' state changes: a change wakes its agent's pages
and only theirs; the stream starts with the state now and goes on with each change."""
from __future__ import annotations

import threading
from datetime import datetime

from engine.agentstate.models import AgentStateChange
from engine.uow import transaction
from tests.unit.webadmin_world import sqlite_world
from webadmin.workbench.live import StateFeed, stream

__all__ = ["sqlite_world"]


def log(world, agent_key: str, state: str, code: str | None = None) -> None:
    with transaction(world.settings) as db:
        db.add(AgentStateChange(agent_id=world.ids[agent_key],
                                instance_id=world.ids["acme_instance"], state=state,
                                break_code=code, queues="i1-q1", interface="PJSIP/i1-1002",
                                at=datetime(2026, 12, 1, 9, 0)))


def test_a_change_wakes_its_agents_pages_only(sqlite_world):
    feed = StateFeed(sqlite_world.settings)
    feed.start()
    got: dict[str, object] = {}

    def wait(name: str, agent_key: str) -> None:
        got[name] = feed.wait_for(sqlite_world.ids[agent_key], 0, timeout=3.0)

    bob = threading.Thread(target=wait, args=("bob", "acme_agent"))
    alice = threading.Thread(target=wait, args=("alice", "acme_admin_agent"))
    bob.start()
    alice.start()
    log(sqlite_world, "acme_agent", "BREAK", "Meal")
    bob.join(5)
    assert got["bob"].state == "BREAK" and got["bob"].break_code == "Meal"
    alice.join(5)
    assert got["alice"] is None  # no change of hers within the wait


def test_the_stream_starts_with_the_state_now_then_follows(sqlite_world):
    feed = StateFeed(sqlite_world.settings)
    feed.start()
    events = stream(feed, sqlite_world.ids["acme_agent"], None)
    assert next(events).startswith("retry:")
    assert '"state": "OFFLINE"' in next(events)
    log(sqlite_world, "acme_agent", "READY")
    assert '"state": "READY"' in next(events)
