"""FastAGI at the pace of callers in an IVR (``agi_bench.py --paced``).

``--connections`` sessions stay open at once, each one starting again as it ends, for
``--window`` seconds per server. Each session is the welcome flow's: the prompt's
``STREAM FILE`` is answered once the prompt has played (``--prompt`` seconds, give or
take a fifth, so that the callers do not keep step), each ``SET VARIABLE`` at once, as
Asterisk answers them. The figure is the server's response time per step: from the
moment the client sends the headers or a reply to the moment the server's next command
(or its close) arrives. That is what a caller waits on, the sessions' count at once is
what the server holds, and the load is what a PBX with that many callers in its IVR
brings.

With two cores or more, each server is pinned to core 0 (``taskset``) and the callers
to core 1, so that the callers' work is not in the server's time. Other processes on
core 0 still are (a shared host's scheduler can make the server wait its turn for a few
milliseconds): the load average is printed with the figures.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import statistics
import time
from dataclasses import dataclass, field

import uvloop
from agi_bench import COMMANDS, SERVERS, agi_headers, cpu_seconds


@dataclass
class Paced:
    steps: list[float] = field(default_factory=list)  # seconds, server's response per step
    sessions: int = 0
    errors: int = 0
    wall: float = 0.0
    server_cpu: float = 0.0


async def paced_session(port: int, n: int, prompt: float, steps: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(agi_headers(n))
        sent = time.perf_counter()
        received = []
        while True:
            line = await reader.readline()  # b"": the server closed, its last step
            steps.append(time.perf_counter() - sent)
            if not line:
                break
            received.append(line.decode().rstrip("\n"))
            if line.startswith(b"STREAM FILE"):
                await asyncio.sleep(prompt * random.uniform(0.8, 1.2))  # the prompt plays
            writer.write(b"200 result=0\n")
            sent = time.perf_counter()
    finally:
        writer.close()
    if received != COMMANDS:
        raise RuntimeError(f"session {n}: got {received!r}")


async def callers(port: int, connections: int, window: float, prompt: float,
                  figures: Paced) -> None:
    end = time.perf_counter() + window
    numbers = iter(range(10**9))

    async def caller() -> None:
        # Callers arrive spread over one prompt's length, not all in one instant.
        await asyncio.sleep(random.uniform(0, prompt))
        while time.perf_counter() < end:
            try:
                await paced_session(port, next(numbers), prompt, figures.steps)
                figures.sessions += 1
            except (OSError, RuntimeError):
                figures.errors += 1
    await asyncio.gather(*(caller() for _ in range(connections)))


def client(port: int, connections: int, window: float, prompt: float, pinned: bool,
           results) -> None:
    if pinned:
        os.sched_setaffinity(0, {1})
    figures = Paced()
    uvloop.run(callers(port, connections, window, prompt, figures))
    results.put((figures.steps, figures.sessions, figures.errors))


def measure_paced(servers: dict[str, tuple[int, int]], connections: int, window: float,
                  prompt: float, pinned: bool) -> dict[str, Paced]:
    """One window per server, one after the other; ``servers`` maps a kind to (pid, port)."""
    context = multiprocessing.get_context("fork")
    found = {}
    for kind, (pid, port) in servers.items():
        results = context.SimpleQueue()
        process = context.Process(target=client, args=(port, connections, window, prompt,
                                                       pinned, results))
        cpu, start = cpu_seconds(pid), time.perf_counter()
        process.start()
        steps, sessions, errors = results.get()
        figures = Paced(steps, sessions, errors, time.perf_counter() - start,
                        cpu_seconds(pid) - cpu)
        process.join()
        found[kind] = figures
    return found


def report_paced(found: dict[str, Paced], connections: int, window: float, prompt: float,
                 pinned: bool) -> None:
    print(f"FastAGI at an IVR's pace: {connections} sessions open at once, {window:g} s per "
          f"server, the prompt's reply after {prompt:g} s (+/-20 %), the others at once;\n"
          f"{'each server pinned to core 0, the callers to core 1' if pinned else 'not pinned'}"
          f"; {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'server':<26}{'sessions/s':>11}{'step p50 ms':>13}{'p99 ms':>9}{'max ms':>9}"
          f"{'CPU us/session':>16}{'core busy':>11}{'errors':>8}")
    for kind, figures in found.items():
        cuts = statistics.quantiles(figures.steps, n=100, method="inclusive")
        print(f"{SERVERS[kind]:<26}{figures.sessions / figures.wall:>11.0f}"
              f"{cuts[49] * 1000:>13.2f}{cuts[98] * 1000:>9.2f}{max(figures.steps) * 1000:>9.2f}"
              f"{figures.server_cpu / max(figures.sessions, 1) * 1e6:>16.0f}"
              f"{figures.server_cpu / figures.wall:>11.1%}{figures.errors:>8}")
