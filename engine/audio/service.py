"""The audio library's rules: what may be uploaded, renamed, replaced and deleted."""
from __future__ import annotations

import hashlib
import logging
import re
import time
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import validation
from engine.audio import storage
from engine.audio.models import AudioFile
from engine.audio.wav import inspect_wav, refuse
from engine.errors import Conflict, Invalid, NotFound
from engine.instances.models import Instance
from engine.ivr.spec import PRODUCT_SOUNDS
from engine.settings import Settings
from engine.messages import N_

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024


def _checked_name(name: str) -> str:
    try:
        validation.audio_name(name)
    except Invalid as error:
        raise Invalid(error.message, fields={"name": error.message}) from None
    # A flow's "prompt" names either one of the product's own prompts or a library
    # file, and the product's win: a library file by such a name would never play.
    if name in PRODUCT_SOUNDS:
        message = N_("audio name %(name)r is taken by one of the product's own prompts",
                     name=name)
        raise Invalid(message, fields={"name": message})
    return name


def name_from_filename(filename: str) -> str:
    """A library name suggested by an uploaded file's name: 'Main Menu.WAV' -> 'main-menu'."""
    stem = Path(filename).name.rsplit(".", 1)[0].lower()
    return re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-_")[:64]


def find_audio(session: Session, instance: Instance, name: str) -> AudioFile | None:
    return session.scalar(select(AudioFile).where(AudioFile.instance_id == instance.id,
                                                  AudioFile.name == name))


def get_audio(session: Session, instance: Instance, name: str) -> AudioFile:
    """The instance's audio file of that name; ``NotFound`` otherwise."""
    audio = find_audio(session, instance, name)
    if audio is None:
        raise NotFound(N_("no audio %(name)r in instance %(domain)s",
                          name=name, domain=instance.domain))
    return audio


def list_audio(session: Session, instance: Instance) -> list[AudioFile]:
    """The instance's library, by name."""
    return list(session.scalars(select(AudioFile).where(AudioFile.instance_id == instance.id)
                                .order_by(AudioFile.name)))


def read_upload(data: bytes | BinaryIO) -> bytes:
    # One byte past the limit is enough to refuse: a huge file is never read whole.
    return data if isinstance(data, bytes) else data.read(MAX_BYTES + 1)


def upload(session: Session, settings: Settings, instance: Instance, name: str,
           data: bytes | BinaryIO, replace: bool = False) -> AudioFile:
    """Add a WAV to the library (or, with ``replace``, put a new one under an existing name).

    Refused unless it is a WAV by its header, at most 5 MB, and sox can decode it. The
    files appear when the transaction commits.
    """
    _checked_name(name)
    data = read_upload(data)
    if len(data) > MAX_BYTES:
        raise refuse(N_("the file is larger than 5 MB (at most %(max_bytes)s bytes)",
                        max_bytes=MAX_BYTES))
    inspect_wav(data)
    audio = find_audio(session, instance, name)
    if audio is not None and not replace:
        message = N_("audio %(name)r already exists in instance %(domain)s; replace it to "
                     "upload a new version", name=name, domain=instance.domain)
        raise Conflict(message, fields={"name": message})
    staged = storage.stage(settings, instance.pbx_key, name, data)
    if audio is None:
        audio = AudioFile(instance_id=instance.id, name=name)
        session.add(audio)
    audio.size_bytes = len(data)
    audio.duration_ms = staged.duration_ms
    audio.sha256 = hashlib.sha256(data).hexdigest()
    try:
        session.flush()
    except IntegrityError:
        staged.discard()  # the same name, uploaded by someone else in the meantime
        raise Conflict(N_("audio %(name)r was just uploaded by someone else", name=name)) from None
    except Exception:
        staged.discard()
        raise
    storage.on_commit(session, staged.install, staged.discard)
    return audio


