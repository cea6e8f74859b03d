"""Backups: a call center into one archive and onto an empty database of either kind;
hostile or unfit archives are refused whole, with one line, leaving nothing behind."""
from __future__ import annotations

import io
import json
import shutil
import stat
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from engine.agents.models import Agent
from engine.backup.service import BackupError, backup, restore
from engine.backup import rows
from engine.db import dispose_engine, get_engine
from engine.migrate import current_revision
from engine.skillgroups.service import create_skill_group
from engine.uow import transaction
from tests import databases
from tests.conftest import POSTGRES_ADMIN_URL, _sqlite_template, postgres_database
from tests.factories import add_account, add_instance, add_trunk

SECRETS = ("var/tls/key.pem", "var/web-secret-key", "site/ami.secret")


@pytest.fixture
def source(settings):
    """A small call center: an instance with its agent, a trunk, a skill group that
    overflows into another (a row pointing into its own table), and its files."""
    with transaction(settings) as session:
        add_account(session)
        add_trunk(session)
        created = add_instance(session)
        first = create_skill_group(session, created.instance, "first")
        create_skill_group(session, created.instance, "second", overflow_id=first.id)
    write(settings.var_dir / "audio" / "i1" / "welcome.wav", b"RIFF original")
    write(settings.var_dir / "tls" / "cert.pem", b"-----BEGIN CERTIFICATE-----")
    write(settings.var_dir / "tls" / "key.pem", b"-----BEGIN PRIVATE KEY-----")
    write(settings.var_dir / "web-secret-key", b"0123abcd")
    write(settings.site_dir / "ami.secret", b"s3cret\n")
    write(settings.site_dir / "recordings" / "i1" / "1764750000.1.wav", b"RIFF call")
    write(settings.site_dir / "sounds" / "i1" / "welcome.wav", b"RIFF 8k copy")
    write(settings.var_dir / "unrelated.txt", b"not ours")   # not in a backup
    return settings


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def other_empty(settings, tmp_path):
    """Settings of a new host: other folders and an empty database (no schema) of the
    other kind than the source's."""
    new = replace(settings, var_dir=tmp_path / "new-var", pbx_root=tmp_path / "new-root")
    if settings.database_url.startswith("sqlite"):
        with databases.scratch_postgres(POSTGRES_ADMIN_URL, "ccc_restore") as url:
            yield replace(new, database_url=url)
    else:
        url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
        yield replace(new, database_url=url)
        dispose_engine(url)


@pytest.fixture
def other_migrated(settings, tmp_path):
    """A new host whose database of the other kind has the schema and no rows (what
    `ccc db upgrade` leaves): quicker to make than one the restore must migrate."""
    new = replace(settings, var_dir=tmp_path / "new-var", pbx_root=tmp_path / "new-root")
    if settings.database_url.startswith("sqlite"):
        with postgres_database() as url:
            yield replace(new, database_url=url)
    else:
        shutil.copyfile(_sqlite_template(), tmp_path / "new.sqlite3")
        url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
        yield replace(new, database_url=url)
        dispose_engine(url)


def database_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()
                if m.name.startswith("database/")}


def test_a_backup_restores_onto_the_other_database_with_every_row_and_file(
        source, other_empty, tmp_path):
    archive = tmp_path / "cc.tar.gz"
    made = backup(source, archive)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600   # it holds secrets
    assert made.files == 7 and made.rows > 0

    restored = restore(other_empty, archive)
    assert (restored.rows, restored.files) == (made.rows, made.files)
    assert current_revision(other_empty.database_url) == made.revision
    # The same rows, value for value: a backup of the restored database is identical.
    again = backup(other_empty, tmp_path / "again.tar.gz")
    assert database_members(tmp_path / "again.tar.gz") == database_members(archive)
    assert again.rows == made.rows
    with transaction(source) as before, transaction(other_empty) as after:
        secrets = [(a.sip_username, a.sip_secret) for a in before.scalars(select(Agent))]
        assert [(a.sip_username, a.sip_secret) for a in after.scalars(select(Agent))] == secrets
    for name, base, new_base in (("var", source.var_dir, other_empty.var_dir),
                                 ("site", source.site_dir, other_empty.site_dir)):
        for path in base.rglob("*"):
            if path.is_file() and path.name != "unrelated.txt" and "sqlite" not in path.name:
                copy = new_base / path.relative_to(base)
                assert copy.read_bytes() == path.read_bytes()
                secret = f"{name}/{path.relative_to(base).as_posix()}" in SECRETS
                assert stat.S_IMODE(copy.stat().st_mode) == (0o600 if secret else 0o640)
    assert not (other_empty.var_dir / "unrelated.txt").exists()
    assert stat.S_IMODE((other_empty.var_dir / "tls").stat().st_mode) == 0o700


