"""A private PostgreSQL cluster for one run of the suite: made by the host's own
PostgreSQL programs in memory (/dev/shm), reached only by its socket, dropped at the end.

The tests make and drop a database for every PostgreSQL test (about 300 a run). On the
host's cluster each copy of the migrated template waited on the disk (about a second
under the suite's load); here nothing is flushed to disk (fsync off), which no test
relies on: a test that stops PostgreSQL starts a cluster of its own.

    with private_cluster() as admin_url: ...
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Durability off: the data lives as long as the run.
SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off",
            "max_connections=300", "listen_addresses=")


def server_binaries() -> Path:
    """The newest installed PostgreSQL server's programs (Debian keeps each major
    version apart, out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not found:
        raise RuntimeError("no PostgreSQL server installed: run `make host-packages` "
                           "(make test does)")
    return Path(found[-1]).parent


def as_owner(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a server program as the cluster's owner: initdb and postgres refuse root, so
    as root they run as the postgres user."""
    command = ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else list(argv)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result


@contextmanager
def private_cluster() -> Iterator[str]:
    """Start a cluster; yield its administrator URL (the superuser is the caller's user
    name, as on the host's cluster); stop and delete it afterwards."""
    parent = "/dev/shm" if os.path.isdir("/dev/shm") else None
    folder = Path(tempfile.mkdtemp(prefix="ccc-pg-", dir=parent))
    data = folder / "data"
    user = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    # Its socket is here: other users (the production test's service user) may reach it
    # but not list what else is here; the data folder inside stays the owner's alone.
    folder.chmod(0o711)
    bin_dir = server_binaries()
    try:
        as_owner(str(bin_dir / "initdb"), "-D", str(data), "-U", user, "-A", "trust",
                 "-E", "UTF8", "--no-sync")
        options = " ".join(f"-c {setting}" for setting in SETTINGS) + f" -k {folder}"
        as_owner(str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-o", options,
                 "-l", str(folder / "postgres.log"), "start")
        try:
            yield f"postgresql+psycopg://{user}@/postgres?host={folder}"
        finally:
            as_owner(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                     "stop", check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
