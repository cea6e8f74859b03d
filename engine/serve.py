"""``ccc serve``: the long-running side of the call center in one asyncio loop.

- the FastAGI server the dialplan asks what to do with each inbound call;
- call-record and queue-event ingestion from the PBX's durable journals (the CDR
  journal and the queue log): on start (catching up on whatever happened while it
  was down), on each AMI ``Cdr`` event (reads at least half a second apart, so a busy
  PBX's calls share a transaction), and every second; and their rotation, by size
  and daily (engine/journals/rotation.py says why here and not in logrotate);
- agents' states: followed from the PBX's queue and call events, logged durably,
  after-call work timed (engine/agentstate/tracker.py);
- call recordings: registered with their call records once the call has ended;
- the guard: failed sign-ins read from the PBX's security log ban their address, and
  the PBX configuration follows the bans in force (new ones, expired, lifted);
- the web admin, in a thread (a WSGI app must not block the loop);
- Prometheus metrics on ``/metrics`` (engine/metrics.py, engine/monitoring.py), on
  loopback by default.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server

from engine.agentstate.tracker import AgentTracker
from engine.ami.client import AmiClient, AmiError, ami_command
from engine.agi.server import start_agi_server
from engine.calls.service import ingest
from engine.db import session_factory
from engine.journals.cursor import reading_inode
from engine.journals.follow import inode_of
from engine.journals.rotation import due, prune, rotate
from engine.metrics import FAILURES, INGESTED
from engine.metrics import REGISTRY as METRICS
from engine.monitoring import ApplyCollector, IngestionCollector, QueueCollector
from engine.recording.service import collect, waiting_files
from engine.reports.holds import HoldLog
from engine.reports.ingest import ingest_queue_log
from engine.security.service import Tally, active_addresses, read_security_log
from engine.settings import Settings
from engine.uow import transaction
from provisioning.apply import ApplyError, apply

log = logging.getLogger(__name__)
INGEST_EVERY = 1.0
# A call's end wakes ingestion at once, but reads are this far apart at least: a busy
# PBX ends many calls a second, and one transaction per call cost ccc serve more CPU
# than the PBX spends on the call (2.4 ms of 3 ms per call went to the transaction).
# Reads this far apart take a second's calls in two transactions.
INGEST_GAP = 0.5
GUARD_EVERY = 1.0
AMI_RETRY = 2.0
REOPEN_RETRY = 30.0


class Ingestor:
    """Reads the journals when they change, and rotates them when due (between two of
    its own reads, so that nothing is read twice or skipped: engine/journals)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.wake = asyncio.Event()
        # The journals' (inode, size) at the last successful read, and when that was.
        self._read_up_to: tuple[tuple[int, int], ...] | None = None
        self._read_at = time.monotonic()
        self._reading: dict[Path, int | None] = {}  # the file ingestion is on, per journal
        self._day = self._today()
        self._reopen_queue_log = False
        self._reopen_after = 0.0

    def _journals(self) -> tuple[Path, Path]:
        return self.settings.cdr_file, self.settings.queue_log

    def lag(self) -> dict[str, tuple[int, float]]:
        """Per journal: bytes not read yet, and seconds since the last read that left
        none (0 when none is left)."""
        read = self._read_up_to or ((0, 0), (0, 0))
        now = time.monotonic()
        found = {}
        for name, (inode, size), (done_inode, done) in zip(
                ("cdr", "queue_log"), self._signatures(), read, strict=True):
            unread = max(0, size - done) if inode == done_inode else size
            found[name] = (unread, round(now - self._read_at, 3) if unread else 0.0)
        return found

    def _signatures(self) -> tuple[tuple[int, int], ...]:
        found = []
        for path in self._journals():
            try:
                stat = path.stat()
                found.append((inode_of(stat), stat.st_size))
            except FileNotFoundError:
                found.append((0, 0))
        return tuple(found)

    def _ingest_once(self) -> tuple[int, int]:
        # The journals only grow: while they are unchanged there is nothing to read, and
        # the once-a-second poll costs two stats, not a database transaction.
        signatures = self._signatures()
        calls = events = 0
        if signatures != self._read_up_to:
            with transaction(self.settings) as session:
                calls = ingest(session, self.settings)
                events = ingest_queue_log(session, self.settings)
                self._reading = {path: reading_inode(session, path)
                                 for path in self._journals()}
            self._read_up_to, self._read_at = signatures, time.monotonic()
            INGESTED.labels("call_records").inc(calls)
            INGESTED.labels("queue_events").inc(events)
        self._rotate_due()
        return calls, events

    def _today(self):
        clock = timedelta(minutes=self.settings.billing_utc_offset_minutes)
        return (datetime.now(timezone.utc) + clock).date()

    def _rotate_due(self) -> None:
        """Rotate each journal that is due and that ingestion reads now (so no second
        rotated file waits behind the first); have the PBX reopen its queue log."""
        today = self._today()
        new_day = self.settings.journal_rotate_daily and today != self._day
        self._day = today
        for path in self._journals():
            reading = self._reading.get(path)
            if reading is None or not _is_inode(path, reading):
                continue
            if not due(path, self.settings.journal_rotate_bytes, new_day):
                continue
            rotated = rotate(path, datetime.now(timezone.utc))
            if rotated is not None:
                log.info("journal %s rotated to %s", path.name, rotated.name)
                if path == self.settings.queue_log:
                    self._reopen_queue_log = True
            prune(path, self.settings.journal_keep, reading)
        # Also after a restart between the rename and the reopening: no queue log under
        # its name while ingestion reads a rotated one.
        queue_log = self.settings.queue_log
        if not queue_log.exists() and self._reading.get(queue_log) is not None:
            self._reopen_queue_log = True
        if self._reopen_queue_log and time.monotonic() >= self._reopen_after:
            try:
                ami_command(self.settings, "logger reload")
                self._reopen_queue_log = False
            except AmiError as error:
                # The PBX keeps writing to the renamed file, which ingestion goes on
                # reading; asked again a little later (a starting PBX opens a new one).
                self._reopen_after = time.monotonic() + REOPEN_RETRY
                log.warning("queue log rotated but the PBX did not reopen it yet: %s", error)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                calls, events = await loop.run_in_executor(None, self._ingest_once)
                if calls:
                    log.info("call records: %d calls updated", calls)
                if events:
                    log.info("queue log: %d events added", events)
            except Exception:  # a locked or unreachable database: try again shortly
                FAILURES.labels("ingestion").inc()
                log.exception("call-record or queue-event ingestion failed; retrying")
            try:
                await asyncio.wait_for(self.wake.wait(), INGEST_EVERY)
            except asyncio.TimeoutError:
                pass
            # Woken early: what else ends meanwhile is read in the same transaction.
            await asyncio.sleep(max(0.0, started + INGEST_GAP - loop.time()))
            self.wake.clear()


