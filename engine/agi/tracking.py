"""The IVR tracking rows (engine/reports/ivr.py) of the FastAGI sessions, written after
each session has handed its caller on: a caller never waits on them, not even while
the database is locked or stopped.

The runs that end within ``EVERY`` of each other share one transaction and one insert
(a busy PBX's second of calls). One write is in flight at a time. A batch the database
does not take is kept for the next write, every ``EVERY`` until the database is back:
an outage delays the IVR report's rows and loses none (writing a run twice keeps it
once, ``record_sessions``). Only a stop during an outage loses the runs still kept,
and says so.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from engine.db import session_factory
from engine.pools import BACKGROUND
from engine.reports.ivr import record_sessions
from engine.retried import Retried

log = logging.getLogger(__name__)
EVERY = 1.0  # seconds between a run's end and its write, and between two tries
# Runs kept while the database is down (a minute at 100 calls a second, a few MB);
# beyond, the oldest go first.
KEEP = 6000


class RunTracking:
    def __init__(self, database_url: str):
        self.sessions = session_factory(database_url)
        self.failures = Retried(log, "IVR tracking")
        self.runs: list[dict] = []  # ended, not written yet
        self.writer: asyncio.Task | None = None
        self.stopping = asyncio.Event()

    def track(self, run: dict) -> None:
        """Keep one run (``record_session``'s arguments) for the next write."""
        self._keep([run])
        if self.writer is None and not self.stopping.is_set():
            self.writer = asyncio.get_running_loop().create_task(self._write_until_done())

    async def flush(self) -> None:
        """Write what is kept now, once, and wait for it (a stopping server)."""
        self.stopping.set()
        if self.writer is not None:
            await self.writer  # woken, it ends (after the write it may be in)
        if self.runs:
            await self._write()
        if self.runs:
            log.error("IVR tracking of %d runs lost: the database did not take them "
                      "before the stop (calls %s)", len(self.runs), _calls(self.runs))

    async def _write_until_done(self) -> None:
        try:
            while self.runs:
                with suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), EVERY)
                if self.stopping.is_set():
                    return
                await self._write()
        finally:
            self.writer = None

    async def _write(self) -> None:
        batch, self.runs = self.runs, []

        def write() -> None:
            with self.sessions() as session, session.begin():
                record_sessions(session, batch)
        try:
            await asyncio.get_running_loop().run_in_executor(BACKGROUND, write)
        except Exception:  # noqa: BLE001 - tracking must never fail a call; kept, retried
            self.failures.failed()
            self._keep(batch, first=True)
        else:
            self.failures.succeeded()

    def _keep(self, runs: list[dict], first: bool = False) -> None:
        # In place for the one run a call adds (every call goes through here); a batch
        # the database refused goes back in front, rarely.
        if first:
            self.runs[:0] = runs
        else:
            self.runs.extend(runs)
        if len(self.runs) > KEEP:
            dropped, self.runs = self.runs[:-KEEP], self.runs[-KEEP:]
            log.error("IVR tracking of %d runs lost: more than %d waited for the database "
                      "(calls %s)", len(dropped), KEEP, _calls(dropped))


def _calls(runs: list[dict]) -> str:
    shown = ", ".join(run["pbx_call_id"] for run in runs[:10])
    return shown + (f" and {len(runs) - 10} more" if len(runs) > 10 else "")