def test_new_rows_after_a_restore_get_new_ids(source, other_empty, tmp_path):
    backup(source, tmp_path / "cc.tar.gz")
    restore(other_empty, tmp_path / "cc.tar.gz")
    with transaction(other_empty) as session:
        instance = session.scalars(select(Agent)).first().instance
        group = create_skill_group(session, instance, "third")
        assert group.id == 4


def test_a_database_that_is_not_empty_is_refused_and_nothing_is_written(source, tmp_path):
    backup(source, tmp_path / "cc.tar.gz")
    (source.site_dir / "recordings" / "i1" / "1764750000.1.wav").unlink()
    with pytest.raises(BackupError, match=r"^the database is not empty \(table account"):
        restore(source, tmp_path / "cc.tar.gz")
    assert not (source.site_dir / "recordings" / "i1" / "1764750000.1.wav").exists()


def test_a_database_at_another_revision_is_refused(source, tmp_path):
    archive = tmp_path / "cc.tar.gz"
    backup(source, archive)
    older = rewrite(archive, tmp_path / "old.tar.gz", manifest={"revision": "0019"})
    with pytest.raises(BackupError) as refused:
        restore(replace(source, var_dir=tmp_path / "v2"), older)
    assert str(refused.value) == (f"the database is at schema revision "
                                  f"{current_revision(source.database_url)}, the backup at 0019:"
                                  " restore onto an empty database")


def test_an_unknown_revision_is_refused(source, other_empty, tmp_path):
    archive = tmp_path / "cc.tar.gz"
    backup(source, archive)
    newer = rewrite(archive, tmp_path / "new.tar.gz", manifest={"revision": "9999"})
    with pytest.raises(BackupError, match="revision 9999 is unknown to this ccc"):
        restore(other_empty, newer)


def rewrite(archive: Path, target: Path, manifest: dict | None = None,
            extra: list[tuple[tarfile.TarInfo, bytes | None]] = (),
            replace_member: dict[str, bytes] | None = None) -> Path:
    """A copy of the archive with changes: manifest fields, members added or replaced."""
    with tarfile.open(archive) as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name == "manifest.json" and manifest:
                data = json.dumps(json.loads(data) | manifest).encode()
            if replace_member and member.name in replace_member:
                data = replace_member[member.name]
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
        for info, data in extra:
            new.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


