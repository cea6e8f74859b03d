"""Soak: hours of ordinary load compressed into one long run, looking for what only time
shows: memory that grows, records that go missing, a configuration change that hurts.

SIPp carriers call a ccc number whose flow plays a prompt over FastAGI (the same site
and flow as bench/callpath_bench.py, path (b)) at a steady rate for ``--minutes``; every
minute the configuration changes (a skill group's wait timeout, applied to the live PBX
as an administrator's change is) and the resident memory of ``ccc serve`` and of
Asterisk is sampled. At the end: calls placed, failed, handed to the fallback, call
records (each call must have exactly one), and each process's memory per minute with
its trend over the run after a warm-up (a least-squares slope, kB per minute).

    .venv/bin/python bench/soak.py --rate R [--minutes 30] [--port-offset N]
        [--database sqlite|postgres] [--no-changes] [--tracemalloc FRAMES]
        [--serve-env NAME=VALUE ...]

``--no-changes`` leaves the configuration alone (a baseline for what the applies cost
in memory). ``--tracemalloc FRAMES`` has ``ccc serve`` trace its allocations
(engine/memtrace.py) from the end of the warm-up; at the end, the allocation sites of
what it kept since then are printed.

Run it at about 70 % of the rate bench/callpath_bench.py held for path (b).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.callpath_bench import (FLOW_NUMBER, Bench, _sipp_totals,  # noqa: E402
                                  cpu_seconds)

WARM_UP_MINUTES = 3   # caches and pools fill; the trend is read after them


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """A process's resident memory (``RssAnon``: its heap and stacks, not the files
    it maps), kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def slope(values: list[float]) -> float:
    """Least-squares slope per step (0 for fewer than two values)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    return num / sum((x - mean_x) ** 2 for x in range(n))


def change_configuration(bench: Bench, minute: int) -> float:
    """An administrator's change, applied to the live PBX; its seconds."""
    started = time.monotonic()
    bench.cc.ccc("skillgroup", "update", "--instance", "bench.example", "--name", "default",
                 "--wait-timeout", str(30 + minute % 2))
    return time.monotonic() - started


def start_trace(serve_pid: int) -> None:
    """Have ccc serve trace its allocations from now on (engine/memtrace.py)."""
    os.kill(serve_pid, signal.SIGUSR2)


def trace_report(bench: Bench, serve_pid: int, number: int, top: int = 0) -> None:
    """Have ccc serve write its allocation report ``number``; print its first ``top``
    sites: what it kept since the trace began."""
    from engine.settings import load_settings
    path = load_settings(bench.cc.env).site_dir / "log" / f"tracemalloc-{number}.txt"
    os.kill(serve_pid, signal.SIGUSR2)
    deadline = time.monotonic() + 120  # a snapshot of a big trace takes a while
    while time.monotonic() < deadline and not path.exists():
        time.sleep(1)
    time.sleep(1)  # written whole
    if top and path.exists():
        head, *sections = path.read_text().split("\n\n== top ")
        print(f"\nccc serve's allocations since the warm-up ({path}):\n{head}")
        for section in sections:
            print("\n\n".join([f"== {section.split(chr(10), 1)[0]}",
                                 *section.split("\n\n")[1:top + 1]]))


