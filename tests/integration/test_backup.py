"""A call center backed up on SQLite and restored on a new, empty PostgreSQL with a new
PBX site takes calls with the same agents' credentials; back again onto SQLite, the
rows are the same. On the restored host ``ccc serve`` rotates its journals by size
during 20 calls: exactly 20 call records, and every queue event once.

Configured here (not the shared ``callcenter``): account acme, the carrier trunk,
instance Sales (01012345678, skill group default) with admin agent alice, an audio
file and a recording on the original site.
"""
from __future__ import annotations

import shutil
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.backup.service import backup, restore
from engine.db import dispose_engine
from engine.journals.follow import rotated_files
from engine.reports.models import QueueEvent
from engine.reports.queuelog import parse_line
from engine.settings import load_settings
from engine.uow import transaction
from provisioning import pbx_host
from tests import databases
from tests.conftest import POSTGRES_ADMIN_URL
from tests.integration.callcenter import CARRIER, CallCenter, environment, local, wait_for
from tests.integration.conftest import OUTPUT

ALICE_PHONE = local("127.0.0.61", 5610)
SALES_NUMBER = "01012345678"
WELCOME = Path(__file__).resolve().parents[2] / "sounds" / "welcome.wav"
RECORDING = "recordings/i1/backup-test-1764750000.1.wav"
# Small enough that 20 calls rotate each journal several times.
ROTATE_AT = "1K"


def _center(workdir: Path, url: str, site: str, name: str, **env: str) -> CallCenter:
    output = OUTPUT / "backup" / name
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    return CallCenter(environment(workdir, url, site) | env, workdir, output)


@pytest.fixture(scope="module")
def original(pbx_site, tmp_path_factory):
    """The call center on SQLite, its PBX up, and its backup taken while it runs."""
    workdir = tmp_path_factory.mktemp("backup-original")
    cc = _center(workdir, f"sqlite:///{workdir / 'ccc.sqlite3'}", pbx_site, "original")
    cc.ccc("account", "create", "acme", "--plan", "payg")
    cc.ccc("trunk", "create", "--name", "carrier", "--host", f"{CARRIER[0]}:{CARRIER[1]}")
    cc.sales = cc.ccc_json("instance", "create", "--account", "acme", "--name", "Sales",
                           "--domain", "sales.acme", "--number", SALES_NUMBER,
                           "--number-type", "landline", "--admin", "alice")
    cc.ccc("audio", "upload", str(WELCOME), "--instance", "sales.acme", "--name", "greeting")
    cc.ccc("pbx", "start")
    settings = load_settings(cc.env)
    (settings.site_dir / RECORDING).parent.mkdir(parents=True, exist_ok=True)
    (settings.site_dir / RECORDING).write_bytes(b"RIFF a recorded call")
    cc.archive = workdir / "ccc-backup.tar.gz"
    cc.ccc("backup", "-o", str(cc.archive))
    cc.ccc("pbx", "stop")   # the old host goes away: the new one takes its ports
    return cc


@pytest.fixture(scope="module")
def restored(original, pbx_site, tmp_path_factory):
    """A new host: an empty PostgreSQL database, its own PBX site, the backup restored,
    the PBX and ccc serve started (journals rotated at 1 KiB)."""
    workdir = tmp_path_factory.mktemp("backup-restored")
    site = f"{pbx_site}-restored"
    with databases.scratch_postgres(POSTGRES_ADMIN_URL, "ccc_restored") as url:
        cc = _center(workdir, url, site, "restored", CCC_JOURNAL_ROTATE=ROTATE_AT)
        settings = load_settings(cc.env)
        assert not settings.site_dir.exists()
        try:
            cc.restore_output = cc.ccc("restore", str(original.archive)).stdout
            cc.ccc("pbx", "start")
            cc.sign_out_everyone()
            cc.start_serve()
            yield cc
        finally:
            cc.stop_serve()
            cc.kill_sipps()
            pbx_host.stop(settings)
            if (settings.site_dir / "log").exists():
                shutil.copytree(settings.site_dir / "log", cc.output / "asterisk-log",
                                dirs_exist_ok=True)
            shutil.rmtree(settings.site_dir, ignore_errors=True)


