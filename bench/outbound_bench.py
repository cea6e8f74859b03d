"""Outbound decision benchmark: the ``outbound`` FastAGI route beside a route that
decides nothing, in the same run, on the same server.

The server is ccc's own AgiApplication in this process, on a SQLite database the
migrations built (or the PostgreSQL one given), holding an instance whose number has
a supplier with every kind of restriction (calling hours, the three caps, blocked
regions). The real route reads the agent and the caller ID from the channel, judges
in a database thread (skill groups, policy, the callee's region, earlier calls) and
keeps the attempt; the baseline route reads the same two variables and allows at once.
A client speaks Asterisk's side: headers, then ``200 result=1 (value)`` to each
command. Sessions run 50 at once; each callee is new, so no cap refuses.

    .venv/bin/python bench/outbound_bench.py [--sessions N] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout, installed or not

from engine import variables  # noqa: E402

CONCURRENCY = 50
NOTHING = "nothing"  # the baseline route's name


def prepare(url: str) -> None:
    from engine.migrate import upgrade
    from engine.numbers.models import Number
    from engine.settings import load_settings
    from engine.suppliers.service import create_supplier, set_number_supplier
    from engine.uow import transaction
    from tests.factories import add_account, add_instance
    upgrade(url)
    with transaction(load_settings({"CCC_DATABASE_URL": url})) as db:
        add_account(db)
        add_instance(db)
        metro = create_supplier(db, "metro", "Asia/Shanghai", calling_hours="mon-sun 00:00-24:00",
                                calls_per_day=1, calls_per_24h=2, calls_per_48h=3,
                                blocked_regions=["Xinjiang", "Tibet"])
        set_number_supplier(db, db.query(Number).one(), metro)


async def start(url: str) -> tuple[asyncio.AbstractServer, int]:
    from engine.agi.server import HEADER_LIMIT, build_application
    from engine.settings import load_settings
    app = build_application(load_settings({"CCC_DATABASE_URL": url}))

    async def nothing(request) -> None:
        from engine.agi.channel import AgiChannel
        channel = AgiChannel(request.reader, request.writer, request.headers)
        await channel.get_variable(variables.CALLER_ID)
        await channel.get_variable(variables.AGENT)
        await channel.set_variable(variables.DECISION, variables.DECISION_ALLOW)
    app.add_route(NOTHING, nothing)
    server = await asyncio.start_server(app.handler, "127.0.0.1", 0, limit=HEADER_LIMIT)
    return server, server.sockets[0].getsockname()[1]


def headers(route: str, n: int) -> bytes:
    fields = {"agi_network": "yes", "agi_network_script": route,
              "agi_request": f"agi://127.0.0.1/{route}", "agi_uniqueid": f"1764130000.{n}",
              "agi_channel": f"PJSIP/i1-1001-{n:08x}", "agi_extension": f"1390{n:07d}",
              "agi_context": "ccc-i1-outbound", "agi_arg_1": "i1", "agi_arg_2": "1"}
    return "".join(f"{k}: {v}\n" for k, v in fields.items()).encode() + b"\n"


ANSWERS = {variables.CALLER_ID: "01012345678", variables.AGENT: "1001"}


async def session(port: int, route: str, n: int) -> tuple[float, bool]:
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(headers(route, n))
    allowed = False
    while line := (await reader.readline()).decode().strip():
        if line.startswith("GET VARIABLE"):
            writer.write(f"200 result=1 ({ANSWERS[line.split()[2]]})\n".encode())
        else:
            allowed = allowed or f"{variables.DECISION} \"{variables.DECISION_ALLOW}\"" in line
            writer.write(b"200 result=1\n")
    writer.close()
    return time.perf_counter() - start, allowed


async def run(port: int, route: str, sessions: int, first: int) -> list[float]:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> tuple[float, bool]:
        async with limit:
            return await session(port, route, n)
    results = await asyncio.gather(*(one(first + n) for n in range(sessions)))
    refused = sum(1 for _, allowed in results if not allowed)
    if refused:
        raise SystemExit(f"{route}: {refused} of {sessions} decisions did not allow the call")
    return [seconds for seconds, _ in results]


def row(name: str, latencies: list[float], wall: float) -> str:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return (f"{name:<22} {len(latencies) / wall:>9.0f} {cuts[49] * 1000:>9.1f} "
            f"{cuts[98] * 1000:>9.1f}")


async def main(sessions: int, url: str) -> None:
    server, port = await start(url)
    print(f"{sessions} sessions each, {CONCURRENCY} at once; latency from connect to close")
    print(f"{'route':<22} {'per s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    await run(port, NOTHING, 50, 10_000_000)  # warm-up: connections, threads, imports
    await run(port, variables.ROUTE_OUTBOUND, 50, 20_000_000)
    for name, route, first in (("checks nothing", NOTHING, 0),
                               ("outbound decision", variables.ROUTE_OUTBOUND, 1_000_000)):
        began = time.perf_counter()
        latencies = await run(port, route, sessions, first)
        print(row(name, latencies, time.perf_counter() - began))
    server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = options.database_url or f"sqlite:///{folder}/bench.sqlite3"
        prepare(database)
        asyncio.run(main(options.sessions, database))
