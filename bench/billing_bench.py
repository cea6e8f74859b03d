"""Billing benchmark: rate a month of N call records and export it, on SQLite and PostgreSQL.

    .venv/bin/python bench/billing_bench.py [--records 1000000] [--database sqlite|postgres|both]

Each phase prints its throughput beside a baseline measured in the same run, per
wall-clock second and per CPU second (this process plus the PostgreSQL server process
serving it: on a shared machine that is what one core does), and the peak resident
memory of the process during the phase (VmHWM, reset between phases), which stays flat
when rows are streamed. Targets (one core): rating >= 50,000
records/s, export >= 500,000 rows/s. PostgreSQL is reached as the tests reach it
(CCC_TEST_POSTGRES_URL, default: the local socket), in a database made and dropped here.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine.accounts.service import create_account  # noqa: E402
from engine.billing.contracts import add_package  # noqa: E402
from engine.billing.export import export_usage, usage_query  # noqa: E402
from engine.billing.models import RatedUsage  # noqa: E402
from engine.billing.periods import Month  # noqa: E402
from engine.billing.rating import rate_month  # noqa: E402
from engine.calls.models import CallRecord  # noqa: E402
from engine.db import session_factory  # noqa: E402
from engine.instances.service import create_instance  # noqa: E402
from engine.migrate import upgrade  # noqa: E402

MONTH = Month.parse("2026-11")
COLUMNS = ("pbx_call_id", "instance_id", "number", "direction", "caller", "callee",
           "started_at", "answered_at", "ended_at", "billable_seconds", "disposition",
           "agent_extension")
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format for SQLite DATETIME


@dataclass
class Report:
    database: str
    lines: list[str] = field(default_factory=list)

    def add(self, phase: str, count: int, wall: float, cpu: float, unit: str,
            peak_mb: float) -> None:
        line = (f"{self.database:8} {phase:36} {count:>9,} {unit:7} {wall:6.2f} s "
                f"{count / wall:>10,.0f}/s  cpu {cpu:6.2f} s {count / cpu:>10,.0f}/cpu-s  "
                f"peak RSS {peak_mb:4.0f} MB")
        self.lines.append(line)
        print(line, flush=True)


def _reset_peak() -> None:
    try:  # Linux: "5" resets the peak resident set size (VmHWM) of this process
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def backend_pid(session: Session) -> int | None:
    """The PostgreSQL server process serving this session (it does the set-based work)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.execute(text("SELECT pg_backend_pid()")).scalar()


