"""Recordings kept with their calls: registered once the call has ended, listed and read
per instance.

The PBX writes each recording as ``<recordings>/<instance key>/<linked id>.wav`` while the
call is up. A file is registered (and its call record marked ``recorded``, which the
recording-storage tariff bills) only when the call's record exists, that is after the
call ended, and the file has not changed for a moment: a recording being written is
never listed nor served.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calls.models import CallRecord
from engine.errors import NotFound
from engine.instances.models import Instance
from engine.messages import N_
from engine.recording.models import Recording
from engine.settings import Settings

# Asterisk's linked ids: the PBX's system name, seconds since 1970, a dot, a counter
# (it-123-1796283681.0); never starting with a dot, so never a relative path.
LINKED_ID_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")
SETTLED_SECONDS = 2.0        # unchanged this long after the call ended: fully written
WAV_HEADER_BYTES = 44
BYTES_PER_SECOND = 16000     # what MixMonitor writes to .wav: 8 kHz, 16-bit, mono
LIST_LIMIT = 200


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
    known = set(session.scalars(select(Recording.pbx_call_id)
                                .where(Recording.instance_id == instance_id)))
    waiting = sorted(set(files) - known)
    if not waiting:
        return 0
    records = {r.pbx_call_id: r for r in session.scalars(select(CallRecord).where(
        CallRecord.pbx_call_id.in_(waiting), CallRecord.instance_id == instance_id))}
    found = 0
    for call_id in waiting:
        record, path = records.get(call_id), files[call_id]
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if record is None or now - stat.st_mtime < SETTLED_SECONDS:
            continue  # the call is still up, or the PBX is closing the file
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


def list_recordings(session: Session, instance: Instance,
                    limit: int = LIST_LIMIT) -> list[RecordingRow]:
    """The instance's recordings, newest call first."""
    rows = session.execute(
        select(Recording, CallRecord).outerjoin(
            CallRecord, CallRecord.pbx_call_id == Recording.pbx_call_id)
        .where(Recording.instance_id == instance.id)
        .order_by(Recording.created_at.desc(), Recording.id.desc()).limit(limit))
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
    if recording is None or recording.instance_id != instance.id:
        raise NotFound(N_("no such recording in this instance"))
    return recording


def read(session: Session, settings: Settings, instance: Instance, recording_id) -> bytes:
    """The WAV of one of the instance's recordings."""
    recording = _find(session, instance, recording_id)
    folder, _, name = recording.path.partition("/")
    try:
        return file_of(settings, folder, Path(name).stem).read_bytes()
    except (ValueError, FileNotFoundError):
        raise NotFound(N_("no such recording in this instance")) from None


def download_name(row: RecordingRow) -> str:
    """The file name a download is saved under: the call's id, nothing of the server's."""
    return f"recording-{row.pbx_call_id}.wav"
