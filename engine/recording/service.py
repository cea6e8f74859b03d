"""Recordings kept with their calls: registered once the call has ended, listed and read
per instance.

The PBX writes each recording as ``<recordings>/<instance key>/<linked id>.wav`` while the
call is up. A file is registered (and its call record marked ``recorded``, which the
recording-storage tariff bills) only when the call's record exists, that is after the
call ended, the file has not changed for a moment, and its WAV header has been
completed: the PBX writes the header's sizes only when it closes the file, so a file
whose header does not match its length is still being written. Such a file is never
listed, and a registered one that is being written again is refused (Conflict) until it
is whole.
"""
from __future__ import annotations

import re
import struct
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from engine import validation
from engine.calls.models import CallRecord
from engine.db import in_values
from engine.errors import Conflict, NotFound
from engine.instances.models import Instance
from engine.messages import N_
from engine.recording.models import Recording
from engine.reports.intervals import parse_day, utc_bounds
from engine.reports.models import QueueCall
from engine.settings import Settings
from engine.skillgroups.models import SkillGroup

# Asterisk's linked ids: the PBX's system name, seconds since 1970, a dot, a counter
# (it-123-1796283681.0); never starting with a dot, so never a relative path.
LINKED_ID_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")
SETTLED_SECONDS = 2.0        # unchanged this long after the call ended: fully written
WAV_HEADER_BYTES = 44
BYTES_PER_SECOND = 16000     # what MixMonitor writes to .wav: 8 kHz, 16-bit, mono
LIST_LIMIT = 200
# What a search's number may be: digits, an optional leading +; matched anywhere in the
# caller's or the dialled number, so a part of a number finds it too.
NUMBER_SEARCH_RE = re.compile(r"^\+?[0-9]{1,32}$")


def whole(path: Path) -> bool:
    """Whether the PBX has finished the WAV at ``path``: its header's RIFF and data sizes
    say the file's length. The PBX writes them when it closes the file (zero until
    then), so a recording being written never passes. False for anything unreadable."""
    try:
        with path.open("rb") as wav:
            header = wav.read(WAV_HEADER_BYTES)
            size = path.stat().st_size
    except OSError:
        return False
    if len(header) < WAV_HEADER_BYTES or header[:4] != b"RIFF" or header[36:40] != b"data":
        return False
    riff, data = struct.unpack_from("<I", header, 4)[0], struct.unpack_from("<I", header, 40)[0]
    # The data may be followed by one byte of padding to an even length.
    return riff + 8 in (size, size - 1) and data + WAV_HEADER_BYTES in (size, size - 1)


def file_of(settings: Settings, instance_key: str, pbx_call_id: str) -> Path:
    """Where the PBX writes a call's recording, as this host sees it."""
    if not LINKED_ID_RE.fullmatch(pbx_call_id) or Instance.id_from_pbx_key(instance_key) is None:
        raise ValueError(f"not a call of ours: {instance_key!r}, {pbx_call_id!r}")
    return settings.recordings_dir / instance_key / f"{pbx_call_id}.wav"


def collect(session: Session, settings: Settings, now: float | None = None) -> int:
    """Register the recordings of calls that have ended; return how many were new.

    Idempotent, and catches up after ``ccc serve`` was down: what is registered is
    skipped, what is still being written waits for a later pass.
    """
    now = time.time() if now is None else now
    root = settings.recordings_dir
    found = 0
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        instance_id = Instance.id_from_pbx_key(folder.name)
        if instance_id is None or not folder.is_dir():
            continue
        found += _collect_folder(session, folder, instance_id, now)
    session.flush()
    return found


