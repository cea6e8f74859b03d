"""Reading a backup archive without trusting it.

Every member is checked before anything is written: a regular file or a folder (no
link, device or pipe), a relative name without ``..`` that is one of the names a
backup holds, each name once. One bad member refuses the whole archive.
"""
from __future__ import annotations

import json
import re
import tarfile
from pathlib import PurePosixPath

FORMAT, VERSION = "ccc-backup", 1
MANIFEST = "manifest.json"
TABLE_MEMBER = re.compile(r"^database/([a-z_][a-z0-9_]{0,62})\.jsonl$")
REVISION = re.compile(r"^[0-9A-Za-z_]{1,32}$")
MANIFEST_LIMIT = 1 << 20


class ArchiveError(ValueError):
    """The archive is damaged, not a ccc backup, or hostile; the message says which."""


def check_name(name: str) -> None:
    path = PurePosixPath(name)
    if not name or "\x00" in name or "\\" in name or path.is_absolute() or any(
            part in ("", ".", "..") for part in name.split("/")):
        raise ArchiveError(f"refused: the archive member {name[:80]!r} is not a plain "
                           "relative name")


def members(archive: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """The archive's regular files by name, once every member passed the checks."""
    found: dict[str, tarfile.TarInfo] = {}
    for member in archive.getmembers():
        check_name(member.name.rstrip("/") if member.isdir() else member.name)
        if member.isdir():
            continue
        if not member.isreg():
            raise ArchiveError(f"refused: the archive member {member.name[:80]!r} is a link "
                               "or a special file")
        if member.name in found:
            raise ArchiveError(f"refused: the archive has {member.name[:80]!r} twice")
        found[member.name] = member
    return found


def manifest(archive: tarfile.TarFile, found: dict[str, tarfile.TarInfo]) -> dict:
    member = found.get(MANIFEST)
    if member is None or member.size > MANIFEST_LIMIT:
        raise ArchiveError("not a ccc backup: no manifest")
    try:
        data = json.loads(archive.extractfile(member).read())
    except (ValueError, RecursionError) as error:
        raise ArchiveError("not a ccc backup: its manifest is not JSON") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveError("not a ccc backup")
    if data.get("version") != VERSION:
        raise ArchiveError(f"a backup of format version {data.get('version')!r}; this ccc "
                           f"reads version {VERSION}")
    revision, tables = data.get("revision"), data.get("tables")
    if not isinstance(revision, str) or not REVISION.match(revision):
        raise ArchiveError("the backup's manifest names no schema revision")
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
        raise ArchiveError("the backup's manifest lists no tables")
    counts = data.get("rows")
    if not isinstance(counts, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in counts.values()):
        raise ArchiveError("the backup's manifest does not count its rows")
    return data


def table_member(table: str) -> str:
    return f"database/{table}.jsonl"


def rows(archive: tarfile.TarFile, member: tarfile.TarInfo):
    """The JSON objects of a table's member, one a line."""
    stream = archive.extractfile(member)
    for number, raw in enumerate(stream, 1):
        try:
            yield json.loads(raw)
        except (ValueError, RecursionError) as error:
            raise ArchiveError(f"{member.name} line {number} is not JSON") from error
