"""The long-running jobs of ``ccc serve``, each a class or a coroutine the process runs
on its loop (``cli_commands/serve.py`` wires them with the FastAGI server and the web app):

- call-record and queue-event ingestion from the PBX's durable journals (the CDR
  journal and the queue log): on start (catching up on whatever happened while it
  was down), on each AMI ``Cdr`` event (reads at least a second apart, so a busy
  PBX's calls share a transaction), and every second; and their rotation, by size
  and daily (engine/journals/rotation.py says why here and not in logrotate); the
  journals' disks are watched (a full one loses records: said loudly, in the log and a
  metric); the calls a dead PBX never recorded are recorded as interrupted once it
  runs again;
- the AMI listener that feeds agents' states (engine/agentstate/tracker.py) and wakes
  ingestion;
- call recordings: registered with their call records once the call has ended, and
  purged once older than their account's retention period (at start, then hourly);
- the supervision log: on start and on each AMI connect, rows whose supervisor's leg
  hung up unseen (while this process was down) are ended when found gone;
- the guard: failed sign-ins read from the PBX's security log ban their address, and
  the PBX configuration follows the bans in force (new ones, expired, lifted);
- the numbers' schedule (documents, rentals, reminders);
- Prometheus metrics on ``/metrics`` (engine/metrics.py, engine/monitoring.py), on
  loopback by default.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server

from engine.agentstate.tracker import AgentTracker
from engine.ami.client import AmiClient, AmiError, ami_command
from engine.pools import BACKGROUND
from engine.callcontrol import supervision
from engine.calls.interrupted import StartNotes, reconcile
from engine.calls.service import ingest
from engine.db import session_factory, utcnow
from engine.journals.cursor import reading_inode
from engine.journals.follow import inode_of
from engine.journals.rotation import due, prune, rotate
from engine.metrics import FAILURES, INGESTED, JOURNAL_FREE, RECORDS_AT_RISK
from engine.metrics import REGISTRY as METRICS
from engine.numbers.pool import release_number, release_overdue
from engine.numbers.reminders import remind
from engine.numbers.rentals import run_expiries
from engine.monitoring import ApplyCollector, IngestionCollector, QueueCollector
from engine.recording.retention import purge
from engine.recording.service import collect, waiting_files
from engine.reports.holds import HoldLog
from engine.reports.ingest import ingest_queue_log
from engine.retried import Retried
from engine.security.service import Tally, active_addresses, next_expiry, read_security_log
from engine.settings import Settings
from engine.uow import transaction
from provisioning.apply import ApplyError, apply

log = logging.getLogger(__name__)
INGEST_EVERY = 1.0
# A call's end wakes ingestion at once, but reads are this far apart at least: a busy
# PBX ends many calls a second, and one transaction per call cost ccc serve more CPU
# than the PBX spends on the call (2.4 ms of 3 ms per call went to the transaction).
# Reads this far apart take a second's calls in one transaction (at 40 calls a second,
# half a second apart still cost a fifth of ccc serve's CPU on a call); a call that
# ends after a quiet second is read at once.
INGEST_GAP = 1.0
GUARD_EVERY = 1.0
# The numbers' schedule: documents and rentals are due to the day, a minute is plenty.
POOL_EVERY = 60.0
AMI_RETRY = 2.0
REOPEN_RETRY = 30.0
PURGE_EVERY = 3600.0
RECONCILE_EVERY = 60.0
Clock = Callable[[], datetime]  # the time now, UTC; a test gives its own


class Ingestor:
    """Reads the journals when they change, and rotates them when due (between two of
    its own reads, so that nothing is read twice or skipped: engine/journals)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.wake = asyncio.Event()
        # When the PBX's current run began (from AMI on each connect; None: not known
        # yet), and the one whose earlier calls were last reconciled.
        self.pbx_started_at: datetime | None = None
        self._reconciled_for: datetime | None = None
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
        signatures, booted = self._signatures(), self.pbx_started_at
        calls = events = interrupted = 0
        if signatures != self._read_up_to or booted != self._reconciled_for:
            with transaction(self.settings) as session:
                calls = ingest(session, self.settings)
                events = ingest_queue_log(session, self.settings)
                self._reading = {path: reading_inode(session, path)
                                 for path in self._journals()}
                # With the journal read, a call of an earlier run of the PBX that still
                # has no record never will: it was interrupted. Again whenever records
                # come, to forget the starts of recorded calls.
                if booted is not None and (calls or booted != self._reconciled_for):
                    interrupted = reconcile(session, booted)
            self._read_up_to, self._read_at = signatures, time.monotonic()
            self._reconciled_for = booted
            INGESTED.labels("call_records").inc(calls)
            INGESTED.labels("queue_events").inc(events)
            if interrupted:
                log.warning("call records: %d calls interrupted by the PBX's end recorded "
                            "as such", interrupted)
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
        space = JournalSpace(self.settings)
        failures = Retried(log, "call-record or queue-event ingestion")
        while True:
            started = loop.time()
            try:
                await loop.run_in_executor(BACKGROUND, space.check)
                calls, events = await loop.run_in_executor(BACKGROUND, self._ingest_once)
                if calls:
                    log.info("call records: %d calls updated", calls)
                if events:
                    log.info("queue log: %d events added", events)
            except Exception:  # a locked or unreachable database: try again shortly
                FAILURES.labels("ingestion").inc()
                failures.failed()
            else:
                failures.succeeded()
            try:
                await asyncio.wait_for(self.wake.wait(), INGEST_EVERY)
            except asyncio.TimeoutError:
                pass
            # Woken early: what else ends meanwhile is read in the same transaction.
            await asyncio.sleep(max(0.0, started + INGEST_GAP - loop.time()))
            self.wake.clear()