def entry(name: str, kind=tarfile.REGTYPE, data: bytes = b"x", link: str = ""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


@pytest.mark.parametrize("hostile, message", [
    (entry("/etc/cron.d/evil"), "is not a plain relative name"),
    (entry("files/site/recordings/../../../../evil"), "is not a plain relative name"),
    (entry("../evil"), "is not a plain relative name"),
    (entry("files/site/recordings/i1/link.wav", tarfile.SYMTYPE, link="/etc/shadow"),
     "is a link or a special file"),
    (entry("files/site/recordings/i1/hard.wav", tarfile.LNKTYPE, link="manifest.json"),
     "is a link or a special file"),
    (entry("files/site/recordings/i1/dev", tarfile.CHRTYPE), "is a link or a special file"),
    (entry("files/site/etc/asterisk/extensions.conf"), "unexpected archive member"),
    (entry("files/var/ccc.sqlite3"), "unexpected archive member"),
    (entry("database/evil.jsonl"), "unexpected archive member"),
    (entry("files/site/ami.secret/x"), "unexpected archive member"),
    (entry("files/site/recordings"), "unexpected archive member"),
], ids=["absolute", "traversal", "parent", "symlink", "hardlink", "device", "pbx-config",
        "database-file", "unknown-table", "under-a-secret", "a-folder-as-a-file"])
def test_a_hostile_archive_is_refused_whole_before_anything_is_written(
        source, other_migrated, tmp_path, hostile, message):
    archive = tmp_path / "cc.tar.gz"
    backup(source, archive)
    evil = rewrite(archive, tmp_path / "evil.tar.gz", extra=[hostile])
    with pytest.raises(BackupError, match=message):
        restore(other_migrated, evil)
    with get_engine(other_migrated.database_url).connect() as connection:
        assert rows.non_empty(connection) is None
    assert not other_migrated.var_dir.exists()
    assert not other_migrated.site_dir.exists()
    assert not Path("/etc/cron.d/evil").exists()


def number_row(archive: Path, **changes) -> bytes:
    with tarfile.open(archive) as opened:
        row = json.loads(opened.extractfile("database/number.jsonl").read().splitlines()[0])
    return json.dumps(row | changes).encode() + b"\n"


@pytest.mark.parametrize("damage, message", [
    (lambda archive: b'{"id": 1, "not": "a number row"}\n',
     "a row of number does not have the table's columns"),
    (lambda archive: number_row(archive, instance_id="seven"),
     "the rows of number do not fit the database"),
    (lambda archive: number_row(archive, id=2 ** 70), "the rows of number do not fit"),
    (lambda archive: number_row(archive, instance_id=999), "the rows of number do not fit"),
    (lambda archive: b"[" * 100000 + b"\n", "database/number.jsonl line 1 is not JSON"),
    (lambda archive: number_row(archive)[:-20] + b"\n", "line 1 is not JSON"),
    (lambda archive: b"", "the backup holds 0 rows of number, its manifest says 1"),
], ids=["columns", "type", "range", "reference", "nesting", "cut", "missing"])
def test_a_damaged_row_rolls_every_row_back_and_places_no_file(source, other_migrated,
                                                               tmp_path, damage, message):
    archive = tmp_path / "cc.tar.gz"
    backup(source, archive)
    broken = rewrite(archive, tmp_path / "broken.tar.gz",
                     replace_member={"database/number.jsonl": damage(archive)})
    with pytest.raises(BackupError, match=message) as refused:
        restore(other_migrated, broken)
    assert "\n" not in str(refused.value) and str(tmp_path) not in str(refused.value)
    with transaction(other_migrated) as session:
        assert session.scalars(select(Agent)).all() == []
    assert not other_migrated.site_dir.exists()
    assert not other_migrated.var_dir.exists() or not any(other_migrated.var_dir.iterdir())


@pytest.mark.parametrize("data, message", [
    (b"not a tar", "is not a ccc backup (not a tar.gz archive)"),
    (None, "no such file"),
])
def test_the_cli_says_what_is_wrong_in_one_line(settings, tmp_path, monkeypatch, data, message):
    monkeypatch.setenv("CCC_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CCC_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("CCC_PBX_ROOT", str(settings.pbx_root))
    archive = tmp_path / "x.tar.gz"
    if data is not None:
        archive.write_bytes(data)
    result = CliRunner().invoke(main, ["restore", str(archive)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output


def test_the_cli_backs_up_and_restores(source, other_empty, tmp_path, monkeypatch):
    for name, value in (("CCC_DATABASE_URL", source.database_url),
                        ("CCC_VAR_DIR", str(source.var_dir)),
                        ("CCC_PBX_ROOT", str(source.pbx_root)), ("CCC_PBX_SITE", source.site)):
        monkeypatch.setenv(name, value)
    made = CliRunner().invoke(main, ["backup", "-o", str(tmp_path / "cc.tar.gz")])
    assert made.exit_code == 0 and "backed up" in made.output and "7 files" in made.output
    monkeypatch.setenv("CCC_DATABASE_URL", other_empty.database_url)
    monkeypatch.setenv("CCC_VAR_DIR", str(other_empty.var_dir))
    monkeypatch.setenv("CCC_PBX_ROOT", str(other_empty.pbx_root))
    done = CliRunner().invoke(main, ["restore", str(tmp_path / "cc.tar.gz")])
    assert done.exit_code == 0, done.output
    assert "restored" in done.output and "7 files" in done.output
    again = CliRunner().invoke(main, ["restore", str(tmp_path / "cc.tar.gz")])
    assert again.exit_code == 1 and "the database is not empty" in again.output


def test_an_unwritable_archive_or_an_unreachable_database_is_one_line(settings, tmp_path):
    with pytest.raises(BackupError, match="^cannot write .*: No such file or directory$"):
        backup(settings, tmp_path / "absent" / "cc.tar.gz")
    with pytest.raises(BackupError, match="is a folder"):
        backup(settings, tmp_path)
    unreachable = replace(settings, database_url="postgresql+psycopg://ccc:pw@127.0.0.1:1/ccc")
    with pytest.raises(BackupError) as refused:
        backup(unreachable, tmp_path / "cc.tar.gz")
    assert "cannot be reached" in str(refused.value) and "pw" not in str(refused.value)
    assert list(tmp_path.glob("*cc.tar.gz*")) == []
