"""The opt-in allocation trace of ccc serve (engine/memtrace.py)."""
from __future__ import annotations

import gc
import tracemalloc

import pytest

from engine.memtrace import MemoryTrace, frames_wanted


@pytest.mark.parametrize("text, frames", [("", 0), ("0", 0), ("6", 6), (" 12 ", 12),
                                          ("yes", 0), ("-3", 0)])
def test_frames_come_from_the_environment(text, frames):
    assert frames_wanted({"CCC_TRACEMALLOC": text}) == frames


def test_no_variable_no_trace():
    assert frames_wanted({}) == 0


def kept_allocation(n):
    return [bytearray(1000) for _ in range(n)]


class Cycle:
    def __init__(self):
        self.me = self
        self.data = [bytearray(1000) for _ in range(100)]


def _grown(site: str) -> int:
    """The bytes a report's site grew by ("+213000 B, ...")."""
    return int(site.split(" B,", 1)[0])


def _sections(report) -> dict[str, list[str]]:
    """A report's sites per section title."""
    found = {}
    for section in report.read_text().split("\n\n== top ")[1:]:
        title, *sites = section.split("\n\n")
        found[title.split(": ", 1)[1]] = sites
    return found


def test_first_signal_starts_each_later_one_reports_what_was_kept(tmp_path):
    if tracemalloc.is_tracing():
        pytest.skip("another trace is running in this process")
    trace = MemoryTrace(tmp_path / "log", 4)
    try:
        assert trace.signalled() is None and tracemalloc.is_tracing()
        kept = kept_allocation(200)
        first = trace.signalled()
        assert first == tmp_path / "log" / "tracemalloc-1.txt"
        live = _sections(first)["live memory grown since the previous report"]
        # The site that kept 200 kB since the start comes first, with its traceback.
        assert "bytearray(1000)" in live[0] and _grown(live[0]) >= 200_000
        kept += kept_allocation(50)
        live = _sections(trace.signalled())["live memory grown since the previous report"]
        # Against the previous report: only what grew since.
        assert "bytearray(1000)" in live[0] and 50_000 <= _grown(live[0]) < 100_000
    finally:
        tracemalloc.stop()


def test_garbage_in_cycles_is_collected_and_told_apart(tmp_path):
    if tracemalloc.is_tracing():
        pytest.skip("another trace is running in this process")
    trace = MemoryTrace(tmp_path / "log", 4)
    gc.disable()  # the cycle must still be there when the report comes
    try:
        trace.signalled()
        Cycle()
        report = trace.signalled()
        sections = _sections(report)
        garbage = sections["garbage in reference cycles the collection freed"]
        assert "self.data = [bytearray(1000)" in garbage[0] and _grown(garbage[0]) >= 100_000
        live = sections["live memory grown since the previous report"]
        assert not any("self.data" in site and _grown(site) >= 100_000 for site in live)
        assert "freed 0 objects" not in report.read_text().splitlines()[0]
    finally:
        gc.enable()
        tracemalloc.stop()
