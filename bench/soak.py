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
        [--database sqlite|postgres]

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


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
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


def soak(bench: Bench, rate: int, minutes: int) -> int:
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
    memory: list[tuple[int, int, int, float]] = []   # minute, serve kB, PBX kB, apply s
    with open(stats.with_suffix(".out"), "w") as out:
        sipp = subprocess.Popen(argv, cwd=bench.output, stdout=out, stderr=subprocess.STDOUT)
        started = time.monotonic()
        try:
            for minute in range(1, minutes + 1):
                while time.monotonic() < started + minute * 60:
                    if sipp.poll() is not None:
                        break
                    time.sleep(1)
                applied = change_configuration(bench, minute)
                memory.append((minute, rss_kb(serve_pid), rss_kb(pbx_pid), applied))
                succeeded, failed, _ = _sipp_totals(stats, calls)
                print(f"minute {minute:3}: ccc serve {memory[-1][1] / 1024:7.1f} MB, "
                      f"Asterisk {memory[-1][2] / 1024:7.1f} MB, apply {applied:5.2f} s, "
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
    pbx_cpu, serve_cpu = cpu_seconds(pbx_pid) - cpu[0], cpu_seconds(serve_pid) - cpu[1]
    after = memory[WARM_UP_MINUTES:]
    serve_trend = slope([m[1] for m in after])
    pbx_trend = slope([m[2] for m in after])
    print(f"\nSoak: {minutes} min at {rate} calls/s, a configuration change each minute")
    print(f"calls placed {placed}, succeeded {succeeded}, failed {failed}, "
          f"fallback {fallback}, call records {found} (missing {max(0, placed - found)}, "
          f"extra {max(0, found - placed)})")
    if placed:
        print(f"CPU per call: Asterisk {pbx_cpu / placed * 1000:.2f} ms, "
              f"ccc serve {serve_cpu / placed * 1000:.2f} ms")
    for name, column, trend in (("ccc serve", 1, serve_trend), ("Asterisk", 2, pbx_trend)):
        first, last = memory[min(WARM_UP_MINUTES, len(memory) - 1)][column], memory[-1][column]
        print(f"{name} memory after warm-up: {first / 1024:.1f} -> {last / 1024:.1f} MB, "
              f"trend {trend:+.1f} kB/min")
    applies = sorted(m[3] for m in memory)
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
    args = parser.parse_args()
    if args.rate < 1 or args.minutes < 1:
        parser.error("--rate and --minutes must be at least 1")
    bench = Bench(args)
    try:
        bench.provision()
        return soak(bench, args.rate, args.minutes)
    finally:
        bench.close()


if __name__ == "__main__":
    sys.exit(main())