def _collect_folder(session: Session, folder: Path, instance_id: int, now: float) -> int:
    files = {p.stem: p for p in folder.glob("*.wav") if LINKED_ID_RE.fullmatch(p.stem)}
    if not files:
        return 0
    # A purged recording stays known: its file (if the PBX left it) is not registered again.
    known = set(session.scalars(select(Recording.pbx_call_id)
                                .where(Recording.instance_id == instance_id)))
    waiting = sorted(set(files) - known)
    if not waiting:
        return 0
    records = {r.pbx_call_id: r for r in session.scalars(select(CallRecord).where(
        in_values(CallRecord.pbx_call_id, waiting), CallRecord.instance_id == instance_id))}
    found = 0
    for call_id in waiting:
        record, path = records.get(call_id), files[call_id]
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if record is None or now - stat.st_mtime < SETTLED_SECONDS or not whole(path):
            continue  # the call is still up, or the PBX is still writing the file
        seconds = max(0, stat.st_size - WAV_HEADER_BYTES) // BYTES_PER_SECOND
        session.add(Recording(pbx_call_id=call_id, instance_id=instance_id,
                              path=f"{folder.name}/{path.name}", seconds=seconds,
                              size_bytes=stat.st_size))
        record.recorded = True
        found += 1
    return found


def waiting_files(session: Session, settings: Settings) -> set[Path]:
    """Recording files not registered yet (still being written, or waiting for their
    call record), so a caller polling for new ones can skip the database while none are."""
    root = settings.recordings_dir
    on_disk = set(root.glob("i*/*.wav")) if root.is_dir() else set()
    if not on_disk:
        return set()
    return on_disk - {root / path for path in session.scalars(select(Recording.path))}


@dataclass(frozen=True)
class RecordingRow:
    """A recording with what its call record says (no file path: it stays on the server)."""
    id: int
    pbx_call_id: str
    started_at: datetime | None
    caller: str
    callee: str
    agent_extension: str | None
    seconds: int
    size_bytes: int

    def as_dict(self) -> dict:
        """The one serialization, shared by the CLI's --json and the API."""
        return {"id": self.id, "call_id": self.pbx_call_id,
                "start": self.started_at.isoformat() + "Z" if self.started_at else None,
                "caller": self.caller, "callee": self.callee, "agent": self.agent_extension,
                "seconds": self.seconds, "size_bytes": self.size_bytes}


@dataclass(frozen=True)
class Search:
    """What a list of recordings is narrowed to; every part optional. ``start`` and
    ``end`` are UTC, [start, end) of the call's start."""
    start: datetime | None = None
    end: datetime | None = None
    number: str | None = None
    agent: str | None = None
    skill_group_id: int | None = None


def _given(value) -> bool:
    return value is not None and value != ""


def parse_search(session: Session, instance: Instance, offset_minutes: int, *,
                 from_day=None, to_day=None, number=None, agent=None,
                 skill_group_id=None, skill_group=None) -> Search:
    """A Search from the faces' text: ``from_day`` and ``to_day`` are days (YYYY-MM-DD) on
    the site's clock, ``to_day`` not covered; ``number`` a part of the caller's or the
    dialled number; ``agent`` an extension; the skill group by id (the API, the page)
    or by name (the command line), of this instance only. Invalid naming each bad
    field; a skill group of another instance is no skill group (the same message)."""
    errors = validation.FieldErrors()
    start = end = None
    if _given(from_day):
        start = errors.check("from", parse_day, from_day, "from")
    if _given(to_day):
        end = errors.check("to", parse_day, to_day, "to")
    if start is not None and end is not None and end <= start:
        errors.add("to", N_("the end date must come after the start date"))
    if _given(number) and not (isinstance(number, str) and NUMBER_SEARCH_RE.fullmatch(number)):
        errors.add("number", N_("a number is digits, with an optional leading +"))
    if _given(agent) and not (isinstance(agent, str)
                              and validation.EXTENSION_RE.fullmatch(agent)):
        errors.add("agent", N_("an agent is named by its extension"))
    group_id = None
    if _given(skill_group_id) or _given(skill_group):
        group = None
        if _given(skill_group_id):
            text = str(skill_group_id)
            if text.isascii() and text.isdigit() and len(text) <= 18:
                group = session.get(SkillGroup, int(text))
        elif isinstance(skill_group, str):
            group = session.scalar(select(SkillGroup).where(
                SkillGroup.instance_id == instance.id, SkillGroup.name == skill_group))
        if group is None or group.instance_id != instance.id:
            errors.add("skill_group", N_("no such skill group in this instance"))
        else:
            group_id = group.id
    errors.raise_if_any()
    return Search(start=_midnight(start, offset_minutes), end=_midnight(end, offset_minutes),
                  number=number or None, agent=agent or None, skill_group_id=group_id)