class RecordingCollector:
    """Registers the recordings of ended calls with their call records, every second.

    The database is read only when something may have changed: a new file, a file still
    being written, or a grown call-record journal (a call ended). A file that never gets
    a call record costs nothing once it stops changing."""

    RECENT = 10.0  # seconds since a file last changed: it may still be written or settle

    def __init__(self, settings: Settings):
        self.settings = settings
        self.waiting: set | None = None  # unregistered files at the last look (None: unknown)
        self.seen: set = set()
        self.journal_size = -1

    def _due(self, on_disk: set) -> bool:
        if self.waiting is None or on_disk - self.seen:
            return True
        if not self.waiting:
            return False
        if _size(self.settings.cdr_file) != self.journal_size:
            return True
        now = time.time()
        return any(now - _mtime(path) < self.RECENT for path in self.waiting)

    def _once(self) -> int:
        root = self.settings.recordings_dir
        on_disk = set(root.glob("i*/*.wav")) if root.is_dir() else set()
        if not self._due(on_disk):
            return 0
        self.journal_size = _size(self.settings.cdr_file)
        with transaction(self.settings) as session:
            found = collect(session, self.settings)
            self.waiting = waiting_files(session, self.settings)
        self.seen = on_disk
        return found

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                found = await loop.run_in_executor(None, self._once)
                if found:
                    log.info("recordings: %d registered", found)
            except Exception:  # a locked database, an unreadable folder: try again shortly
                FAILURES.labels("recordings").inc()
                log.exception("recordings: registering failed; retrying")
            await asyncio.sleep(INGEST_EVERY)


def _is_inode(path: Path, inode: int) -> bool:
    try:
        return inode_of(path.stat()) == inode
    except FileNotFoundError:
        return False


