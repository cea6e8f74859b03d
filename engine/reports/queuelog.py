"""Reading Asterisk's queue log (logger.conf writes it to the site's log/queue_log).

One event a line: ``time|call id|queue|agent|event|data1|data2|...``, for example

    1764750000|default-1764749990.4|i1-q3|i1-1001|CONNECT|7|default-1764749997.5|3

Pure parsing: no database, so it is unit-tested on sample lines.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone

DATA_FIELDS = 5
# A queue of ours is named from its instance and skill group (SkillGroup.queue_name);
# an agent, as queue member, by its SIP user name (instance key, dash, extension).
QUEUE_RE = re.compile(r"^i([0-9]{1,18})-q([0-9]{1,18})$")
MEMBER_RE = re.compile(r"^i[0-9]{1,18}-([0-9]{1,8})$")


@dataclass(frozen=True)
class QueueLogLine:
    at: datetime
    call_id: str | None
    queue: str
    instance_id: int
    skill_group_id: int
    agent_extension: str | None
    event: str
    data: tuple[str, ...]
    digest: str


def parse_line(line: str) -> QueueLogLine | None:
    """One log line, or None for a line that is not an event of one of our queues
    (the PBX's own QUEUESTART and CONFIGRELOAD lines, a line cut by a crash)."""
    fields = line.rstrip("\r").split("|")
    if len(fields) < 5:
        return None
    stamp, call_id, queue, agent, event = fields[:5]
    match = QUEUE_RE.match(queue)
    if match is None or not event or len(event) > 24 or not event.isupper() or len(call_id) > 64:
        return None
    try:
        at = datetime.fromtimestamp(int(stamp), timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):  # not a time, or outside the calendar
        return None
    member = MEMBER_RE.match(agent)
    # Fields past the fifth are kept together in the last, as Asterisk's own table does.
    data = fields[5:5 + DATA_FIELDS - 1] + ["|".join(fields[5 + DATA_FIELDS - 1:])]
    data += [""] * (DATA_FIELDS - len(data))
    return QueueLogLine(
        at=at, call_id=call_id if call_id not in ("", "NONE") else None, queue=queue,
        instance_id=int(match.group(1)), skill_group_id=int(match.group(2)),
        agent_extension=member.group(1) if member else None, event=event,
        data=tuple(value[:80] for value in data),
        digest=hashlib.sha1(line.encode("utf-8")).hexdigest())
