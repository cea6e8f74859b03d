"""Call-record ingestion: the CPU that ``ccc serve`` spends per call reading the PBX's
journal into call records, on SQLite and PostgreSQL.

    .venv/bin/python bench/ingest_bench.py [--calls 2000] [--source CHECKOUT]

Each answered inbound call journals three rows (the caller's leg, the agent's leg, the
queue's ring of a second agent who did not answer), written as the PBX writes them.
Ingestion runs as ``ccc serve`` runs it, one transaction per read: once per call (a
quiet PBX: each poll finds one call), and once per ten calls (10 calls/s at one poll
a second), beside the database's own cost of committing an empty transaction. Figures:
this process's CPU milliseconds per call.

``--source`` runs the same measurement on another checkout's engine (for a before and
after: ``git worktree add /tmp/before <commit>``, then ``--source /tmp/before``).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--calls", type=int, default=2000)
parser.add_argument("--source", type=Path, default=ROOT)
ARGS = parser.parse_args()
sys.path.insert(0, str(ARGS.source.resolve()))
sys.path.insert(1, str(ROOT))   # tests.databases, whatever the source

from engine.accounts.service import create_account  # noqa: E402
from engine.calls.service import ingest  # noqa: E402
from engine.db import dispose_engine, session_factory  # noqa: E402
from engine.instances.service import create_instance  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.settings import load_settings  # noqa: E402
from tests.databases import scratch_postgres  # noqa: E402

POSTGRES = os.environ.get("CCC_BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TAG = "dir=inbound&inst=i1&num=01099990000"


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def call_lines(n: int) -> str:
    """One answered inbound call as the PBX journals it."""
    start = 1796000000.0 + n * 10
    linked = f"bench-{start:.1f}"
    rows = [
        (linked, "0", "13800138000", "ccc-i1-inbound", f"PJSIP/trunk-carrier-{n:08x}",
         f"PJSIP/i1-1001-{n:08x}", "Queue", start, start + 4, start + 64, "ANSWERED", TAG),
        (f"{linked}.1", "1", "13800138000", "ccc-i1-agents", f"PJSIP/i1-1001-{n:08x}", "",
         "AppQueue", start + 2, start + 4, start + 64, "ANSWERED", TAG),
        (f"{linked}.2", "2", "13800138000", "ccc-i1-agents", f"PJSIP/i1-1002-{n:08x}", "",
         "AppQueue", start + 2, 0.0, start + 4, "NO ANSWER", TAG),
    ]
    out = []
    for unique, seq, src, context, channel, peer, app, begin, answer, end, disp, field in rows:
        text = [linked, unique, seq, "i1", src, "01099990000", context, channel, peer, app]
        times = [f"{value:.6f}" for value in (begin, answer, end)]
        out.append(",".join([*map(quote, text), *times, quote(disp), quote(field)]))
    return "\n".join(out) + "\n"


def run(label: str, url: str, folder: Path, calls: int) -> None:
    upgrade(url)
    sessions = session_factory(url)
    with sessions.begin() as session:
        account = create_account(session, "bench", "payg")
        create_instance(session, account, "Bench", "bench.example", "01099990000", "landline",
                        "admin")
    settings = load_settings({"CCC_VAR_DIR": str(folder / "var"), "CCC_DATABASE_URL": url})
    settings.cdr_file.parent.mkdir(parents=True, exist_ok=True)
    settings.cdr_file.write_text("")
    print(f"\n{label}: CPU ms per call ({calls} calls each)")
    made = 0

    def once(batch: int) -> float:
        nonlocal made
        cpu = time.process_time()
        for _ in range(calls // batch):
            with open(settings.cdr_file, "a") as journal:
                for _ in range(batch):
                    journal.write(call_lines(made))
                    made += 1
            with sessions.begin() as session:
                assert ingest(session, settings) == batch
        return (time.process_time() - cpu) / calls * 1000

    cpu = time.process_time()
    for _ in range(calls):
        with sessions.begin() as session:
            session.connection()
    empty = (time.process_time() - cpu) / calls * 1000
    once(1)  # warm-up
    print(f"  an empty transaction          {empty:6.2f}")
    print(f"  ingested one call per read    {once(1):6.2f}")
    print(f"  ingested ten calls per read   {once(10):6.2f}")


def main() -> int:
    print(f"engine from {ARGS.source.resolve()}")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        run("SQLite", url, Path(folder), ARGS.calls)
        dispose_engine(url)
    with tempfile.TemporaryDirectory() as folder, \
            scratch_postgres(POSTGRES, "ccc_ingest_bench") as url:
        run("PostgreSQL", url, Path(folder), ARGS.calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