def _size(path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mtime(path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


class Guard:
    """Reads the PBX's security log and keeps the banned addresses refused by the PBX."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.tally = Tally(timedelta(seconds=settings.ban_within))
        self.in_force: list[str] | None = None  # what the last apply rendered

    def _once(self) -> list[str]:
        with transaction(self.settings) as session:
            banned = read_security_log(session, self.settings, self.tally)
            addresses = active_addresses(session)
        for ban in banned:
            log.warning("banned %s: %s", ban.address, ban.reason)
        if addresses != self.in_force:  # a new ban, or one expired or lifted
            try:
                with session_factory(self.settings.database_url)() as session:
                    apply(session, self.settings)
                self.in_force = addresses
            except ApplyError as error:
                log.error("bans not applied: %s", error)
        return [b.address for b in banned]

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, self._once)
            except Exception:  # a locked database, an unreadable log: try again shortly
                FAILURES.labels("guard").inc()
                log.exception("security log: reading failed; retrying")
            await asyncio.sleep(GUARD_EVERY)


async def listen_ami(settings: Settings, ingestor: Ingestor, tracker: AgentTracker,
                     holds: HoldLog) -> None:
    """Stay connected to AMI: each Cdr event wakes ingestion at once; queue and call
    events keep the agents' states, rebuilt from the PBX on every connect; agents'
    holds go to the hold log as they end."""
    while True:
        client = AmiClient.for_site(settings, events="cdr,agent,call")
        client.on_event("Cdr", lambda _event: ingestor.wake.set())
        tracker.attach(client)
        holds.attach(client)
        try:
            await client.connect()
            log.info("AMI listener connected")
            await tracker.resync(client)
            await client.wait_closed()
        except AmiError as error:
            FAILURES.labels("ami").inc()
            log.debug("AMI not available: %s", error)
        finally:
            await client.close()
        await asyncio.sleep(AMI_RETRY)


def start_metrics(settings: Settings, ingestor: Ingestor):
    """Prometheus' /metrics on its own port (loopback unless configured otherwise); None
    when turned off (port 0) or the port is taken: serving calls matters more."""
    if not settings.metrics_port:
        return None
    registry = CollectorRegistry()
    # The engine's counters (a registry is a collector too) beside this process's figures.
    for collector in (METRICS, QueueCollector(settings), IngestionCollector(ingestor.lag),
                      ApplyCollector(settings)):
        registry.register(collector)
    try:
        server, _thread = start_http_server(settings.metrics_port, settings.metrics_bind,
                                            registry=registry)
    except OSError as error:
        log.error("metrics not served on %s:%d: %s", settings.metrics_bind,
                  settings.metrics_port, error)
        return None
    return server


def start_web(settings: Settings):
    from werkzeug.serving import make_server

    from webadmin import create_app
    ssl_context = None
    if settings.tls:
        from provisioning.tls import certificate
        ssl_context = tuple(str(path) for path in certificate(settings, log.warning))
    server = make_server(settings.web_bind, settings.web_port, create_app(settings),
                         threaded=True, ssl_context=ssl_context)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server


async def main(settings: Settings, web: bool) -> None:
    agi = await start_agi_server(settings)
    ingestor = Ingestor(settings)
    web_server = start_web(settings) if web else None
    metrics_server = start_metrics(settings, ingestor)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tracker = AgentTracker(settings)
    tasks = [asyncio.create_task(ingestor.run()),
             asyncio.create_task(tracker.run_writer()),
             asyncio.create_task(tracker.run_housekeeping()),
             asyncio.create_task(listen_ami(settings, ingestor, tracker, HoldLog(settings))),
             asyncio.create_task(RecordingCollector(settings).run()),
             asyncio.create_task(Guard(settings).run())]
    web_url = f"{settings.web_scheme}://{settings.web_bind}:{settings.web_port}/"
    log.info("serving: FastAGI on 127.0.0.1:%d%s%s", settings.agi_port,
             f", web admin on {web_url}" if web else "",
             f", metrics on http://{settings.metrics_bind}:{settings.metrics_port}/metrics"
             if metrics_server else "")
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        agi.close()
        await agi.wait_closed()
        for server in (web_server, metrics_server):
            if server is not None:
                server.shutdown()


def run(settings: Settings, web: bool = True) -> None:
    # Under systemd the journal stamps every line with its time and the unit; a
    # terminal gets the time in the line.
    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    logging.basicConfig(level=settings.log_level,
                        format=stamp + "%(levelname)s %(name)s: %(message)s")
    asyncio.run(main(settings, web))
