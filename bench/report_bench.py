"""Report benchmark: a month's skill-group report over N queue events on PostgreSQL.

    .venv/bin/python bench/report_bench.py [--events 1000000] [--url postgresql+psycopg://...]

The events are a month of calls in four skill groups with every outcome (answered,
abandoned in queue and while ringing, short abandons, timeouts overflowing to another
group, exits by key), written with COPY into a database made and dropped here
(default: PostgreSQL on 127.0.0.1:5432, or CCC_BENCH_POSTGRES_URL). Each phase prints
its wall-clock time beside baselines measured in the same run: the database alone
counting the month's events per group, and the report computed by replaying every
event of the month in Python (``metrics.queue_visits``) instead of summing the visits
ingestion stored. Target: the month's report under 1 s. Building the visits (what
ingestion does as lines arrive) is timed too, on all the calls at once.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from engine.accounts.service import create_account  # noqa: E402
from engine.db import session_factory  # noqa: E402
from engine.instances.service import create_instance  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.reports import metrics  # noqa: E402
from engine.reports.ingest import refresh_visits  # noqa: E402
from engine.reports.intervals import utc_bounds  # noqa: E402
from engine.reports.models import QueueEvent  # noqa: E402
from engine.reports.service import skill_group_report  # noqa: E402
from engine.skillgroups.service import create_skill_group  # noqa: E402
from tests.databases import scratch_postgres  # noqa: E402

DEFAULT_URL = os.environ.get("CCC_BENCH_POSTGRES_URL",
                             "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
START, END = date(2026, 11, 1), date(2026, 12, 1)
OFFSET = 480  # the site's clock, +08:00
COLUMNS = ("line_digest", "instance_id", "skill_group_id", "queue", "agent_extension", "event",
           "call_id", "at", "data1", "data2", "data3", "data4", "data5")


def provision(url: str) -> tuple[int, list[int]]:
    with session_factory(url).begin() as session:
        create_account(session, "bench", "payg")
        instance = create_instance(session, "bench", "Bench", "bench.example", "01099990000",
                                   "landline", "admin").instance
        groups = [create_skill_group(session, instance, f"g{n}").id for n in range(3)]
        default = session.scalar(text("SELECT id FROM skill_group WHERE name = 'default'"))
        return instance.id, [default, *groups]


def calls(instance_id: int, groups: list[int], count: int, seed: int = 7):
    """Queue log rows of calls spread over the month, until ``count`` events."""
    rng = random.Random(seed)
    since, until = utc_bounds(START, END, OFFSET)
    span = (until - since).total_seconds()
    made, number = 0, 0
    while made < count:
        number += 1
        call = f"bench-{number}.0"
        at = since + timedelta(seconds=rng.random() * span)
        group = rng.choice(groups)
        agent = str(1001 + rng.randrange(50))
        kind = rng.random()
        rows = []

        def row(seconds, grp, event, member=None, *data, rows=rows, at=at):
            rows.append((grp, member, event, at + timedelta(seconds=seconds), data))

        wait, talk = rng.randrange(1, 90), rng.randrange(20, 600)
        row(0, group, "ENTERQUEUE", None, "", "13800138000", 1)
        if kind < 0.65:  # answered, sometimes after an agent let it ring out
            if kind < 0.1:
                row(wait - 1, group, "RINGNOANSWER", agent, 15000)
            row(wait, group, "CONNECT", agent, wait, f"{call}-a", 3)
            row(wait + talk, group, "COMPLETECALLER", agent, wait, talk, 1)
        elif kind < 0.77:
            row(wait, group, "ABANDON", None, 1, 1, wait)
        elif kind < 0.82:
            row(wait, group, "RINGCANCELED", agent, 4000)
            row(wait, group, "ABANDON", None, 1, 1, wait)
        elif kind < 0.86:
            row(3, group, "ABANDON", None, 1, 1, 3)
        elif kind < 0.95:  # overflow to the next group, answered there
            other = groups[(groups.index(group) + 1) % len(groups)]
            row(300, group, "EXITWITHTIMEOUT", None, 1, 1, 300)
            row(300, other, "ENTERQUEUE", None, "", "13800138000", 1)
            row(300 + wait, other, "CONNECT", agent, wait, f"{call}-b", 2)
            row(300 + wait + talk, other, "COMPLETEAGENT", agent, wait, talk, 1)
        else:
            row(wait, group, "EXITWITHKEY", None, "1", 1, 1, wait)
        for grp, member, event, when, data in rows:
            fields = [str(d) for d in data] + [""] * (5 - len(data))
            line = f"{int(when.timestamp())}|{call}|i{instance_id}-q{grp}|{member}|{event}|{number}"
            yield (hashlib.sha1(line.encode()).hexdigest(), instance_id, grp,
                   f"i{instance_id}-q{grp}", member, event, call, when, *fields)
            made += 1


def bulk_insert(url: str, instance_id: int, groups: list[int], count: int) -> int:
    engine = session_factory(url).kw["bind"]
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        with cursor.copy(f"COPY queue_event ({','.join(COLUMNS)}) FROM STDIN") as copy:
            for values in calls(instance_id, groups, count):
                copy.write_row(values)
        connection.connection.dbapi_connection.commit()
        connection.execute(text("ANALYZE queue_event"))
        connection.commit()
    return count


def build_visits(url: str) -> int:
    """Ingestion's second step for every call: visits rebuilt from their events."""
    with session_factory(url).begin() as session:
        call_ids = set(session.scalars(select(QueueEvent.call_id).distinct()))
        visits = refresh_visits(session, call_ids)
    with session_factory(url)().connection() as connection:
        connection.execute(text("ANALYZE queue_call"))
        connection.commit()
    return visits