def soak(bench: Bench, rate: int, minutes: int, changes: bool = True,
         tracing: bool = False) -> int:
    harness, cc = bench.harness, bench.cc
    pbx_pid, serve_pid = bench.pids()
    records, fallbacks = bench.record_count(), bench.fallbacks()
    cpu = cpu_seconds(pbx_pid), cpu_seconds(serve_pid)
    stats = bench.output / "soak.csv"
    calls = rate * minutes * 60
    argv = ["sipp", "-sf", str(bench.scenario), "-i", harness.CARRIER[0],
            "-p", str(harness.CARRIER[1]), "-s", FLOW_NUMBER, "-key", "caller", "13800000000",
            "-r", str(rate), "-rp", "1000", "-m", str(calls),
            "-l", str(rate * 30),  # SIPp's default cap (3 x rate) holds back calls of 3 s
            "-recv_timeout", "20000", "-timeout", f"{minutes * 60 + 120}s",
            "-nostdin", "-trace_stat", "-stf", str(stats), "-fd", "10",
            "-mp", str(16000 + 4 * harness.PORT_OFFSET),
            f"{harness.PBX_IP}:{cc.env['CCC_SIP_PORT']}"]
    # minute, serve kB, PBX kB, apply s, serve's and PBX's anonymous kB
    memory: list[tuple[int, int, int, float, int, int]] = []
    with open(stats.with_suffix(".out"), "w") as out:
        sipp = subprocess.Popen(argv, cwd=bench.output, stdout=out, stderr=subprocess.STDOUT)
        started = time.monotonic()
        try:
            for minute in range(1, minutes + 1):
                while time.monotonic() < started + minute * 60:
                    if sipp.poll() is not None:
                        break
                    time.sleep(1)
                applied = change_configuration(bench, minute) if changes else 0.0
                if tracing and minute == WARM_UP_MINUTES:
                    start_trace(serve_pid)
                memory.append((minute, rss_kb(serve_pid), rss_kb(pbx_pid), applied,
                               rss_kb(serve_pid, "RssAnon"), rss_kb(pbx_pid, "RssAnon")))
                succeeded, failed, _ = _sipp_totals(stats, calls)
                print(f"minute {minute:3}: ccc serve {memory[-1][1] / 1024:7.1f} MB "
                      f"(anon {memory[-1][4] / 1024:6.1f}), Asterisk "
                      f"{memory[-1][2] / 1024:7.1f} MB (anon {memory[-1][5] / 1024:6.1f}), "
                      f"apply {applied:5.2f} s, "
                      f"calls {succeeded} ok / {failed} failed", flush=True)
            # The minutes are up: no new call (SIGUSR1 is SIPp's graceful quit); the
            # calls up finish, so every call placed can have its record.
            if sipp.poll() is None:
                sipp.send_signal(signal.SIGUSR1)
            sipp.wait(timeout=120)
        finally:
            if sipp.poll() is None:
                sipp.kill()
    succeeded, failed, _ = _sipp_totals(stats, calls)
    placed = succeeded + failed
    deadline, found = time.monotonic() + 60, 0
    while time.monotonic() < deadline:
        found = bench.record_count() - records
        if found >= placed:
            break
        time.sleep(1)
    fallback = bench.fallbacks() - fallbacks
    if tracing and minutes > WARM_UP_MINUTES:  # the calls are over, their records in
        trace_report(bench, serve_pid, 1, top=15)
    pbx_cpu, serve_cpu = cpu_seconds(pbx_pid) - cpu[0], cpu_seconds(serve_pid) - cpu[1]
    after = memory[WARM_UP_MINUTES:]
    print(f"\nSoak: {minutes} min at {rate} calls/s, "
          + ("a configuration change each minute" if changes else "no configuration change"))
    print(f"calls placed {placed}, succeeded {succeeded}, failed {failed}, "
          f"fallback {fallback}, call records {found} (missing {max(0, placed - found)}, "
          f"extra {max(0, found - placed)})")
    if placed:
        print(f"CPU per call: Asterisk {pbx_cpu / placed * 1000:.2f} ms, "
              f"ccc serve {serve_cpu / placed * 1000:.2f} ms")
    # Growth that levels off (pools and caches filling) and a leak both rise at first; a
    # leak keeps its slope in the second half of the run, growth that levels off loses it.
    half = len(after) // 2
    for name, column, anon in (("ccc serve", 1, 4), ("Asterisk", 2, 5)):
        first, last = memory[min(WARM_UP_MINUTES, len(memory) - 1)][column], memory[-1][column]
        print(f"{name} memory after warm-up: {first / 1024:.1f} -> {last / 1024:.1f} MB, "
              f"trend {slope([m[column] for m in after]):+.1f} kB/min "
              f"(anonymous: {slope([m[anon] for m in after]):+.1f} kB/min); "
              f"first half {slope([m[column] for m in after[:half]]):+.1f}, "
              f"second half {slope([m[column] for m in after[half:]]):+.1f} kB/min")
    applies = sorted(m[3] for m in memory)
    if changes:
        print(f"configuration applies: {len(applies)}, median {applies[len(applies) // 2]:.2f} s, "
              f"longest {applies[-1]:.2f} s")
    return 0 if failed == 0 and fallback == 0 and found == placed else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, required=True, help="calls per second")
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--port-offset", type=int,
                        default=int(os.environ.get("CCC_TEST_PORT_OFFSET", "0")))
    parser.add_argument("--rtp-ports", default="10000-11999")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the site and its logs")
    parser.add_argument("--no-changes", action="store_true",
                        help="no configuration change during the run")
    parser.add_argument("--serve-env", action="append", default=[], metavar="NAME=VALUE",
                        help="more environment for the site's ccc serve and ccc commands "
                             "(MALLOC_ARENA_MAX=2, say); the PBX starts with its own")
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES",
                        help="trace ccc serve's allocations, FRAMES deep, and print the "
                             "sites that grew after the warm-up")
    args = parser.parse_args()
    if args.rate < 1 or args.minutes < 1:
        parser.error("--rate and --minutes must be at least 1")
    # A stopped soak (SIGTERM) still stops its SIPp, PBX and serve on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    serve_env = {}
    for setting in args.serve_env:
        name, equals, value = setting.partition("=")
        if not equals or not name.isidentifier():
            parser.error(f"--serve-env takes NAME=VALUE, not {setting!r}")
        serve_env[name] = value
    bench = Bench(args)
    bench.serve_env.update(serve_env)
    if args.tracemalloc:
        bench.serve_env["CCC_TRACEMALLOC"] = str(args.tracemalloc)
    try:
        bench.provision()
        return soak(bench, args.rate, args.minutes, changes=not args.no_changes,
                    tracing=args.tracemalloc > 0)
    finally:
        bench.close()


if __name__ == "__main__":
    sys.exit(main())
