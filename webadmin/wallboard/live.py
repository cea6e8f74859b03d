"""The wallboard pushed to its pages (server-sent events).

A snapshot asks the PBX and the database, so pages of the same board share one: the
feed computes a board at most once every EVERY seconds, whatever the number of pages
showing it, and each page's stream sends it only when it changed.
"""
from __future__ import annotations

import json
import threading
import time

from sqlalchemy.exc import SQLAlchemyError

from engine.ami.client import AmiError
from engine.instances.models import Instance
from engine.settings import Settings
from engine.skillgroups.models import SkillGroup
from engine.uow import transaction
from engine.wallboard.service import snapshot

EVERY = 1.0
KEEPALIVE = 15.0  # a comment line now and then: proxies keep the stream open


class BoardFeed:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._boards: dict[tuple, tuple[float, str]] = {}  # key -> (when, JSON)

    def board(self, key: tuple[int, int | None]) -> str:
        """The board of (instance id, skill group id or None) as JSON, at most EVERY old."""
        with self._lock:
            found = self._boards.get(key)
            if found is not None and time.monotonic() - found[0] < EVERY:
                return found[1]
            text = self._compute(key)
            self._boards[key] = (time.monotonic(), text)
            return text

    def _compute(self, key: tuple[int, int | None]) -> str:
        instance_id, group_id = key
        try:
            with transaction(self.settings) as db:
                instance = db.get(Instance, instance_id)
                group = db.get(SkillGroup, group_id) if group_id is not None else None
                if instance is None or (group_id is not None and group is None):
                    return json.dumps({"error": "gone"})
                return json.dumps(snapshot(db, self.settings, instance, group))
        except AmiError:
            return json.dumps({"error": "pbx"})
        except SQLAlchemyError:  # the database is away for a moment: the page says so
            return json.dumps({"error": "database"})


def stream(feed: BoardFeed, key: tuple[int, int | None]):
    """A page's stream: the board now, then each changed board, until the page goes."""
    yield "retry: 2000\n"
    sent, quiet_since = None, time.monotonic()
    while True:
        text = feed.board(key)
        if text != sent:
            sent, quiet_since = text, time.monotonic()
            yield f"data: {text}\n\n"
        elif time.monotonic() - quiet_since > KEEPALIVE:
            quiet_since = time.monotonic()
            yield ": keepalive\n\n"
        time.sleep(EVERY)
