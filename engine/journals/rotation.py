"""Rotating the PBX's journals without losing or repeating a line.

``ccc serve`` rotates them itself, between two of its own reads, rather than leaving it
to logrotate: logrotate's ``copytruncate`` loses what the PBX writes between the copy
and the truncation (and the reader cannot tell how much of the copy it had read), and
a rename-based logrotate would have to reload the PBX's logger and could rename a file
twice before ingestion read the first one. Here a journal is renamed only when the
reader is on it, so at most one rotated file awaits its tail's reading, and the reader
follows it by inode (engine/journals/follow.py). The call-record writer opens the
journal per record, so the next record starts a new file by itself; the queue log is
kept open by the PBX's logger, which is told to reopen it (``logger reload``).
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from engine.journals.follow import inode_of, rotated_files


def due(path: Path, max_bytes: int, new_day: bool) -> bool:
    """Whether the journal should be rotated: it has content, and it passed the size
    limit (0: none) or a new day began."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    return size > 0 and (new_day or (max_bytes > 0 and size >= max_bytes))


def rotated_name(path: Path, now: datetime) -> Path:
    """``NAME.YYYYMMDD-HHMMSS`` (UTC), with a counter if that name is taken."""
    stem = f"{path.name}.{now:%Y%m%d-%H%M%S}"
    candidate, number = path.with_name(stem), 1
    while candidate.exists():
        candidate, number = path.with_name(f"{stem}-{number}"), number + 1
    return candidate


def rotate(path: Path, now: datetime) -> Path | None:
    """Rename the journal aside; the writer goes on in a new file under its name."""
    target = rotated_name(path, now)
    try:
        os.rename(path, target)
    except FileNotFoundError:
        return None
    return target


def prune(path: Path, keep: int, reading_inode: int | None) -> list[Path]:
    """Delete the oldest rotated files beyond ``keep`` (0: keep all). Never the file
    the reader is on, nor any after it: those are not fully read."""
    if keep <= 0:
        return []
    rotated = rotated_files(path)
    readable = len(rotated)
    for index, (_path, stat) in enumerate(rotated):
        if inode_of(stat) == reading_inode:
            readable = index
            break
    removed = []
    for old, _stat in rotated[:min(readable, max(0, len(rotated) - keep))]:
        try:
            old.unlink()
            removed.append(old)
        except FileNotFoundError:
            continue
    return removed
