"""Reading the PBX's durable call journal (one CSV line per CDR, written by cdr_custom).

The column order is fixed here and in ``dialplan_templates/asterisk/cdr_custom.conf.j2``.
Pure parsing: no database, so it is unit-tested on sample lines.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime, timezone

COLUMNS = ("linkedid", "uniqueid", "sequence", "accountcode", "src", "dst", "dcontext",
           "channel", "dstchannel", "lastapp", "start", "answer", "end", "disposition",
           "userfield")


@dataclass(frozen=True)
class CdrRow:
    linkedid: str
    uniqueid: str
    sequence: str
    accountcode: str
    src: str
    dst: str
    dcontext: str
    channel: str
    dstchannel: str
    lastapp: str
    start: datetime | None
    answer: datetime | None
    end: datetime | None
    disposition: str
    userfield: dict[str, str]


def _time(text: str) -> datetime | None:
    # Asterisk writes unanswered times as an empty field or as zero.
    if not text or float(text) <= 0:
        return None
    return datetime.fromtimestamp(float(text), timezone.utc).replace(tzinfo=None)


def _userfield(text: str) -> dict[str, str]:
    # The dialplan tags each call as a query string: dir=inbound&inst=i1&num=... The
    # PBX joins the user fields of two bridged channels with ';' (";dir=..." when the
    # first one is empty), so ';' separates pairs too.
    pairs = (item.partition("=") for item in re.split("[&;]", text) if item)
    return {key: value for key, _, value in pairs}


def parse_line(line: str) -> CdrRow | None:
    """One journal line, or None for a line that is not a complete record."""
    try:
        # strict: a line cut inside a quoted field (a crash mid-write) is not a record.
        fields = next(csv.reader([line], strict=True), [])
    except csv.Error:
        return None
    if len(fields) != len(COLUMNS):
        return None
    row = dict(zip(COLUMNS, fields, strict=True))
    try:
        start, answer, end = _time(row["start"]), _time(row["answer"]), _time(row["end"])
    except (ValueError, OverflowError, OSError):  # not a time, or outside the calendar
        return None
    return CdrRow(linkedid=row["linkedid"], uniqueid=row["uniqueid"], sequence=row["sequence"],
                  accountcode=row["accountcode"], src=row["src"], dst=row["dst"],
                  dcontext=row["dcontext"], channel=row["channel"], dstchannel=row["dstchannel"],
                  lastapp=row["lastapp"], start=start, answer=answer, end=end,
                  disposition=row["disposition"], userfield=_userfield(row["userfield"]))


def read_new_lines(path, position: int) -> tuple[list[str], int]:
    """Complete lines written after ``position`` and the position after them.

    A line still being written (no newline yet) is left for the next read. A journal
    shorter than the position was replaced, so it is read again from the start;
    ingestion is idempotent, so re-reading is harmless.
    """
    try:
        with open(path, "rb") as journal:
            journal.seek(0, 2)
            if journal.tell() < position:
                position = 0
            journal.seek(position)
            data = journal.read()
    except FileNotFoundError:
        return [], position
    complete = data[: data.rfind(b"\n") + 1]
    # Only "\n" ends a line: str.splitlines would also split on characters such as
    # U+2028 that a caller's name may carry, and lose that call's row.
    lines = [raw.decode("utf-8", errors="replace") for raw in complete.split(b"\n")[:-1]]
    return lines, position + len(complete)
