"""``ccc backup`` and ``ccc restore``: a whole call center in one archive, and back.

The archive (tar.gz, readable by its owner only: it holds secrets) carries the
database's rows in a form either database loads (engine/backup/rows.py) with the
schema revision they fit, and the files that are not in the database
(engine/backup/files.py): the audio library, recordings, voicemail, exports, the
generated secrets and certificate. A backup made on SQLite restores onto PostgreSQL
and the other way round. A restore goes onto an empty database only; its rows are
loaded in one transaction, and its files are written beside their places and renamed
into them only once every row is in, so a failed restore leaves nothing behind.
"""
from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError

from engine.backup import archive as arc
from engine.backup import files, rows
from engine.db import dispose_engine, get_engine, utcnow
from engine.errors import DomainError
from engine.migrate import current_revision, upgrade
from engine.settings import Settings


class BackupError(DomainError):
    """A backup that cannot be made or restored; the message says why in one line."""


# The database's URL may carry a password: it is not repeated in a message.
UNREACHABLE = "the database cannot be reached: check CCC_DATABASE_URL and the server"


@dataclass(frozen=True)
class Summary:
    revision: str
    rows: int
    tables: int
    files: int


# ---- backup ------------------------------------------------------------------------------

def backup(settings: Settings, output: Path) -> Summary:
    """Write the call center's database and files to ``output`` (tar.gz, mode 0600)."""
    output = Path(output)
    if output.is_dir():
        raise BackupError(f"{output} is a folder: name the archive file to write")
    try:
        revision = current_revision(settings.database_url)
    except OperationalError:
        raise BackupError(UNREACHABLE) from None
    if revision is None:
        raise BackupError("the database has no schema yet: nothing to back up")
    partial = output.with_name(f".{output.name}.partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise BackupError(f"cannot write {output}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as out:
            counts = _write_database(settings, out)
            count_files = 0
            for name, path in files.collect(settings):
                _add_file(out, name, path)
                count_files += 1
            manifest = {"format": arc.FORMAT, "version": arc.VERSION, "revision": revision,
                        "created_at": utcnow().isoformat() + "Z",
                        "database": get_engine(settings.database_url).dialect.name,
                        "tables": list(counts), "rows": counts}
            _add_bytes(out, arc.MANIFEST, json.dumps(manifest, indent=2).encode())
        os.replace(partial, output)
    except OperationalError:
        partial.unlink(missing_ok=True)
        raise BackupError(UNREACHABLE) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Summary(revision, sum(counts.values()), len(counts), count_files)


def _write_database(settings: Settings, out: tarfile.TarFile) -> dict[str, int]:
    """Each table's rows, all read in one snapshot of the database."""
    engine = get_engine(settings.database_url)
    counts = {}
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if engine.dialect.name == "sqlite":
                # pysqlite starts no transaction for reads: one read transaction keeps
                # every table at the same moment while ccc serve goes on writing.
                connection.exec_driver_sql("BEGIN")
            for table in rows.tables():
                with tempfile.TemporaryFile() as spool:
                    count = 0
                    for row in rows.dump(connection, table):
                        spool.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
                        count += 1
                    size = spool.tell()
                    spool.seek(0)
                    info = tarfile.TarInfo(arc.table_member(table.name))
                    info.size, info.mode, info.mtime = size, 0o600, int(utcnow().timestamp())
                    out.addfile(info, spool)
                counts[table.name] = count
    return counts


def _add_file(out: tarfile.TarFile, name: str, path: Path) -> None:
    with open(path, "rb") as data:
        size = os.fstat(data.fileno()).st_size
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, int(os.fstat(data.fileno()).st_mtime)
        # A file still growing (a recording in progress) is taken as it was when opened.
        out.addfile(info, _Exactly(data, size))


def _add_bytes(out: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(utcnow().timestamp())
    out.addfile(info, io.BytesIO(data))


class _Exactly:
    """At most ``size`` bytes of a file, padded with zeros if it shrank meanwhile."""

    def __init__(self, data, size: int):
        self.data, self.left = data, size

    def read(self, amount: int = -1) -> bytes:
        amount = self.left if amount < 0 else min(amount, self.left)
        chunk = self.data.read(amount)
        chunk += b"\0" * (amount - len(chunk))
        self.left -= amount
        return chunk


# ---- restore -----------------------------------------------------------------------------

def restore(settings: Settings, source: Path) -> Summary:
    """Restore a backup onto this host: an empty database, the files in their places."""
    try:
        opened = tarfile.open(source, mode="r:gz")
    except FileNotFoundError:
        raise BackupError(f"no such file: {source}") from None
    except (tarfile.TarError, OSError, EOFError):
        raise BackupError(f"{source} is not a ccc backup (not a tar.gz archive)") from None
    with opened as archive:
        try:
            found = arc.members(archive)
            manifest = arc.manifest(archive, found)
            tables = _tables_of(manifest, found)
            placed = _file_targets(settings, found)
            _prepare_database(settings, manifest["revision"])
            count_rows = _load(settings, archive, tables, found, placed, manifest["rows"])
        except (arc.ArchiveError, rows.RowError) as error:
            raise BackupError(str(error)) from None
        except OperationalError:
            raise BackupError(UNREACHABLE) from None
        except (tarfile.TarError, EOFError, OSError) as error:
            raise BackupError(f"the archive is damaged or a file could not be written: "
                              f"{type(error).__name__}") from None
    _upgrade_to_head(settings, manifest["revision"])
    return Summary(manifest["revision"], count_rows, len(tables), len(placed))


def _tables_of(manifest: dict, found: dict) -> list:
    """Our tables in load order; the backup must hold exactly these."""
    ours = rows.tables()
    names = {t.name for t in ours}
    listed = set(manifest["tables"])
    if listed != names:
        strange = ", ".join(sorted(listed ^ names)[:3])
        raise arc.ArchiveError(f"the backup's tables differ from this schema's ({strange}): "
                               f"it is not of revision {manifest['revision']}")
    for member in found:
        match = arc.TABLE_MEMBER.match(member)
        if member.startswith("database/") and (match is None or match.group(1) not in names):
            raise arc.ArchiveError(f"refused: unexpected archive member {member[:80]!r}")
    missing = [t.name for t in ours if arc.table_member(t.name) not in found]
    if missing:
        raise arc.ArchiveError(f"the backup has no rows file for table {missing[0]}")
    return ours


def _file_targets(settings: Settings, found: dict) -> dict[str, tuple[Path, Path, bool]]:
    placed = {}
    for name in found:
        if name == arc.MANIFEST or name.startswith("database/"):
            continue
        where = files.target(settings, name)
        if where is None:
            raise arc.ArchiveError(f"refused: unexpected archive member {name[:80]!r}")
        placed[name] = where
    return placed


def _prepare_database(settings: Settings, revision: str) -> None:
    """An empty database at the backup's revision: one without tables gets the schema
    of that revision; one with a schema must be at it and hold no rows."""
    url = settings.database_url
    if url.startswith("sqlite:///"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = get_engine(url)
    present = current_revision(url)
    if present is None:
        if inspect(engine).get_table_names():
            raise BackupError("the database has tables but no ccc schema: restore onto an "
                              "empty database")
        try:
            upgrade(url, revision)
        except CommandError:
            raise BackupError(f"the backup's schema revision {revision} is unknown to this "
                              "ccc: restore it with the version that made it, or a newer "
                              "one") from None
    elif present != revision:
        raise BackupError(f"the database is at schema revision {present}, the backup at "
                          f"{revision}: restore onto an empty database")
    with engine.connect() as connection:
        busy = rows.non_empty(connection)
    if busy is not None:
        raise BackupError(f"the database is not empty (table {busy} has rows): restore "
                          "onto an empty database")


def _load(settings: Settings, archive: tarfile.TarFile, tables: list, found: dict,
          placed: dict[str, tuple[Path, Path, bool]], expected: dict) -> int:
    """Every row in one transaction; the files are staged beside their places while it
    is open and renamed into place just before it commits."""
    engine = get_engine(settings.database_url)
    staged: list[tuple[Path, Path]] = []
    try:
        with engine.begin() as connection:
            count = 0
            for table in tables:
                loaded = rows.load(connection, table,
                                   arc.rows(archive, found[arc.table_member(table.name)]))
                if loaded != expected.get(table.name):
                    raise arc.ArchiveError(f"the backup holds {loaded} rows of {table.name}, "
                                           f"its manifest says {expected.get(table.name)}")
                count += loaded
            rows.reset_sequences(connection)
            for name, (base, path, secret) in placed.items():
                staged.append((_stage(archive, found[name], base, path, secret), path))
            for temporary, path in staged:
                os.replace(temporary, path)
            staged = []
    except BaseException:
        for temporary, _path in staged:
            temporary.unlink(missing_ok=True)
        raise
    return count


def _stage(archive: tarfile.TarFile, member: tarfile.TarInfo, base: Path, path: Path,
           secret: bool) -> Path:
    files.make_dirs(base, path)
    temporary = path.with_name(f".{path.name}.restoring")
    temporary.unlink(missing_ok=True)
    mode = files.SECRET_MODE if secret else files.FILE_MODE
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as out:
        data = archive.extractfile(member)
        while chunk := data.read(1 << 20):
            out.write(chunk)
    return temporary


def _upgrade_to_head(settings: Settings, revision: str) -> None:
    """A backup of an older schema, restored at its revision, is brought to this ccc's."""
    upgrade(settings.database_url)
    dispose_engine(settings.database_url)
