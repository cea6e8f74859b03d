"""The failures of work retried every second, told without flooding the log.

``ccc serve``'s loops (ingestion, the guard, the calls' starts, the agent state log, the
recordings) retry their work every second. While the database is down each of them
logged its whole traceback every second: a minute of PostgreSQL stopped wrote 35,000
lines, 2.4 MB, and journald's rate limit drops what comes beyond its burst (a full
disk's warning among it). So a failure is told in full when it begins (or turns into a
failure of another kind), then in one line a minute while it lasts, and once more when
the work succeeds again, with how long it failed. Each attempt is still counted by the
caller (the failures metric).
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable


class Retried:
    REPEAT = 60.0  # seconds between the lines that say a failure goes on

    def __init__(self, log: logging.Logger, what: str,
                 clock: Callable[[], float] = time.monotonic):
        self.log, self.what, self.clock = log, what, clock
        self.since: float | None = None  # when the failures began (None: it works)
        self.told = 0.0
        self.kind: type | None = None
        self.attempts = 0

    def failed(self) -> None:
        """Called in the ``except`` block of a failed attempt."""
        error = sys.exc_info()[1]
        now = self.clock()
        self.attempts += 1
        if self.since is None or type(error) is not self.kind:
            if self.since is None:
                self.since, self.attempts = now, 1
            self.told, self.kind = now, type(error)
            self.log.exception("%s failed; retrying", self.what)
        elif now - self.told >= self.REPEAT:
            self.told = now
            self.log.error("%s still failing after %.0fs (%d attempts; retrying): %s",
                           self.what, now - self.since, self.attempts, _one_line(error))

    def succeeded(self) -> None:
        """Called after a successful attempt."""
        if self.since is not None:
            self.log.warning("%s works again after %.0fs of failures (%d attempts)",
                             self.what, self.clock() - self.since, self.attempts)
            self.since, self.kind, self.attempts = None, None, 0


def _one_line(error: BaseException | None) -> str:
    if error is None:
        return ""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