def test_the_restored_host_takes_a_call_with_the_agents_old_password(original, restored):
    """alice's softphone registers with the password the original host gave her, and a
    carrier call to the number reaches her."""
    assert restored.restore_output.startswith("restored ")
    alice = original.sales["admin_agent"]
    restored.register(alice, ALICE_PHONE)       # the original password, unchanged
    agent = restored.answering_agent(ALICE_PHONE)
    caller = restored.carrier_calls(SALES_NUMBER, "1380013861", talk_ms=7000)
    caller.assert_success()
    agent.assert_success()
    assert len(agent.requests("INVITE")) == 1
    record = restored.wait_for_record(lambda r: r["caller"] == "1380013861")
    assert record["agent"] == alice["extension"] and record["disposition"] == "answered"

    # The audio library and the recording came along, byte for byte.
    [greeting] = restored.ccc_json("audio", "list", "--instance", "sales.acme")
    assert greeting["name"] == "greeting"
    before, after = load_settings(original.env), load_settings(restored.env)
    assert (after.site_dir / RECORDING).read_bytes() == b"RIFF a recorded call"
    assert (after.site_dir / RECORDING).stat().st_mode & 0o777 == 0o640
    assert (after.site_dir / "ami.secret").read_bytes() == \
        (before.site_dir / "ami.secret").read_bytes()
    assert (after.site_dir / "ami.secret").stat().st_mode & 0o777 == 0o600


def test_back_from_postgresql_onto_sqlite_the_rows_are_the_same(restored, tmp_path):
    """The restored PostgreSQL host backed up, restored onto a new SQLite database and
    backed up again: the two backups hold the same rows, value for value. (The
    services themselves, called in this process: the commands are tested above.)"""
    from_postgres, from_sqlite = tmp_path / "from-postgres.tar.gz", tmp_path / "again.tar.gz"
    backup(load_settings(restored.env), from_postgres)
    third = replace(load_settings(restored.env), var_dir=tmp_path / "var",
                    pbx_root=tmp_path / "root",
                    database_url=f"sqlite:///{tmp_path / 'third.sqlite3'}")
    restore(third, from_postgres)
    backup(third, from_sqlite)
    dispose_engine(third.database_url)
    rows_of_postgres, rows_of_sqlite = _rows(from_postgres), _rows(from_sqlite)
    assert rows_of_sqlite == rows_of_postgres
    assert b"1380013861" in rows_of_sqlite["database/call_record.jsonl"]


def _rows(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as opened:
        return {m.name: opened.extractfile(m).read() for m in opened.getmembers()
                if m.name.startswith("database/")}


def test_journals_rotated_during_20_calls_give_exactly_20_records(restored):
    """20 carrier calls, five at a time, each waiting in the queue (nobody answers) and
    hung up by the caller; ccc serve rotates both journals at 1 KiB meanwhile."""
    restored.kill_sipps()
    restored.sign_out_everyone()
    settings = load_settings(restored.env)
    caller = "1380013862"
    calls = restored.sipp("rotation-callers", "call.xml", CARRIER, SALES_NUMBER,
                          "-key", "caller", caller, "-d", "6500", "-l", "5", "-r", "2",
                          calls=20)
    assert calls.wait(timeout=120) == 0, calls.output()

    def ours() -> list[dict]:
        return [r for r in restored.call_records() if r["caller"] == caller]
    wait_for(lambda: len(ours()) >= 20, "20 call records", timeout=30)
    records = ours()
    assert len(records) == 20 and len({r["id"] for r in records}) == 20
    assert len(rotated_files(settings.cdr_file)) >= 2
    assert len(rotated_files(settings.queue_log)) >= 2

    # Every queue-log line of these calls, in every file, is stored once.
    written = {}
    for path in [p for p, _ in rotated_files(settings.queue_log)] + [settings.queue_log]:
        for line in path.read_text(encoding="utf-8").splitlines():
            event = parse_line(line)
            if event is not None and event.call_id in {r["id"] for r in records}:
                written[event.digest] = event
    assert sum(1 for e in written.values() if e.event == "ENTERQUEUE") == 20

    def stored() -> set[str]:
        with transaction(settings) as db:
            return set(db.scalars(select(QueueEvent.line_digest).where(
                QueueEvent.call_id.in_([r["id"] for r in records]))))
    wait_for(lambda: stored() == set(written), "every queue event stored", timeout=15)
    assert stored() == set(written)
