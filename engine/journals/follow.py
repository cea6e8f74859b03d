"""Following a journal the PBX appends to, across its rotations.

A reader's place is the file it reads (its inode) and how far it has read. When the
journal is rotated, its file is renamed beside it (``queue_log`` -> ``queue_log.<stamp>``)
and the PBX goes on writing there until it opens a new file under the journal's name:
the PBX's call-record writer opens the journal for each record, one record at a time,
and its queue log is reopened when its logger reloads. So a new file under the
journal's name means that the writer has left the renamed one: the reader then reads
the renamed file's tail, then any later rotated file, then the new one. Until a new
file appears the reader stays on the renamed file, which the PBX may still extend.

Only complete lines are read: a line still being written (no newline yet) is left for
the next read; a rotated file's unterminated last line (cut by a crash) is not a line.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Inodes are kept in a signed 64-bit column; real ones are far below this.
_INODE_MASK = (1 << 63) - 1


@dataclass(frozen=True)
class Place:
    inode: int | None   # None: a place from before inodes were kept (the current file)
    position: int


def inode_of(stat: os.stat_result) -> int:
    return stat.st_ino & _INODE_MASK


def read(path: Path, place: Place) -> tuple[list[str], Place]:
    """The complete lines written after ``place`` and the place after them."""
    current = _open(path)
    try:
        if current is None:
            return _rotated_only(path, place)
        current_inode = inode_of(os.fstat(current.fileno()))
        if place.inode is None or place.inode == current_inode:
            # A file shorter than the place was truncated in place (or replaced by a
            # copy): it is read again from its start; ingestion is idempotent.
            size = os.fstat(current.fileno()).st_size
            lines, position = _lines(current, place.position if size >= place.position else 0)
            return lines, Place(current_inode, position)
        # The new file existed before the rotated ones are read: their writer has left
        # them, so they are read to their end.
        lines = []
        for number, rotated in enumerate(_rotated_since(path, place.inode)):
            with rotated:
                lines += _lines(rotated, place.position if number == 0 else 0)[0]
        more, position = _lines(current, 0)
        return lines + more, Place(current_inode, position)
    finally:
        if current is not None:
            current.close()


def _rotated_only(path: Path, place: Place) -> tuple[list[str], Place]:
    """No file under the journal's name: it was renamed and the writer may still append
    to it, so the reader stays on it."""
    if place.inode is None:
        return [], place
    found = _find(path, place.inode)
    if found is None:
        return [], place
    with open(found, "rb") as rotated:
        lines, position = _lines(rotated, place.position)
    return lines, Place(place.inode, position)


def _rotated_since(path: Path, inode: int | None) -> list[BinaryIO]:
    """The rotated file with this inode, then the ones rotated after it, oldest first
    (open). None when it is gone: deleted before it was read, a loss no reader can mend
    (ccc never deletes a file it has not read)."""
    if inode is None:
        return []
    siblings = rotated_files(path)
    mine = next((s for s in siblings if inode_of(s[1]) == inode), None)
    if mine is None:
        return []
    later = [s for s in siblings if s[1].st_mtime_ns >= mine[1].st_mtime_ns and s is not mine]
    found = []
    for candidate, _stat in [mine, *later]:
        handle = _open(candidate)
        if handle is not None:
            found.append(handle)
    return found


def rotated_files(path: Path) -> list[tuple[Path, os.stat_result]]:
    """The journal's rotated files beside it (``NAME.<anything>``), oldest first."""
    found = []
    try:
        entries = list(os.scandir(path.parent))
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.name.startswith(path.name + ".") and entry.is_file(follow_symlinks=False):
            try:
                found.append((Path(entry.path), entry.stat(follow_symlinks=False)))
            except FileNotFoundError:
                continue
    return sorted(found, key=lambda item: (item[1].st_mtime_ns, item[0].name))


def _find(path: Path, inode: int) -> Path | None:
    return next((p for p, s in rotated_files(path) if inode_of(s) == inode), None)


def _open(path: Path) -> BinaryIO | None:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        return None


def _lines(journal: BinaryIO, position: int) -> tuple[list[str], int]:
    journal.seek(position)
    data = journal.read()
    complete = data[: data.rfind(b"\n") + 1]
    # Only "\n" ends a line: str.splitlines would also split on characters such as
    # U+2028 that a caller's name may carry, and lose that call's row.
    lines = [raw.decode("utf-8", errors="replace") for raw in complete.split(b"\n")[:-1]]
    return lines, position + len(complete)