class JournalSpace:
    """Watches the free space of the journals' disks. The PBX writes a call's record
    when the call ends, whatever the disk holds: on a full disk the write fails, the call
    goes on, and its record is lost, silently on the PBX's side. So ccc says it, loudly:
    an error in the log (again every minute while it lasts) and a metric to alert on."""

    RESERVE = 1024 * 1024  # bytes: thousands of records, minutes of a busy PBX
    REPEAT = 60.0

    def __init__(self, settings: Settings):
        self.journals = {"cdr": settings.cdr_file, "queue_log": settings.queue_log}
        self.told: dict[str, float] = {}

    def check(self) -> dict[str, int]:
        """Free bytes per journal's disk; logs and flags those under the reserve."""
        free = {}
        for name, path in self.journals.items():
            try:
                found = os.statvfs(path.parent)
            except OSError:
                continue  # no site yet: nothing to write to, nothing at risk
            free[name] = found.f_bavail * found.f_frsize
            JOURNAL_FREE.labels(name).set(free[name])
            at_risk = free[name] < self.RESERVE
            RECORDS_AT_RISK.labels(name).set(int(at_risk))
            now = time.monotonic()
            if not at_risk:
                if self.told.pop(name, None) is not None:
                    log.warning("the %s journal's disk has room again (%d bytes free)",
                                name, free[name])
            elif now - self.told.get(name, -self.REPEAT) >= self.REPEAT:
                self.told[name] = now
                log.error("RECORDS AT RISK: the disk of the %s journal (%s) has %d bytes "
                          "free; the PBX cannot write the records of the calls that end, "
                          "and they are lost: free space there now", name, path.parent,
                          free[name])
        return free


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
        failures = Retried(log, "recordings: registering")
        while True:
            try:
                found = await loop.run_in_executor(BACKGROUND, self._once)
                if found:
                    log.info("recordings: %d registered", found)
            except Exception:  # a locked database, an unreadable folder: try again shortly
                FAILURES.labels("recordings").inc()
                failures.failed()
            else:
                failures.succeeded()
            await asyncio.sleep(INGEST_EVERY)


def _is_inode(path: Path, inode: int) -> bool:
    try:
        return inode_of(path.stat()) == inode
    except FileNotFoundError:
        return False