def replayed_report(session, instance_id: int, since: datetime, until: datetime) -> list:
    """The baseline: every event of the month read and replayed in Python."""
    rows = session.execute(
        select(QueueEvent.at, QueueEvent.call_id, QueueEvent.queue, QueueEvent.skill_group_id,
               QueueEvent.agent_extension, QueueEvent.event, QueueEvent.data1,
               QueueEvent.data2, QueueEvent.data3, QueueEvent.data4, QueueEvent.data5)
        .where(QueueEvent.instance_id == instance_id, QueueEvent.at >= since,
               QueueEvent.at < until)
        .order_by(QueueEvent.at, QueueEvent.id))
    events = [metrics.QueueLogEvent(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6:]))
              for r in rows]
    by_group: dict = {}
    for visit in metrics.queue_visits(events):
        by_group.setdefault(visit.skill_group_id, []).append(visit)
    return [metrics.skill_group_figures(visits) for visits in by_group.values()]


def timed(label: str, results: list, action, repeat: int = 3):
    """The best of ``repeat`` runs (the first warms the database's cache)."""
    best, answer = None, None
    for _ in range(repeat):
        began = time.perf_counter()
        answer = action()
        took = time.perf_counter() - began
        best = took if best is None else min(best, took)
    line = f"{label:58} {best:7.3f} s"
    results.append(line)
    print(line, flush=True)
    return answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL, help="an administrator's database URL")
    args = parser.parse_args()
    results: list[str] = []
    with scratch_postgres(args.url, "ccc_report_bench") as url:
        upgrade(url)
        instance_id, groups = provision(url)
        began = time.perf_counter()
        bulk_insert(url, instance_id, groups, args.events)
        print(f"{args.events:,} queue events written in {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        visits = build_visits(url)
        took = time.perf_counter() - began
        print(f"{visits:,} visits built from them in {took:.1f} s "
              f"({args.events / took:,.0f} events/s)")
        factory = session_factory(url)
        since, until = utc_bounds(START, END, OFFSET)
        with factory() as session:
            from engine.instances.models import Instance
            instance = session.get(Instance, instance_id)
            timed("baseline: the database counts the month's events by group", results,
                  lambda: session.execute(
                      select(QueueEvent.skill_group_id, func.count())
                      .where(QueueEvent.instance_id == instance_id, QueueEvent.at >= since,
                             QueueEvent.at < until)
                      .group_by(QueueEvent.skill_group_id)).all())
            timed("baseline: the month replayed from its events in Python", results,
                  lambda: replayed_report(session, instance_id, since, until), repeat=1)
            rows = timed("skill-group report, the month by day", results,
                         lambda: skill_group_report(session, instance, START, END, "day",
                                                    OFFSET))
            timed("skill-group report, the month as one row", results,
                  lambda: skill_group_report(session, instance, START, END, "month", OFFSET))
    offered = sum(r["CallsOffered"] for r in rows)
    print(f"\n{args.events:,} queue events, {visits:,} visits ({offered:,} offered in the "
          f"month) on PostgreSQL, {datetime.now():%Y-%m-%d %H:%M}:")
    print("\n".join(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