def _cpu_seconds(server_pid: int | None) -> float:
    """CPU time of this process plus the database server process working for it: the
    machine is shared, so CPU seconds tell what one core does better than wall time."""
    total = time.process_time()
    if server_pid is not None:
        fields = Path(f"/proc/{server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@contextmanager
def phase(report: Report, name: str, unit: str, count_box: list, server_pid: int | None):
    _reset_peak()
    cpu, start = _cpu_seconds(server_pid), time.perf_counter()
    yield
    wall, cpu = time.perf_counter() - start, _cpu_seconds(server_pid) - cpu
    report.add(name, count_box[0], wall, cpu, unit, _peak_mb())


def provision(session: Session) -> dict[str, int]:
    create_account(session, "bench", "payg")
    sales = create_instance(session, "bench", "Sales", "sales.bench", "01012345678", "landline",
                            "alice").instance
    hotline = create_instance(session, "bench", "Hotline", "hotline.bench", "4001234567", "400",
                              "carol").instance
    add_package(session, sales.account, "outbound", 100_000, "2026-11-01", "2026-11-30")
    return {"sales": sales.id, "hotline": hotline.id}


def call_rows(count: int, instances: dict[str, int], sqlite: bool):
    """Call records spread over November (billing clock): inbound landline, outbound,
    400 inbound and unanswered calls, 0-600 s, every tenth caller starting with '+'."""
    rng = random.Random(7)
    start0, end0 = MONTH.utc_bounds()
    span = int((end0 - start0).total_seconds()) - 700
    stamp = (lambda t: t.strftime(SQLITE_TIME)) if sqlite else (lambda t: t)
    # Records are numbered as ingestion stores them, in time order, as on a live PBX.
    offsets = sorted(rng.randrange(span) for _ in range(count))
    for n, offset in enumerate(offsets):
        kind = rng.random()
        start = start0 + timedelta(seconds=offset)
        seconds = rng.randrange(601)
        answered = kind < 0.95
        if kind < 0.15:
            instance, number, direction = instances["hotline"], "4001234567", "inbound"
        elif kind < 0.60:
            instance, number, direction = instances["sales"], "01012345678", "inbound"
        else:
            instance, number, direction = instances["sales"], "01012345678", "outbound"
        caller = f"+86138{n:08d}" if n % 10 == 0 else f"138{n:08d}"
        answer = start + timedelta(seconds=3)
        yield (f"bench-{n}", instance, number, direction, caller, "13900139000", stamp(start),
               stamp(answer) if answered else None,
               stamp(answer + timedelta(seconds=seconds)), seconds if answered else 0,
               "answered" if answered else "no_answer", "1001" if answered else None)


def bulk_insert(session: Session, count: int, instances: dict[str, int]) -> None:
    cursor = session.connection().connection.dbapi_connection.cursor()
    if session.get_bind().dialect.name == "sqlite":
        marks = ",".join("?" * len(COLUMNS))
        cursor.executemany(f"INSERT INTO call_record ({','.join(COLUMNS)}) VALUES ({marks})",
                           call_rows(count, instances, sqlite=True))
    else:
        with cursor.copy(f"COPY call_record ({','.join(COLUMNS)}) FROM STDIN") as copy:
            for row in call_rows(count, instances, sqlite=False):
                copy.write_row(row)
    session.commit()


def run(database: str, url: str, records: int, naive: int, workdir: Path) -> Report:
    report = Report(database)
    upgrade(url)
    factory = session_factory(url)
    with factory.begin() as session:
        instances = provision(session)
    box = [records]
    with factory() as session:
        with phase(report, "bulk insert call records", "records", box, backend_pid(session)):
            bulk_insert(session, records, instances)
        if database == "postgres":
            session.execute(text("ANALYZE"))
            session.commit()
    with factory() as session, phase(report, "baseline: plain SELECT scan (ORM)", "records",
                                     box, backend_pid(session)):
        result = session.execute(select(*(getattr(CallRecord, c) for c in COLUMNS))
                                 .execution_options(yield_per=20_000))
        box[0] = sum(len(p) for p in result.partitions())
    box = [naive]
    with factory() as session, phase(report, f"baseline: naive ORM rating ({naive:,})",
                                     "records", box, backend_pid(session)):
        _naive_rating(session, naive)
        session.rollback()
    box = [records]
    with factory.begin() as session, phase(report, "rating (set-based INSERT..SELECT)",
                                           "records", box, backend_pid(session)):
        [rated] = rate_month(session, MONTH, _account(session))
    box[0] = rated.calls
    with factory() as session, phase(report, "baseline: export lines via ORM, no file",
                                     "rows", box, backend_pid(session)):
        query = usage_query(_account(session), MONTH).execution_options(yield_per=20_000)
        box[0] = sum(len(p) for p in session.execute(query).partitions())
    with factory.begin() as session, phase(report, "usage export (CSV file)", "rows", box,
                                           backend_pid(session)):
        export = export_usage(session, workdir / f"exports-{database}", _account(session), MONTH)
        box[0] = export.rows
    return report


def _account(session: Session):
    from engine.accounts.service import get_account
    return get_account(session, "bench")


def _naive_rating(session: Session, limit: int) -> None:
    """What rating looks like one ORM object at a time: the baseline it must beat."""
    start, end = MONTH.utc_bounds()
    for record in session.scalars(select(CallRecord).where(
            CallRecord.started_at >= start, CallRecord.started_at < end).limit(limit)):
        if record.answered_at is None or record.billable_seconds <= 0:
            continue
        minutes = (record.billable_seconds + 59) // 60
        detail = ",".join(map(str, (
            1, record.started_at + MONTH.utc_offset, 0, minutes, 0, record.instance_id,
            minutes, 0, int(record.started_at.timestamp()), int(record.ended_at.timestamp()),
            record.caller, record.callee)))
        session.add(RatedUsage(call_record_id=record.id, account_id=1,
                               instance_id=record.instance_id, month=MONTH.key,
                               item="Landline_Outbound", started_at=record.started_at,
                               minutes=minutes, recorded=record.agent_extension is not None,
                               detail=detail))
    session.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=20_000, help="naive ORM baseline subset")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    reports = []
    with tempfile.TemporaryDirectory(prefix="ccc-bench-") as tmp:
        workdir = Path(tmp)
        if args.database in ("sqlite", "both"):
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            reports.append(run("sqlite", url, args.records, args.naive, workdir))
        if args.database in ("postgres", "both"):
            from tests.conftest import postgres_database
            with postgres_database() as url:
                reports.append(run("postgres", url, args.records, args.naive, workdir))
    print(f"\n{args.records:,} call records in {MONTH} ({datetime.now():%Y-%m-%d %H:%M}):")
    for report in reports:
        print("\n".join(report.lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