def _midnight(day: date | None, offset_minutes: int) -> datetime | None:
    """The day's start on the site's clock, in UTC."""
    return None if day is None else utc_bounds(day, day, offset_minutes)[0]


def list_recordings(session: Session, instance: Instance, search: Search | None = None,
                    limit: int = LIST_LIMIT) -> list[RecordingRow]:
    """The instance's recordings (those not purged), newest call first, narrowed to
    ``search``."""
    search = search or Search()
    query = select(Recording, CallRecord).outerjoin(
        CallRecord, CallRecord.pbx_call_id == Recording.pbx_call_id).where(
        Recording.instance_id == instance.id, Recording.purged_at.is_(None))
    # The call's start where its record says it, else when the recording was registered.
    started = CallRecord.started_at
    if search.start is not None:
        query = query.where(or_(started >= search.start,
                                started.is_(None) & (Recording.created_at >= search.start)))
    if search.end is not None:
        query = query.where(or_(started < search.end,
                                started.is_(None) & (Recording.created_at < search.end)))
    if search.number is not None:
        pattern = f"%{search.number}%"
        query = query.where(or_(CallRecord.caller.like(pattern),
                                CallRecord.callee.like(pattern),
                                CallRecord.number.like(pattern)))
    if search.agent is not None:
        query = query.where(CallRecord.agent_extension == search.agent)
    if search.skill_group_id is not None:
        # The call waited in the group's queue (one of its visits, overflows included);
        # a queue call's id is the caller's channel, which is the call's linked id.
        query = query.where(exists().where(QueueCall.call_id == Recording.pbx_call_id,
                                           QueueCall.instance_id == instance.id,
                                           QueueCall.skill_group_id == search.skill_group_id))
    rows = session.execute(query.order_by(Recording.created_at.desc(), Recording.id.desc())
                           .limit(limit))
    return [_row(recording, record) for recording, record in rows]


def _row(recording: Recording, record: CallRecord | None) -> RecordingRow:
    return RecordingRow(recording.id, recording.pbx_call_id,
                        record.started_at if record else None,
                        record.caller if record else "", record.callee if record else "",
                        record.agent_extension if record else None,
                        recording.seconds, recording.size_bytes)


def get_recording(session: Session, instance: Instance, recording_id) -> RecordingRow:
    """One of the instance's recordings; NotFound for any other (no telling it exists)."""
    recording = _find(session, instance, recording_id)
    record = session.scalar(select(CallRecord).where(
        CallRecord.pbx_call_id == recording.pbx_call_id))
    return _row(recording, record)


def _find(session: Session, instance: Instance, recording_id) -> Recording:
    recording = session.get(Recording, recording_id) \
        if isinstance(recording_id, int) and not isinstance(recording_id, bool) \
        and 0 < recording_id < 2 ** 63 else None
    if recording is None or recording.instance_id != instance.id \
            or recording.purged_at is not None:
        raise NotFound(N_("no such recording in this instance"))
    return recording


def read(session: Session, settings: Settings, instance: Instance, recording_id) -> bytes:
    """The WAV of one of the instance's recordings; Conflict while the PBX is writing
    its file (the call's recording started again after it was registered, say): only
    a whole file is ever served."""
    recording = _find(session, instance, recording_id)
    folder, _, name = recording.path.partition("/")
    try:
        path = file_of(settings, folder, Path(name).stem)
        if not path.is_file():
            raise FileNotFoundError(name)
    except (ValueError, FileNotFoundError):
        raise NotFound(N_("no such recording in this instance")) from None
    if not whole(path):
        raise Conflict(N_("this recording is still being written; it can be played once "
                          "its call has ended"))
    data = path.read_bytes()
    if not whole(path) or len(data) != path.stat().st_size:
        raise Conflict(N_("this recording is still being written; it can be played once "
                          "its call has ended"))
    if len(data) != recording.size_bytes:  # written again since: what it now holds
        recording.size_bytes = len(data)
        recording.seconds = max(0, len(data) - WAV_HEADER_BYTES) // BYTES_PER_SECOND
    return data


def download_name(row: RecordingRow) -> str:
    """The file name a download is saved under: the call's id, nothing of the server's."""
    return f"recording-{row.pbx_call_id}.wav"
