"""Agents' states pushed to their pages (server-sent events).

``ccc serve`` writes each state change to the durable log; one thread per web process
reads what is new there every POLL seconds and wakes the pages' streams, so a change
reaches its page within about POLL plus the PBX's own event delay, whichever process
serves the page, and one query serves every connected page.
"""
from __future__ import annotations

import json
import threading
import time

from sqlalchemy import func, select

from engine.agentstate.models import AgentStateChange
from engine.agentstate.service import logged_presence
from engine.settings import Settings
from engine.uow import transaction

POLL = 0.1
KEEPALIVE = 15.0  # a comment line now and then: proxies keep the stream open


class StateFeed:
    """The latest logged change of every agent that changed since the feed started."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # One lock, one condition per agent: a change wakes only that agent's pages, so
        # the cost of a change does not grow with the number of pages connected.
        self._lock = threading.Lock()
        self._changed: dict[int, threading.Condition] = {}
        self.latest: dict[int, AgentStateChange] = {}
        self.last_id = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            with transaction(self.settings) as db:
                self.last_id = db.scalar(select(func.max(AgentStateChange.id))) or 0
            self._thread = threading.Thread(target=self._run, name="state-feed", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                with transaction(self.settings) as db:
                    rows = list(db.scalars(select(AgentStateChange).where(
                        AgentStateChange.id > self.last_id).order_by(AgentStateChange.id)))
                    for row in rows:
                        db.expunge(row)
            except Exception:  # the database is away for a moment: try again
                rows = []
                time.sleep(1.0)
            if rows:
                with self._lock:
                    for row in rows:
                        self.latest[row.agent_id] = row
                    self.last_id = rows[-1].id
                    for agent_id in {row.agent_id for row in rows}:
                        if agent_id in self._changed:
                            self._changed[agent_id].notify_all()
            time.sleep(POLL)

    def wait_for(self, agent_id: int, after_id: int, timeout: float) -> AgentStateChange | None:
        """The agent's change newer than ``after_id``, waiting up to ``timeout`` for one."""
        deadline = time.monotonic() + timeout
        with self._lock:
            changed = self._changed.setdefault(agent_id, threading.Condition(self._lock))
            while True:
                row = self.latest.get(agent_id)
                if row is not None and row.id > after_id:
                    return row
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                changed.wait(left)


def event(row: AgentStateChange | None) -> str:
    presence = logged_presence(row).as_dict()
    presence["since"] = row.at.isoformat() + "Z" if row is not None else None
    return f"id: {row.id if row else 0}\ndata: {json.dumps(presence)}\n\n"


def stream(feed: StateFeed, agent_id: int, first: AgentStateChange | None):
    """The page's stream: the state now, then each change, until the page goes away."""
    yield "retry: 1000\n"  # reconnect within a second after a restart
    yield event(first)
    seen = first.id if first is not None else 0
    while True:
        row = feed.wait_for(agent_id, seen, KEEPALIVE)
        if row is None:
            yield ": keepalive\n\n"
            continue
        seen = row.id
        yield event(row)