class RetentionJob:
    """Purges the recordings older than their account's retention period: at start
    (catching up after a stop), then every hour. The time comes from ``clock``."""

    def __init__(self, settings: Settings, clock: Clock = utcnow):
        self.settings = settings
        self.clock = clock

    def _once(self) -> int:
        with transaction(self.settings) as session:
            done = purge(session, self.settings, self.clock())
        if done.failed:
            FAILURES.labels("recordings").inc(done.failed)
        return done.purged

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                purged = await loop.run_in_executor(None, self._once)
                if purged:
                    log.info("recordings: %d purged after their retention period", purged)
            except Exception:  # a locked database: the next hour's pass catches up
                FAILURES.labels("recordings").inc()
                log.exception("recordings: purging failed; retrying later")
            await asyncio.sleep(PURGE_EVERY)


class SupervisionReconciler:
    """Ends the supervision log rows whose supervisor's leg is gone from the PBX though
    its hang-up was never reported (it reports through FastAGI, so not while this
    process was down): on each AMI connect, then every minute while connected."""

    def __init__(self, settings: Settings, clock: Clock = utcnow):
        self.settings = settings
        self.clock = clock

    def _unended(self) -> list[int]:
        with transaction(self.settings) as session:
            return supervision.unended(session, self.clock())

    def _close(self, row_ids: list[int], live: set[int]) -> list[int]:
        with transaction(self.settings) as session:
            return supervision.close_gone(session, row_ids, live, self.clock())

    async def once(self, client: AmiClient) -> list[int]:
        """One pass: the PBX is asked only while some row waits for its end."""
        loop = asyncio.get_running_loop()
        row_ids = await loop.run_in_executor(None, self._unended)
        if not row_ids:
            return []
        live = await supervision.live_legs(client)
        closed = await loop.run_in_executor(None, self._close, row_ids, live)
        if closed:
            log.info("supervision log: %d rows ended, their legs found gone", len(closed))
        return closed

    async def run(self, client: AmiClient) -> None:
        while True:
            try:
                await self.once(client)
            except (AmiError, ValueError) as error:
                log.warning("supervision log not reconciled: %s", error)
            except Exception:  # a locked database: the next pass catches up
                FAILURES.labels("supervision").inc()
                log.exception("supervision log: reconciling failed; retrying")
            await asyncio.sleep(RECONCILE_EVERY)


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
    """Reads the PBX's security log and keeps the banned addresses refused by the PBX.

    The database is asked only when something may have changed: the log grew (or was
    replaced), a ban in force reaches its end, or a minute went by (a ban lifted or
    restored by other hands). An idle guard costs a stat a second, not a transaction."""

    RECHECK_EVERY = 60.0

    def __init__(self, settings: Settings, clock: Clock = utcnow):
        self.settings = settings
        self.clock = clock
        self.tally = Tally(timedelta(seconds=settings.ban_within))
        self.in_force: list[str] | None = None  # what the last apply rendered
        self._read_up_to: tuple[int, int] | None = None  # the log's (inode, size) then
        self._until: datetime | None = None  # the next end of a ban in force
        self._checked_at = -self.RECHECK_EVERY  # time.monotonic() of the last pass

    def _signature(self) -> tuple[int, int]:
        try:
            stat = self.settings.security_log.stat()
        except FileNotFoundError:
            return (0, 0)
        return (inode_of(stat), stat.st_size)

    def due(self) -> bool:
        """Whether a pass may find something new (cheap: no database)."""
        return (self._signature() != self._read_up_to
                or (self._until is not None and self.clock() >= self._until)
                or time.monotonic() - self._checked_at >= self.RECHECK_EVERY)

    def _once(self) -> list[str]:
        signature, checked_at = self._signature(), time.monotonic()
        with transaction(self.settings) as session:
            banned = read_security_log(session, self.settings, self.tally)
            addresses = active_addresses(session)
            until = next_expiry(session)
        for ban in banned:
            log.warning("banned %s: %s", ban.address, ban.reason)
        # A new ban is applied even when the list looks unchanged: an operator's lift
        # applies the configuration without this process knowing, and the same address
        # may be banned again before the next pass.
        if banned or addresses != self.in_force:
            try:
                with session_factory(self.settings.database_url)() as session:
                    apply(session, self.settings)
                self.in_force = addresses
            except ApplyError as error:
                log.error("bans not applied: %s", error)
                # Not applied: the next pass tries again, whatever the log does.
                signature = None
        self._read_up_to, self._until, self._checked_at = signature, until, checked_at
        return [b.address for b in banned]

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        failures = Retried(log, "security log: reading")
        while True:
            try:
                if self.due():
                    await loop.run_in_executor(BACKGROUND, self._once)
            except Exception:  # a locked database, an unreadable log: try again shortly
                FAILURES.labels("guard").inc()
                failures.failed()
            else:
                failures.succeeded()
            await asyncio.sleep(GUARD_EVERY)