def read(session: Session, settings: Settings, instance: Instance, name: str) -> bytes:
    """The original bytes as uploaded, checked against the recorded digest."""
    audio = get_audio(session, instance, name)
    path = storage.original_path(settings, instance.pbx_key, name)
    # The path is the operator's (the log), never the client's.
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        log.error("audio %s: its file %s is missing", name, path)
        raise NotFound(N_("the file of audio %(name)r is missing", name=name)) from None
    if hashlib.sha256(data).hexdigest() != audio.sha256:
        log.error("audio %s: its file %s does not match its digest", name, path)
        raise Conflict(N_("the file of audio %(name)r does not match its digest", name=name))
    return data


def _refuse_if_in_use(session: Session, instance: Instance, name: str, change: str) -> None:
    # Imported here: the IVR services ask this library which audio exists.
    from engine.ivr.service import audio_in_use
    if name in audio_in_use(session, instance):
        raise Conflict(N_("audio %(name)r is used by a published IVR flow and cannot be %(change)s",
                          name=name, change=change))


def rename(session: Session, settings: Settings, instance: Instance, old: str,
           new: str) -> AudioFile:
    """Give an audio file a new name; refused while a published flow plays it."""
    audio = get_audio(session, instance, old)
    _checked_name(new)
    if new == old:
        return audio
    _refuse_if_in_use(session, instance, old, "renamed")
    if find_audio(session, instance, new) is not None:
        raise Conflict(N_("audio %(new)r already exists in instance %(domain)s",
                          new=new, domain=instance.domain))
    audio.name = new
    session.flush()
    key = instance.pbx_key

    def move_files() -> None:
        storage.move(storage.original_path(settings, key, old),
                     storage.original_path(settings, key, new))
        storage.move(storage.pbx_path(settings, key, old), storage.pbx_path(settings, key, new))
    storage.on_commit(session, move_files)
    return audio


def delete(session: Session, settings: Settings, instance: Instance, name: str) -> None:
    """Remove an audio file and its PBX copy; refused while a published flow plays it."""
    audio = get_audio(session, instance, name)
    _refuse_if_in_use(session, instance, name, "deleted")
    session.delete(audio)
    session.flush()
    key = instance.pbx_key

    def remove_files() -> None:
        storage.original_path(settings, key, name).unlink(missing_ok=True)
        storage.pbx_path(settings, key, name).unlink(missing_ok=True)
    storage.on_commit(session, remove_files)


def sync_pbx_copies(session: Session, settings: Settings) -> int:
    """Make the site's PBX copies match the library; return how many were (re)made.

    For a site created after the uploads (or restored), and to drop the copies of
    audio deleted or renamed meanwhile. A copy older than its original is remade.
    Does nothing while the site does not exist.
    """
    if not settings.site_dir.is_dir():
        return 0
    expected: set[Path] = set()
    made = 0
    for audio in session.scalars(select(AudioFile)):
        key = Instance.pbx_key_for(audio.instance_id)
        source = storage.original_path(settings, key, audio.name)
        target = storage.pbx_path(settings, key, audio.name)
        expected.add(target)
        if not source.exists():
            log.error("audio %s/%s has no original at %s", key, audio.name, source)
            continue
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        converted = storage.temp_path(target)
        storage.convert_for_pbx(source, converted)
        storage.move(converted, target)
        made += 1
    _prune(settings.site_dir / "sounds", expected)
    return made


def _prune(sounds: Path, expected: set[Path]) -> None:
    # Only the instances' directories (i1, i2...): the product's prompts and the
    # spoken-text cache live beside them.
    for directory in sounds.iterdir() if sounds.is_dir() else ():
        if not directory.is_dir() or Instance.id_from_pbx_key(directory.name) is None:
            continue
        for path in directory.iterdir():
            if path.name.startswith(".") and time.time() - path.stat().st_mtime < 3600:
                continue  # an upload in progress in another process; older ones are left over
            if path not in expected:
                path.unlink()
        if not any(directory.iterdir()):
            directory.rmdir()
