"""The files a backup carries besides the database, and where they land on restore.

Inside the archive every file is under ``files/var/`` (the settings' var_dir) or
``files/site/`` (the PBX site); only the entries below are taken, and on restore only
names below them are accepted. Modes and owners in the archive are ignored: secrets are
written readable by their owner only, everything else by owner and group.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from engine.settings import Settings

# name under the base -> whether it is a secret (the files of a folder are not)
VAR_ENTRIES = {
    "audio": False,                 # the audio library's originals
    "exports": False,               # monthly usage exports
    "tls/cert.pem": False,          # a generated self-signed certificate...
    "tls/key.pem": True,            # ...and its key
    "web-secret-key": True,         # signs the web app's sessions
    "demo-password": True,
    "demo-agent-passwords": True,
}
SITE_ENTRIES = {
    "ami.secret": True,             # the PBX's manager secret
    "recordings": False,            # call recordings
    "sounds": False,                # the PBX's copies of the audio library
    "voicemail": False,             # callers' messages
}
FOLDERS = frozenset({"audio", "exports", "recordings", "sounds", "voicemail"})
PRIVATE_DIRS = ("tls",)             # created readable by their owner only
FILE_MODE, SECRET_MODE, DIR_MODE, PRIVATE_DIR_MODE = 0o640, 0o600, 0o750, 0o700


def bases(settings: Settings) -> dict[str, tuple[Path, dict[str, bool]]]:
    return {"var": (settings.var_dir, VAR_ENTRIES), "site": (settings.site_dir, SITE_ENTRIES)}


def collect(settings: Settings) -> Iterator[tuple[str, Path]]:
    """(archive name, host path) of every regular file to back up. Symbolic links are
    not followed: a backup holds only what ccc wrote."""
    for prefix, (base, entries) in bases(settings).items():
        for entry in entries:
            path = base / entry
            if path.is_symlink():
                continue
            if path.is_file():
                yield f"files/{prefix}/{entry}", path
            elif path.is_dir():
                for root, dirs, names in os.walk(path):
                    dirs[:] = sorted(d for d in dirs if not Path(root, d).is_symlink())
                    for name in sorted(names):
                        found = Path(root, name)
                        if found.is_file() and not found.is_symlink():
                            relative = found.relative_to(base).as_posix()
                            yield f"files/{prefix}/{relative}", found


def target(settings: Settings, name: str) -> tuple[Path, Path, bool] | None:
    """Where an archive member named ``name`` is restored (its base folder and path) and
    whether it is a secret; None for a name that is not one of ours (never a path
    outside the two bases)."""
    parts = PurePosixPath(name).parts
    if len(parts) < 3 or parts[0] != "files" or parts[1] not in ("var", "site"):
        return None
    base, entries = bases(settings)[parts[1]]
    relative = "/".join(parts[2:])
    for entry, secret in entries.items():
        if entry in FOLDERS:
            if relative.startswith(entry + "/"):
                return base, base / relative, False
        elif relative == entry:
            return base, base / relative, secret
    return None


def make_dirs(base: Path, path: Path) -> None:
    """The folders from ``base`` down to ``path``'s, new ones with safe modes."""
    base.mkdir(parents=True, exist_ok=True)
    current = base
    for part in path.parent.relative_to(base).parts:
        current = current / part
        if not current.exists():
            mode = PRIVATE_DIR_MODE if part in PRIVATE_DIRS else DIR_MODE
            current.mkdir(mode=mode)
