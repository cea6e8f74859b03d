"""FastAGI benchmark: our AgiApplication beside four baselines in the same run.

Each server runs in its own process with one route that sends five of the commands
the inbound route sends for the welcome flow (the prompt, queue, queue timeout, flow
version, action); no database. Ours goes the inbound route's own way
(``IvrRoutes.route`` wrapping an ``AgiChannel``: command checks, reply parsing, the
failure fallback) on the event loop ``ccc serve`` runs (``serve.run_loop``; a
``--baseline`` tree's own, asyncio's where it has none). The baselines: panoramisk's own
``Application`` and ``Request.send_command``; the same on uvloop's event loop; and a
minimal asyncio ``Protocol`` that reads the headers, writes each command as the previous
reply arrives and checks nothing, on asyncio's loop and on uvloop's: what any FastAGI
server on each loop costs at least.

The client speaks Asterisk's side of FastAGI: it sends the agi_* headers and a blank
line, answers each command with ``200 result=0``, and closes when the server does. It runs
in processes of its own (``--clients``, two by default), each with its share of the
connections, so that it does not bound what it measures: one client process held every
server, the minimal one too, to the same ~700 sessions a second at 200 connections, and
its own loop's turns went into each session's time. Sessions run back to back on 50, then
200 connections at once. Figures: sessions per second, the time from connect to the
server's close (p50, p99), the server process's CPU time per session, and the sessions one
core of the server would serve a second at that CPU cost. Each client runs on uvloop, so
that it limits the servers less. Every server listens with the same
backlog (ours, 1024): a connection dropped by a full backlog waits a second for its retry,
which is the listen call's setting, not the server's work.

On a host with fewer cores than the server and its clients, they take turns on the CPU
and the latencies measure the turns: the load average is printed with the figures.

Targets (ours): at least 3,750 sessions per CPU second of the server, p99 under 5 ms at
200 sessions at once. Sessions back to back flat out cannot show the second: there a
session's time is Little's law's, the sessions at once over the sessions a second (200 at
4,000 a second: 50 ms), whatever the server. ``--paced`` measures it at the pace of
callers in an IVR instead (bench/agi_paced.py).

    .venv/bin/python bench/agi_bench.py [--sessions N] [--rounds R] [--clients C]
        [--baseline DIR] [--paced [--window S] [--prompt S] [--connections N]]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Runnable from a checkout, installed or not; a baseline server process imports the
# engine from the earlier tree it is given instead.
CODE = sys.argv[sys.argv.index("--code") + 1] if "--code" in sys.argv else str(ROOT)
sys.path.insert(0, CODE)

import uvloop  # noqa: E402

from engine import variables  # noqa: E402

SERVERS = {"ours": "ccc AgiApplication", "baseline": "ccc, --baseline tree",
           "panoramisk": "panoramisk Application", "uvloop": "panoramisk on uvloop",
           "minimal": "minimal asyncio Protocol", "minimal-uvloop": "minimal on uvloop"}
CONCURRENCY = (50, 200)
SOUNDS = "/var/lib/ccc/sites/default/sounds"


PROMPT = f"{SOUNDS}/welcome"
VALUES = [(variables.QUEUE, "i1-default"), (variables.QUEUE_TIMEOUT, "300"),
          (variables.FLOW_VERSION, "1"), (variables.ACTION, variables.ACTION_QUEUE)]
# What Asterisk receives, both servers alike (checked by the client).
COMMANDS = [f'STREAM FILE {PROMPT} ""'] + [f'SET VARIABLE {name} "{value}"'
                                           for name, value in VALUES]


# ---- the servers, one process each -----------------------------------------------------

async def serve(kind: str) -> None:
    """Listen on a free loopback port, print it, serve until killed."""
    loop = asyncio.get_running_loop()
    if kind in ("ours", "baseline"):  # the baseline: the same route, the earlier code
        from engine.agi import server as agi
        from engine.agi.channel import quote
        from engine.settings import load_settings

        async def welcome(channel) -> None:  # what ActionRunner.stream and finish send
            await channel.command("STREAM", "FILE", PROMPT, quote(""))
            for name, value in VALUES:
                await channel.set_variable(name, value)
        # The database is never opened: the URL only has to be one.
        routes = agi.IvrRoutes(load_settings({"CCC_DATABASE_URL": "sqlite://"}))
        if hasattr(agi, "listen"):
            app = agi.AgiApplication()
            app.add_route(variables.ROUTE_INBOUND, routes.route(welcome))
            server = await agi.listen(app, 0)
        else:  # an earlier tree: panoramisk's Application on asyncio's streams
            app = agi.AgiApplication(loop=loop)
            app.add_route(variables.ROUTE_INBOUND, routes.route(welcome))
            server = await asyncio.start_server(app.handler, "127.0.0.1", 0,
                                                limit=agi.HEADER_LIMIT, backlog=agi.BACKLOG)
    elif kind in ("minimal", "minimal-uvloop"):
        from engine.agi.server import BACKLOG
        server = await loop.create_server(MinimalAgi, "127.0.0.1", 0, backlog=BACKLOG)
    else:  # panoramisk, on asyncio's loop or on uvloop's (chosen in main)
        from panoramisk.fast_agi import Application

        from engine.agi.server import BACKLOG

        async def route(request) -> None:
            for command in COMMANDS:
                await request.send_command(command)
        app = Application(loop=loop)
        app.add_route(variables.ROUTE_INBOUND, route)
        server = await asyncio.start_server(app.handler, "127.0.0.1", 0, backlog=BACKLOG)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


class MinimalAgi(asyncio.Protocol):
    """The least a FastAGI server does: headers to the blank line, then each command
    once the previous one is answered, then close. No parsing, no checks."""

    def connection_made(self, transport) -> None:
        self.transport, self.buffer, self.sent = transport, b"", -1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.sent < 0:
            if b"\n\n" not in self.buffer:
                return
            self.buffer = self.buffer.split(b"\n\n", 1)[1]
            self.sent = 0
        else:
            lines = self.buffer.count(b"\n")
            if not lines:
                return
            self.buffer = self.buffer.rsplit(b"\n", 1)[1]
            self.sent += lines
        if self.sent < len(COMMAND_LINES):
            self.transport.write(COMMAND_LINES[self.sent])
        else:
            self.transport.close()


COMMAND_LINES = [command.encode() + b"\n" for command in COMMANDS]


def start_server(kind: str, code: str = str(ROOT), pinned: bool = False
                 ) -> tuple[subprocess.Popen, int]:
    """The ``kind`` server's process and port; ``pinned``: on core 0 alone (its threads
    too, from its start)."""
    command = [sys.executable, __file__, "--serve", kind, "--code", code]
    process = subprocess.Popen(["taskset", "-c", "0", *command] if pinned else command,
                               stdout=subprocess.PIPE, text=True)
    port = process.stdout.readline().strip()
    if not port.isdigit():
        process.kill()
        raise SystemExit(f"the {kind} server did not start")
    return process, int(port)


# ---- Asterisk's side ------------------------------------------------------------------------

def agi_headers(n: int) -> bytes:
    headers = {
        "agi_network": "yes", "agi_network_script": variables.ROUTE_INBOUND,
        "agi_request": f"agi://127.0.0.1/{variables.ROUTE_INBOUND}",
        "agi_channel": f"PJSIP/carrier-{n:08x}", "agi_language": "en", "agi_type": "PJSIP",
        "agi_uniqueid": f"1764130000.{n}", "agi_version": "22.0.0",
        "agi_callerid": "13800138000", "agi_calleridname": "unknown",
        "agi_callingpres": "0", "agi_callingani2": "0", "agi_callington": "0",
        "agi_callingtns": "0", "agi_dnid": "01012345678", "agi_rdnis": "unknown",
        "agi_context": "ccc-from-carrier", "agi_extension": "01012345678",
        "agi_priority": "2", "agi_enhanced": "0.0", "agi_accountcode": "",
        "agi_threadid": str(140000000 + n),
    }
    # Always the whole block with its blank line: panoramisk's own handler spins on a
    # connection closed before it.
    return "".join(f"{k}: {v}\n" for k, v in headers.items()).encode() + b"\n"


async def agi_session(port: int, n: int) -> float:
    """One call's FastAGI session; returns its duration in seconds."""
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(agi_headers(n))
    received = []
    while line := await reader.readline():  # b"" once the server has closed
        received.append(line.decode().rstrip("\n"))
        writer.write(b"200 result=0\n")
    writer.close()
    elapsed = time.perf_counter() - start
    if received != COMMANDS:  # both servers must do the same work
        raise RuntimeError(f"session {n}: got {received!r}")
    return elapsed


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Figures:
    wall: float = 0.0
    server_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def row(self) -> tuple[float, float, float, float]:
        """sessions/s, p50 ms, p99 ms, server CPU us per session."""
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        count = len(self.latencies)
        return (count / self.wall, cuts[49] * 1000, cuts[98] * 1000,
                self.server_cpu / count * 1e6)


