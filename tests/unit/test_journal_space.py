"""``ccc serve``'s watch on the journals' disks (engine/jobs.py JournalSpace): under the
reserve it says so at error level, once a minute while it lasts, and flags the metric;
with room again it clears the flag."""
from __future__ import annotations

import logging
import os
from collections import namedtuple

from engine import jobs
from engine.metrics import JOURNAL_FREE, RECORDS_AT_RISK

Space = namedtuple("Space", "f_bavail f_frsize")


def test_a_full_journal_disk_is_told_once_a_minute_and_cleared(settings, monkeypatch, caplog):
    settings.cdr_file.parent.mkdir(parents=True)
    free = {"bytes": 4096}
    clock = {"now": 100.0}
    monkeypatch.setattr(os, "statvfs", lambda path: Space(free["bytes"] // 4096, 4096))
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock["now"])
    space = jobs.JournalSpace(settings)
    with caplog.at_level(logging.WARNING, logger="engine.jobs"):
        assert space.check()["cdr"] == 4096
        clock["now"] += 30
        space.check()
        told = [r for r in caplog.records if "RECORDS AT RISK" in r.getMessage()]
        assert len(told) == 2 and all(r.levelno == logging.ERROR for r in told)  # both
        # journals share the disk: each said once, not again within the minute
        assert RECORDS_AT_RISK.labels("cdr")._value.get() == 1
        assert JOURNAL_FREE.labels("cdr")._value.get() == 4096
        clock["now"] += 31
        space.check()
        assert sum("RECORDS AT RISK" in r.getMessage() for r in caplog.records) == 4
        free["bytes"] = 64 * 1024 * 1024
        space.check()
    assert RECORDS_AT_RISK.labels("cdr")._value.get() == 0
    assert any("has room again" in r.getMessage() for r in caplog.records)
