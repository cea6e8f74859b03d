"""What a new call asks the database before its first prompt: the number's flow and the
instance's published flows (what goto_flow may enter), on SQLite and PostgreSQL.

    .venv/bin/python bench/ivr_plan_bench.py [--calls 2000] [--flows 20]

An instance with ``--flows`` published flows (each a menu of a dozen nodes), one bound to
the number. Each call opens its own session and transaction, as the FastAGI server
does. Three ways, measured in the same run:

- reading and parsing every version's text on each call (the lookup before published
  documents were kept in memory: the service functions it used are still there);
- ``runtime.plan_for_number`` with its kept documents forgotten before each call (the
  first call after ``ccc serve`` starts, or after a publication);
- ``runtime.plan_for_number`` as calls see it: the keys from the database, the
  documents from memory.

Figures: milliseconds of wall time per call (p50, p99) and of this process's CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from engine.accounts.service import create_account  # noqa: E402
from engine.db import dispose_engine, session_factory  # noqa: E402
from engine.instances.service import create_instance, get_instance  # noqa: E402
from engine.ivr import runtime, service  # noqa: E402
from engine.ivr.interpreter import LoadedFlow  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.numbers.models import Number  # noqa: E402
from tests.databases import scratch_postgres  # noqa: E402

NUMBER = "01099990000"
POSTGRES = os.environ.get("CCC_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def menu(n: int) -> dict:
    """A menu of a dozen nodes: a prompt, six choices, each a prompt then the queue."""
    nodes = [{"id": "start", "type": "start"},
             {"id": "menu", "type": "menu", "prompt": "welcome", "timeout": 5, "retries": 2}]
    edges = [{"from": "start", "to": "menu"}]
    for key in "123456":
        nodes.append({"id": f"say{key}", "type": "play", "prompt": "welcome"})
        edges += [{"from": "menu", "to": f"say{key}", "when": key},
                  {"from": f"say{key}", "to": "queue"}]
    nodes.append({"id": "queue", "type": "transfer_skill_group", "skill_group": "default"})
    nodes[1]["label"] = f"menu of flow {n}"
    return {"format": 1, "nodes": nodes, "edges": edges}


def provision(url: str, flows: int) -> None:
    upgrade(url)
    with session_factory(url).begin() as session:
        account = create_account(session, "bench", "payg")
        create_instance(session, account, "Bench", "bench.example", NUMBER, "landline", "admin")
        instance = get_instance(session, "bench.example")
        made = []
        for n in range(flows):
            flow = service.create_flow(session, instance, f"flow{n}", menu(n))
            service.publish(session, flow)   # raises when the flow is not valid
            made.append(flow)
        number = service.find_number(session, instance, NUMBER)
        service.bind_number(session, number, made[0])


def before(session, digits: str):
    """The lookup as it was: every version's text read and parsed on each call."""
    number = session.scalar(select(Number).where(Number.digits == digits))
    version = service.published_version_for_number(session, number)
    instance = number.instance
    flows = {name: LoadedFlow(str(v.id), json.loads(v.definition))
             for name, v in service.latest_versions(session, instance).items()}
    return runtime.CallPlan(number.instance_id, version.id, json.loads(version.definition),
                            flows)


def cold(session, digits: str):
    runtime.forget_documents()
    return runtime.plan_for_number(session, digits)


def measure(url: str, lookup, calls: int) -> dict:
    sessions = session_factory(url)
    walls = []
    cpu = time.process_time()
    for _ in range(calls):
        start = time.perf_counter()
        with sessions() as session, session.begin():
            plan = lookup(session, NUMBER)
        walls.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu
    assert plan.document["nodes"] and len(plan.flows) >= 2
    walls.sort()
    return {"p50": statistics.median(walls) * 1000,
            "p99": walls[int(len(walls) * 0.99) - 1] * 1000, "cpu": cpu / calls * 1000}


def run(label: str, url: str, calls: int) -> None:
    for lookup in (before, cold, runtime.plan_for_number):   # warm-up, connections too
        measure(url, lookup, 20)
    print(f"\n{label}: ms per call  (p50 / p99 wall, CPU)")
    for name, lookup in (("every text read and parsed (before)", before),
                         ("documents kept, forgotten each call", cold),
                         ("documents kept (after)", runtime.plan_for_number)):
        found = measure(url, lookup, calls)
        print(f"  {name:38} {found['p50']:6.2f} / {found['p99']:6.2f}   {found['cpu']:6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--flows", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        provision(url, args.flows)
        run(f"SQLite, {args.flows} flows", url, args.calls)
        dispose_engine(url)
    with scratch_postgres(POSTGRES, "ccc_ivr_bench") as url:
        provision(url, args.flows)
        run(f"PostgreSQL, {args.flows} flows", url, args.calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
