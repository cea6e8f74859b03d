"""Where audio files live, the PBX copy made with sox, and writes that land on commit.

The original stays under ``var_dir/audio/<pbx_key>/<name>.wav``; the PBX plays an
8 kHz mono 16-bit copy at ``site_dir/sounds/<pbx_key>/<name>.wav``. Files are written
to temporary names first and moved into place (an atomic rename in one directory)
only once the database transaction has committed, so a refused or rolled-back
change leaves no file behind and a reader never sees half a file.
"""
from __future__ import annotations

import logging
import os
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.audio.wav import inspect_wav, refuse
from engine.settings import Settings
from engine.messages import N_

log = logging.getLogger(__name__)

SOX_TIMEOUT = 60  # seconds; a 5 MB file converts in well under one


def original_path(settings: Settings, pbx_key: str, name: str) -> Path:
    return settings.var_dir / "audio" / pbx_key / f"{name}.wav"


def pbx_path(settings: Settings, pbx_key: str, name: str) -> Path:
    return settings.site_dir / "sounds" / pbx_key / f"{name}.wav"


def pbx_sound(pbx_key: str, name: str) -> str:
    """The name the PBX plays, relative to the site's sounds directory, no extension."""
    return f"{pbx_key}/{name}"


def temp_path(final: Path) -> Path:
    # A dot name in the same directory: invisible to the PBX, renamed atomically.
    return final.with_name(f".{final.stem}.{secrets.token_hex(6)}.tmp")


def convert_for_pbx(source: Path, target: Path) -> None:
    """Write an 8 kHz mono 16-bit PCM WAV of ``source``; ``Invalid`` if sox cannot read it."""
    command = ["sox", "-V1", "-t", "wav", str(source), "-r", "8000", "-c", "1", "-b", "16",
               "-e", "signed-integer", "-t", "wav", str(target)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=SOX_TIMEOUT)
    except subprocess.CalledProcessError as error:
        target.unlink(missing_ok=True)
        # sox's own words name server paths: the operator's log has them, the user not.
        log.info("sox could not convert %s: %s", source,
                 error.stderr.decode(errors="replace").strip())
        raise refuse(N_("the WAV file's audio cannot be decoded (an unknown or damaged "
                        "codec)")) from None
    except subprocess.TimeoutExpired:
        target.unlink(missing_ok=True)
        raise refuse(N_("the WAV file's audio took too long to convert")) from None


@dataclass
class Staged:
    """An original and its PBX copy written to temporary names, waiting for the commit."""

    original_tmp: Path
    original: Path
    pbx_tmp: Path | None      # None when the PBX site does not exist yet
    pbx: Path
    duration_ms: int

    def install(self) -> None:
        os.replace(self.original_tmp, self.original)
        if self.pbx_tmp is not None:
            os.replace(self.pbx_tmp, self.pbx)

    def discard(self) -> None:
        self.original_tmp.unlink(missing_ok=True)
        if self.pbx_tmp is not None:
            self.pbx_tmp.unlink(missing_ok=True)


def stage(settings: Settings, pbx_key: str, name: str, data: bytes) -> Staged:
    """Write the original and convert it for the PBX, both under temporary names."""
    original = original_path(settings, pbx_key, name)
    original.parent.mkdir(parents=True, exist_ok=True)
    original_tmp = temp_path(original)
    original_tmp.write_bytes(data)
    pbx = pbx_path(settings, pbx_key, name)
    # The site (perhaps inside a PBX root not built yet) is not created here: the
    # copy is made when the site exists, and sync_pbx_copies fills it in later.
    site_ready = settings.site_dir.is_dir()
    if site_ready:
        pbx.parent.mkdir(parents=True, exist_ok=True)
    converted = temp_path(pbx if site_ready else original)
    done = False
    try:
        convert_for_pbx(original_tmp, converted)
        duration_ms = inspect_wav(converted.read_bytes()).duration_ms
        done = True
    finally:
        if not done:  # refused (or interrupted): leave nothing behind
            original_tmp.unlink(missing_ok=True)
            converted.unlink(missing_ok=True)
    if not site_ready:
        converted.unlink()
    return Staged(original_tmp, original, converted if site_ready else None, pbx, duration_ms)


# ---- file changes applied after the commit --------------------------------------------

_PENDING = "audio_pending_files"
_LISTENING = "audio_listening"


def on_commit(session: Session, apply: Callable[[], None],
              discard: Callable[[], None] | None = None) -> None:
    """Run ``apply`` once the session commits, or ``discard`` if it rolls back."""
    if not session.info.get(_LISTENING):
        event.listen(session, "after_commit", _apply_pending)
        event.listen(session, "after_soft_rollback", _discard_pending)
        session.info[_LISTENING] = True
    session.info.setdefault(_PENDING, []).append((apply, discard))


def _apply_pending(session: Session) -> None:
    for apply, _discard in session.info.pop(_PENDING, []):
        apply()


def _discard_pending(session: Session, _previous_transaction) -> None:
    for _apply, discard in session.info.pop(_PENDING, []):
        if discard is not None:
            discard()


def move(source: Path, target: Path) -> None:
    """Rename a file that may be missing (a PBX copy not made yet)."""
    if source.exists():
        os.replace(source, target)
