"""Billing benchmark: rate a month of N call records and export it, on SQLite and PostgreSQL.

    .venv/bin/python bench/billing_bench.py [--records 1000000] [--database sqlite|postgres|both]
        [--new-call-sizes 10000,1000000]

Each phase prints its throughput beside a baseline measured in the same run, per
wall-clock second and per CPU second (this process plus the PostgreSQL server process
serving it: on a shared machine that is what one core does), and the peak resident
memory of the process during the phase (VmHWM, reset between phases), which stays flat
when rows are streamed. Targets (one core): rating >= 50,000
records/s, export >= 500,000 rows/s. PostgreSQL is reached as the tests reach it
(CCC_TEST_POSTGRES_URL, default: the local socket), in a database made and dropped here.

A bill after one new call, at each of ``--new-call-sizes`` calls in the month (a fresh
database each, the month billed once first): the whole month rated again and billed
(what every bill after a new call did first), the new call rated and the month's rated
rows summed (what the bill did before the running totals), and the new call rated with
the running totals read (now); then a bill with nothing new, both ways; then the month
is rated again from scratch and its bill must be the same as the last bill after a new
call, line for line.
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

from sqlalchemy import case, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine.accounts.service import create_account  # noqa: E402
from engine.billing.contracts import add_package  # noqa: E402
from engine.billing import totals  # noqa: E402
from engine.billing.bills import bill  # noqa: E402
from engine.billing.export import export_usage, usage_query  # noqa: E402
from engine.billing.models import RatedUsage  # noqa: E402
from engine.billing.periods import Month  # noqa: E402
from engine.billing.rating import rate_month  # noqa: E402
from engine.calls.models import CallRecord  # noqa: E402
from engine.db import dispose_engine, session_factory  # noqa: E402
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
    account = create_account(session, "bench", "payg")
    sales = create_instance(session, account, "Sales", "sales.bench", "01012345678", "landline",
                            "alice").instance
    hotline = create_instance(session, account, "Hotline", "hotline.bench", "4001234567", "400",
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


def new_call(session: Session, instances: dict[str, int], n: int) -> None:
    """One more answered outbound call, ingested now: the month's latest."""
    _start, end = MONTH.utc_bounds()
    started = end - timedelta(seconds=300 - n)  # after every call of the month so far
    session.add(CallRecord(pbx_call_id=f"bench-new-{n}", instance_id=instances["sales"],
                           number="01012345678", direction="outbound", caller="01012345678",
                           callee="13900139000", started_at=started,
                           answered_at=started + timedelta(seconds=3),
                           ended_at=started + timedelta(seconds=95), billable_seconds=92,
                           disposition="answered", agent_extension="1001"))
    session.commit()


def one_new_call(database: str, url: str, records: int) -> list[str]:
    """Seconds (wall, this process's CPU plus the database server's) of a bill after one
    new call: rated from scratch (before) and incrementally (after)."""
    upgrade(url)
    factory = session_factory(url)
    with factory.begin() as session:
        instances = provision(session)
    with factory() as session:
        bulk_insert(session, records, instances)
        if database == "postgres":
            session.execute(text("ANALYZE"))
            session.commit()
    with factory.begin() as session:
        bill(session, _account(session), MONTH)   # the month rated once, as a live month is
    found, shown = {}, {}
    with factory() as session:
        pid = backend_pid(session)
        for n, (name, work, new) in enumerate((
                (BEFORE_ALL, lambda: (rate_month(session, MONTH, _account(session)),
                                      bill(session, _account(session), MONTH))[1], True),
                (BEFORE_SUM, lambda: _bill_summing_rows(session), True),
                (AFTER, lambda: bill(session, _account(session), MONTH), True),
                ("before: nothing new, month's rows summed",
                 lambda: _bill_summing_rows(session), False),
                ("after: nothing new, running totals read",
                 lambda: bill(session, _account(session), MONTH), False))):
            if new:
                new_call(session, instances, n)
            cpu, start = _cpu_seconds(pid), time.perf_counter()
            shown[name] = work()
            found[name] = (time.perf_counter() - start, _cpu_seconds(pid) - cpu)
            session.commit()
        rate_month(session, MONTH, _account(session))
        again = bill(session, _account(session), MONTH)
        session.commit()
    incremental = shown[AFTER]
    same = [line.as_row() for line in again.lines] == [line.as_row()
                                                      for line in incremental.lines]
    lines = [f"{database:8} {records:>10,} calls  {name:44} {wall:7.3f} s  cpu {cpu:7.3f} s"
             for name, (wall, cpu) in found.items()]
    lines.append(f"{database:8} {records:>10,} calls  same bill as rated from scratch: "
                 f"{'yes' if same else 'NO'} (payable {again.payable})")
    for line in lines:
        print(line, flush=True)
    if not same:
        raise SystemExit("the incremental bill differs from the bill rated from scratch")
    dispose_engine(url)
    return lines


BEFORE_ALL = "before: whole month rated again, billed"
BEFORE_SUM = "before: new call rated, month's rows summed"
AFTER = "after: new call rated, running totals read"


def _summed_usage(session: Session, account_id: int, month: Month):
    """What a bill read before the running totals: the month's rated rows, summed."""
    return session.execute(
        select(RatedUsage.item, func.sum(RatedUsage.minutes), func.sum(RatedUsage.package_minutes),
               func.sum(case((RatedUsage.recorded, RatedUsage.minutes), else_=0)))
        .where(RatedUsage.account_id == account_id, RatedUsage.month == month.key)
        .group_by(RatedUsage.item)).all()


def _bill_summing_rows(session: Session):
    """The bill as it was made before the running totals (the same bill, by its sums)."""
    kept = totals.usage
    totals.usage = _summed_usage
    try:
        return bill(session, _account(session), MONTH)
    finally:
        totals.usage = kept


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
    parser.add_argument("--new-call-sizes", default="10000,1000000",
                        help="month sizes for the bill after one new call ('' to skip)")
    parser.add_argument("--skip-throughput", action="store_true",
                        help="only the bill after one new call")
    args = parser.parse_args()
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    sizes = [int(size) for size in args.new_call_sizes.split(",") if size]
    reports, new_call_lines = [], []
    with tempfile.TemporaryDirectory(prefix="ccc-bench-") as tmp:
        workdir = Path(tmp)
        for database in databases:
            if not args.skip_throughput:
                with _database(database, workdir, "bench") as url:
                    reports.append(run(database, url, args.records, args.naive, workdir))
            for size in sizes:
                with _database(database, workdir, f"new-{size}") as url:
                    new_call_lines += one_new_call(database, url, size)
    print(f"\n{args.records:,} call records in {MONTH} ({datetime.now():%Y-%m-%d %H:%M}):")
    for report in reports:
        print("\n".join(report.lines))
    if new_call_lines:
        print("\nA bill after one new call:")
        print("\n".join(new_call_lines))
    return 0


@contextmanager
def _database(database: str, workdir: Path, name: str):
    if database == "sqlite":
        yield f"sqlite:///{workdir / (name + '.sqlite3')}"
    else:
        from tests.conftest import postgres_database
        with postgres_database() as url:
            yield url


if __name__ == "__main__":
    sys.exit(main())