def _number_round(settings: Settings) -> None:
    """One round of the numbers' schedule, logged: 400 numbers whose handler's documents
    are overdue go back to the pool; rental terms about to expire leave a reminder for the
    account's owners (engine/numbers/reminders.py); ended terms
    renew (auto-renewal) or give their number back."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with transaction(settings) as session:
        for digits in release_overdue(session, now):
            log.warning("400 number %s released: the handler's documents were not in on "
                        "time", digits)
        for reminder in remind(session, now):  # kept for the owners, once per term
            log.warning("number %s: its rental expires at %s UTC (no auto-renewal); "
                        "reminder %s for the account's owners", reminder.digits,
                        reminder.ends_at, reminder.id)
        renewed, ended = run_expiries(session, now, release_number)
        for digits in renewed:
            log.info("number %s: rental renewed for a month", digits)
        for digits in ended:
            log.warning("number %s: rental expired, the number was given back", digits)


async def number_schedule(settings: Settings) -> None:
    """``_number_round`` every POOL_EVERY seconds."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(None, _number_round, settings)
        except Exception:  # a locked database: the next round tries again
            FAILURES.labels("numbers").inc()
            log.exception("numbers' schedule failed; retrying")
        await asyncio.sleep(POOL_EVERY)


async def listen_ami(settings: Settings, ingestor: Ingestor, tracker: AgentTracker,
                     holds: HoldLog, reconciler: SupervisionReconciler | None = None) -> None:
    """Stay connected to AMI: each Cdr event wakes ingestion at once; queue and call
    events keep the agents' states, rebuilt from the PBX on every connect; agents'
    holds go to the hold log as they end; the supervision log is reconciled with the
    PBX on every connect, then every minute."""
    reconciler = reconciler or SupervisionReconciler(settings)
    while True:
        client = AmiClient.for_site(settings, events="cdr,agent,call")
        client.on_event("Cdr", lambda _event: ingestor.wake.set())
        tracker.attach(client)
        holds.attach(client)
        reconciling = None
        try:
            await client.connect()
            log.info("AMI listener connected")
            ingestor.pbx_started_at = await pbx_started_at(client)
            ingestor.wake.set()
            await tracker.resync(client)
            reconciling = asyncio.create_task(reconciler.run(client))
            await client.wait_closed()
        except AmiError as error:
            FAILURES.labels("ami").inc()
            log.debug("AMI not available: %s", error)
        finally:
            if reconciling is not None:
                reconciling.cancel()
                await asyncio.gather(reconciling, return_exceptions=True)
            await client.close()
        await asyncio.sleep(AMI_RETRY)


async def pbx_started_at(client: AmiClient) -> datetime | None:
    """When the PBX's current run began (UTC), at most a second early: its uptime is
    given in whole seconds, and a call that began before this moment is surely of an
    earlier run."""
    found = re.search(r"System uptime:\s*(\d+)", await client.command("core show uptime seconds"))
    if found is None:
        return None
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now - timedelta(seconds=int(found.group(1)) + 1)


async def note_starts(starts: StartNotes) -> None:
    """Write the inbound calls' starts the IVR noted, every second."""
    loop = asyncio.get_running_loop()
    failures = Retried(log, "calls' starts: writing")
    while True:
        await asyncio.sleep(INGEST_EVERY)
        batch = starts.take()
        if not batch:
            continue
        try:
            await loop.run_in_executor(BACKGROUND, starts.write, batch)
        except Exception:  # a locked or unreachable database: kept for the next try
            starts.put_back(batch)
            FAILURES.labels("call_starts").inc()
            failures.failed()
        else:
            failures.succeeded()


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
