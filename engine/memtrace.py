"""Where ``ccc serve``'s memory grows: an opt-in allocation trace for long soaks.

A process that serves for months must not keep anything per call. Resident memory says
*that* it grows, not *what*: with ``CCC_TRACEMALLOC=N`` in its environment, ``ccc serve``
answers SIGUSR2. The first one starts tracing its Python allocations (N frames each);
each later one writes the allocation sites whose memory grew most since the one before
to ``log/tracemalloc-K.txt`` in the site's directory. Only what is allocated after the
start is traced, so a first report lists what the process kept since then, not its
imports and caches. Tracing triples the CPU an allocation costs (a busy FastAGI server
falls behind its calls): off by default, and started late. bench/soak.py --tracemalloc
starts it after its warm-up and asks for the report at its end.
"""
from __future__ import annotations

import asyncio
import gc
import linecache
import logging
import os
import signal
import tracemalloc
from pathlib import Path

log = logging.getLogger(__name__)
TOP = 25  # allocation sites per report


def frames_wanted(env=os.environ) -> int:
    """Frames per traced allocation from CCC_TRACEMALLOC (0: no trace)."""
    text = env.get("CCC_TRACEMALLOC", "").strip()
    return int(text) if text.isdigit() else 0


class MemoryTrace:
    """A trace started on demand; snapshots, each compared with the one before."""

    def __init__(self, folder: Path, frames: int):
        self.folder = folder
        self.frames = frames
        self.previous: tracemalloc.Snapshot | None = None
        self.reports = 0

    def signalled(self) -> Path | None:
        """Start tracing, or write a report (its path) if tracing already."""
        if not tracemalloc.is_tracing():
            tracemalloc.start(self.frames)
            return None
        return self.report()

    def _snapshot(self) -> tracemalloc.Snapshot:
        # The trace's own bookkeeping is not the process's memory, nor the source lines
        # its reports show (linecache keeps them).
        return tracemalloc.take_snapshot().filter_traces(
            (tracemalloc.Filter(False, tracemalloc.__file__),
             tracemalloc.Filter(False, linecache.__file__)))

    def report(self) -> Path:
        """Write what the process keeps, and its garbage; the file's path.

        Garbage in reference cycles waits for the collector, whose full passes come
        rarer as the process grows: it looks like a leak until one comes. So a full
        collection runs first, and the report says how much it freed and where that
        was allocated, then the sites whose live memory grew most since the previous
        report (the first one: since the trace began)."""
        before = self._snapshot()
        freed_objects = gc.collect()
        snapshot = self._snapshot()
        self.reports += 1
        path = self.folder / f"tracemalloc-{self.reports}.txt"
        garbage = before.compare_to(snapshot, "traceback")
        freed = sum(stat.size_diff for stat in garbage)
        lines = [f"traced {_total(snapshot)} bytes live; a full collection freed "
                 f"{freed_objects} objects, {freed} bytes first"]
        lines += _sites("live memory grown since the previous report",
                        snapshot.compare_to(self.previous, "traceback") if self.previous
                        else snapshot.statistics("traceback"))
        lines += _sites("garbage in reference cycles the collection freed", garbage)
        self.folder.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        self.previous = snapshot
        return path


def _total(snapshot: tracemalloc.Snapshot) -> int:
    return sum(stat.size for stat in snapshot.statistics("filename"))


def _sites(title: str, stats: list) -> list[str]:
    """The TOP sites that grew most, with their tracebacks, under a title line."""
    lines = [f"\n== top {TOP} sites: {title}"]
    for stat in sorted(stats, key=lambda s: getattr(s, "size_diff", s.size),
                       reverse=True)[:TOP]:
        size_diff = getattr(stat, "size_diff", stat.size)
        count_diff = getattr(stat, "count_diff", stat.count)
        if size_diff <= 0:
            break
        lines.append(f"\n{size_diff:+d} B, {count_diff:+d} blocks "
                     f"(now {stat.size} B in {stat.count})")
        lines.extend(f"    {line}" for line in stat.traceback.format())
    return lines


def install(loop: asyncio.AbstractEventLoop, folder: Path) -> MemoryTrace | None:
    """Answer SIGUSR2 if CCC_TRACEMALLOC asks for it; else None."""
    frames = frames_wanted()
    if not frames:
        return None
    trace = MemoryTrace(folder, frames)

    def on_signal() -> None:
        written = trace.signalled()
        if written is None:
            log.warning("tracing allocations (%d frames) from now on", frames)
        else:
            log.info("allocation trace written to %s", written)
    loop.add_signal_handler(signal.SIGUSR2, on_signal)
    log.info("SIGUSR2 starts an allocation trace, then writes its reports")
    return trace
