"""Where ingestion stands in each journal, kept in the database with what it read.

The place (file and offset) is written in the same transaction as the rows made from
the lines, so after a crash nothing is read twice or skipped, whatever the rotations
in between (engine/journals/follow.py).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from engine.calls.models import IngestCursor
from engine.journals.follow import Place, read


def read_journal(session: Session, path: Path) -> list[str]:
    """The lines of the journal at ``path`` not read yet; the cursor moves past them."""
    source = str(path)
    cursor = session.get(IngestCursor, source) or IngestCursor(source=source, position=0)
    session.add(cursor)
    lines, place = read(path, Place(cursor.inode, cursor.position or 0))
    cursor.inode, cursor.position = place.inode, place.position
    return lines


def reading_inode(session: Session, path: Path) -> int | None:
    """The file ingestion reads now for this journal (None: not known yet)."""
    cursor = session.get(IngestCursor, str(path))
    return cursor.inode if cursor is not None else None
