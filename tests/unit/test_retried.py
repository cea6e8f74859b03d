"""Failures of work retried every second: told in full once, then a line a minute."""
from __future__ import annotations

import logging

from engine.retried import Retried

log = logging.getLogger("test.retried")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attempt(failures: Retried, error: Exception | None) -> None:
    try:
        if error is not None:
            raise error
    except Exception:
        failures.failed()
    else:
        failures.succeeded()


def told(caplog) -> list[tuple[int, str, bool]]:
    found = [(r.levelno, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    caplog.clear()
    return found


def test_a_minute_of_failures_is_told_in_three_lines_and_its_end_once(caplog):
    caplog.set_level(logging.INFO, logger="test.retried")
    clock = Clock()
    failures = Retried(log, "ingestion", clock=clock)
    attempt(failures, None)
    assert told(caplog) == []  # working: nothing to say
    for second in range(121):  # the database down for two minutes, tried every second
        clock.now = 1000.0 + second
        attempt(failures, OSError("connection refused\nthe details of the driver"))
    assert told(caplog) == [
        (logging.ERROR, "ingestion failed; retrying", True),
        (logging.ERROR, "ingestion still failing after 60s (61 attempts; retrying): "
                        "OSError: connection refused", False),
        (logging.ERROR, "ingestion still failing after 120s (121 attempts; retrying): "
                        "OSError: connection refused", False)]
    clock.now += 1
    attempt(failures, None)
    assert told(caplog) == [(logging.WARNING, "ingestion works again after 121s of "
                             "failures (121 attempts)", False)]
    attempt(failures, None)
    assert told(caplog) == []


def test_a_failure_of_another_kind_is_told_in_full(caplog):
    caplog.set_level(logging.INFO, logger="test.retried")
    clock = Clock()
    failures = Retried(log, "guard", clock=clock)
    attempt(failures, OSError("locked"))
    clock.now += 1
    attempt(failures, OSError("locked"))
    clock.now += 1
    attempt(failures, KeyError("a bug, now"))
    assert told(caplog) == [(logging.ERROR, "guard failed; retrying", True),
                            (logging.ERROR, "guard failed; retrying", True)]
    clock.now += 1
    attempt(failures, None)
    assert told(caplog) == [(logging.WARNING, "guard works again after 3s of failures "
                             "(3 attempts)", False)]
    attempt(failures, OSError("again"))  # a new run of failures: told in full
    assert told(caplog) == [(logging.ERROR, "guard failed; retrying", True)]