async def run(port: int, concurrency: int, numbers, figures: Figures) -> None:
    async def caller() -> None:
        for n in numbers:  # one shared iterator: each session runs once
            try:
                figures.latencies.append(await agi_session(port, n))
            except (OSError, RuntimeError):
                figures.errors += 1
    await asyncio.gather(*(caller() for _ in range(concurrency)))


def client(port: int, concurrency: int, numbers: range, barrier, results) -> None:
    """One client process: its connections, its sessions, started with the others."""
    figures = Figures()
    barrier.wait()
    uvloop.run(run(port, concurrency, iter(numbers), figures))
    results.put((figures.latencies, figures.errors))


def run_cell(port: int, pid: int | None, concurrency: int, sessions: int, clients: int,
             figures: Figures) -> None:
    """``sessions`` sessions over ``concurrency`` connections shared by ``clients``
    processes; the wall time and the server's CPU from their common start to the last
    one's end."""
    import multiprocessing
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(clients + 1), context.SimpleQueue()
    processes = []
    for index in range(clients):
        share = range(index * sessions // clients, (index + 1) * sessions // clients)
        connections = (index + 1) * concurrency // clients - index * concurrency // clients
        processes.append(context.Process(target=client, args=(port, connections, share,
                                                              barrier, results)))
    for process in processes:
        process.start()
    barrier.wait()
    cpu = cpu_seconds(pid) if pid else 0.0
    start = time.perf_counter()
    for _ in processes:
        latencies, errors = results.get()
        figures.latencies.extend(latencies)
        figures.errors += errors
    figures.wall += time.perf_counter() - start
    figures.server_cpu += (cpu_seconds(pid) - cpu) if pid else 0.0
    for process in processes:
        process.join()


def measure(servers: dict[str, tuple[int, int]], sessions: int, rounds: int,
            clients: int) -> dict:
    """Figures per concurrency and server; ``servers`` maps a kind to (pid, port)."""
    results = {}
    for _pid, port in servers.values():  # warm up: imports, first connections
        run_cell(port, None, 50, 200, clients, Figures())
    for concurrency in CONCURRENCY:
        cell = {kind: Figures() for kind in servers}
        for number in range(rounds):
            # Alternate who goes first, so neither always meets a warmer machine.
            order = list(servers) if number % 2 == 0 else list(reversed(servers))
            for kind in order:
                pid, port = servers[kind]
                run_cell(port, pid, concurrency, sessions, clients, cell[kind])
        results[concurrency] = cell
    return results


def report(results: dict, sessions: int, rounds: int, clients: int) -> None:
    print(f"FastAGI, {len(COMMANDS)} commands a session, {sessions} sessions x {rounds} rounds "
          f"per cell;\neach server in its own process, {clients} client processes; "
          f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'concurrent':>10}  {'server':<26}{'sessions/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'CPU us/session':>16}{'per core /s':>13}{'errors':>8}")
    for concurrency, cell in results.items():
        for kind, figures in cell.items():
            rate, p50, p99, cpu = figures.row()
            print(f"{concurrency:>10}  {SERVERS[kind]:<26}{rate:>11.0f}{p50:>9.2f}{p99:>9.2f}"
                  f"{cpu:>16.0f}{1e6 / cpu:>13.0f}{figures.errors:>8}")


def serve_loop(kind: str) -> None:
    """Ours (or the baseline) on the event loop its own ``ccc serve`` runs: that tree's
    ``serve.run_loop`` (``engine.serve.run_loop`` in older trees), or asyncio's where it
    has none."""
    try:
        import serve as ccc_serve
    except ImportError:
        from engine import serve as ccc_serve
    getattr(ccc_serve, "run_loop", asyncio.run)(serve(kind))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=2000, help="sessions per cell and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--baseline", metavar="DIR",
                        help="an earlier version's tree (git archive): its AgiApplication "
                             "runs beside this one's")
    parser.add_argument("--paced", action="store_true",
                        help="callers at an IVR's pace instead of sessions back to back")
    parser.add_argument("--connections", type=int, default=200,
                        help="paced: sessions open at once")
    parser.add_argument("--window", type=float, default=20.0,
                        help="paced: seconds per server")
    parser.add_argument("--prompt", type=float, default=2.7,
                        help="paced: seconds the prompt plays before its reply (the "
                             "welcome prompt's length); the other commands are answered "
                             "at once, as Asterisk does")
    parser.add_argument("--serve", choices=sorted(SERVERS), help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        if args.serve in ("uvloop", "minimal-uvloop"):
            uvloop.run(serve(args.serve))
        elif args.serve in ("ours", "baseline"):
            serve_loop(args.serve)
        else:
            asyncio.run(serve(args.serve))
        return
    kinds = [kind for kind in SERVERS if kind != "baseline" or args.baseline]
    # Paced: each server pinned to one core, the callers to another.
    pinned = args.paced and (os.cpu_count() or 1) >= 2
    started = {kind: start_server(kind, str(Path(args.baseline).resolve())
                                  if kind == "baseline" else str(ROOT), pinned)
               for kind in kinds}
    try:
        servers = {kind: (process.pid, port) for kind, (process, port) in started.items()}
        if args.paced:
            from agi_paced import measure_paced, report_paced
            paced = measure_paced(servers, args.connections, args.window, args.prompt, pinned)
        else:
            results = measure(servers, args.sessions, args.rounds, args.clients)
    finally:
        for process, _port in started.values():
            process.terminate()
            process.wait(timeout=10)
    if args.paced:
        report_paced(paced, args.connections, args.window, args.prompt, pinned)
    else:
        report(results, args.sessions, args.rounds, args.clients)


if __name__ == "__main__":
    main()
