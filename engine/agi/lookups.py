"""The database work of call setup: on threads of its own, bounded in time, and able to
carry on from memory while the database does not answer.

A caller waits in silence while the IVR asks the database something, and SQLite under an
exclusive lock (a backup, a long migration) or an unreachable PostgreSQL makes each
question wait out the driver's own timeout, ten seconds and more. So:

- the questions run on their own pool of threads, never behind slow work (ingestion,
  a flow's HTTP requests, text-to-speech) that has its own;
- each has a deadline; past it, or on a database error, the database counts as down
  for a short pause, during which nothing waits on it;
- the answers that describe configuration (the number's flow version, a skill group's
  queue, an agent's endpoint) are remembered, and while the database is down the last
  one remembered is used: a published version never changes, and a binding or a queue
  that changed during the outage is used at most that long. A question with no
  remembered answer, and every write, fails with ``DatabaseUnavailable``: the session
  ends and the dialplan's fallback takes the caller (an outbound call is refused).

And a number's plan is not asked again for every call: at a busy PBX's rate of calls the
question (a thread's hop and a query) cost ccc serve more than the rest of the session.
An answer asked less than ``FRESH`` seconds ago is used as it is, so a publication or a
binding reaches the calls that begin at most that long after it.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from engine.pools import CALL_SETUP
from engine.db import get_engine, session_factory
from engine.errors import DomainError
from engine.metrics import FAILURES
from engine.ivr.runtime import (agent_endpoint, instance_of_number, plan_for_number,
                                plan_for_version, queue_for)

log = logging.getLogger(__name__)
DEADLINE = 3.0   # seconds a caller may wait on one database question
PAUSE = 10.0     # seconds the database counts as down after it failed to answer
REMEMBERED = 2048
FRESH = 1.0      # seconds a number's plan is used without asking again
# Reads whose answer may stand in for a fresh one while the database is down.
CONFIGURATION = frozenset({plan_for_number, plan_for_version, queue_for, agent_endpoint,
                           instance_of_number})
# Reads that run Core statements only: they get a plain connection, not an ORM session
# (every inbound call asks for its number's plan).
CORE = frozenset({plan_for_number, plan_for_version, instance_of_number})
# Reads asked once per FRESH seconds at most: the ones every inbound or resumed call asks.
KEPT_FRESH = CORE


class DatabaseUnavailable(DomainError):
    """The database did not answer in time, or failed; nothing remembered stands in."""


class Lookups:
    def __init__(self, database_url: str, deadline: float = DEADLINE, pause: float = PAUSE,
                 clock: Callable[[], float] = time.monotonic, fresh: float = FRESH):
        self.sessions = session_factory(database_url)
        self.engine = get_engine(database_url)
        self.deadline, self.pause, self.clock, self.fresh = deadline, pause, clock, fresh
        self.down_until = 0.0
        self.remembered: OrderedDict[tuple, object] = OrderedDict()
        self.asked_at: dict[tuple, float] = {}  # when each KEPT_FRESH answer was read

    def _transaction(self, function, args):
        if function in CORE:  # no ORM session: a third of the cost of a plan's stamp
            with self.engine.begin() as connection:
                return function(connection, *args)
        with self.sessions() as session, session.begin():
            return function(session, *args)

    async def __call__(self, function, *args):
        """``function(session, *args)`` in its own committed transaction, off the loop."""
        key = (function, args)
        now = self.clock()
        if function in KEPT_FRESH and now - self.asked_at.get(key, -self.fresh) < self.fresh \
                and key in self.remembered:
            return self.remembered[key]
        if now < self.down_until:
            return self._from_memory(key, "the database is down")
        try:
            work = asyncio.get_running_loop().run_in_executor(
                CALL_SETUP, self._transaction, function, args)
            value = await asyncio.wait_for(work, self.deadline)
        except (asyncio.TimeoutError, SQLAlchemyError) as error:
            self.down_until = self.clock() + self.pause
            FAILURES.labels("call_setup_database").inc()
            reason = f"no answer within {self.deadline:g}s" \
                if isinstance(error, asyncio.TimeoutError) else type(error).__name__
            log.error("database unavailable for call setup (%s: %s); remembered "
                      "configuration is used for %gs", function.__name__, reason, self.pause)
            return self._from_memory(key, reason)
        if function in CONFIGURATION:
            self.remembered[key] = value
            self.remembered.move_to_end(key)
            while len(self.remembered) > REMEMBERED:
                forgotten, _ = self.remembered.popitem(last=False)
                self.asked_at.pop(forgotten, None)
            if function in KEPT_FRESH:
                self.asked_at[key] = now
        return value

    def _from_memory(self, key: tuple, reason: str):
        if key in self.remembered:
            return self.remembered[key]
        raise DatabaseUnavailable(f"{key[0].__name__}: {reason}")
