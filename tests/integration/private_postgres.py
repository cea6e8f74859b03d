"""A PostgreSQL cluster of the test run's own, which a test may stop and start again.

The run's shared cluster (tests/pgcluster.py's, or the host's) serves every other test
of the run and must stay up; a test of the database going away needs a server nobody
else uses. This one lives in a directory of /tmp named after the run's port offset and
pytest's process (pytest's own temporary directories are private to root, and initdb
refuses to run as root: the server runs as the postgres user), listens on loopback on a
port moved by the run's offset, and trusts every local connection.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from engine.db import dispose_engine
from engine.migrate import upgrade
from tests.integration.callcenter import PORT_OFFSET
from tests.pgcluster import as_owner as _as_owner
from tests.pgcluster import server_binaries

PORT = 15432 + PORT_OFFSET
PREFIX = f"ccc-test-pg-{PORT_OFFSET}-"
OWNER = "postgres"


def stop_abandoned() -> None:
    """Stop and remove the cluster of an earlier run of this offset whose pytest died
    before its teardown (it would hold the port)."""
    for root in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        owner = root.name.removeprefix(PREFIX).split("-")[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            if (root / "data" / "postmaster.pid").exists():
                _as_owner(str(server_binaries() / "pg_ctl"), "-D", str(root / "data"),
                          "-m", "immediate", "-w", "stop", check=False)
            shutil.rmtree(root, ignore_errors=True)


class PrivateCluster:
    """Its directory on creation; ``create`` makes and starts the cluster, whose database
    ``ccc`` (``url``) the migrations build; ``remove`` ends it all, whatever was made."""

    def __init__(self, pid: int):
        self.bin = server_binaries()
        self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{pid}-"))
        shutil.chown(self.root, OWNER, OWNER)
        self.data, self.log = self.root / "data", self.root / "postgres.log"
        self.admin_url = f"postgresql+psycopg://{OWNER}@127.0.0.1:{PORT}/postgres"
        self.url = f"postgresql+psycopg://{OWNER}@127.0.0.1:{PORT}/ccc"
        self._restart: threading.Thread | None = None
        self._restart_error: BaseException | None = None
        self._removing = threading.Event()

    def create(self) -> None:
        _as_owner(str(self.bin / "initdb"), "-D", str(self.data), "--auth=trust",
                  "-U", OWNER, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"port = {PORT}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.root}'\n")
        self.start()
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text("CREATE DATABASE ccc"))
        finally:
            admin.dispose()
        upgrade(self.url)
        dispose_engine(self.url)

    def _pg_ctl(self, *args: str) -> None:
        _as_owner(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-w", "-t", "60", *args)

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        """As an operator stops it for maintenance: sessions are ended, the server
        shuts down cleanly (``-m fast``)."""
        self._pg_ctl("-m", "fast", "stop")

    def stop_for(self, seconds: float) -> float:
        """Stop now and start again ``seconds`` later, on a thread of its own (the test
        goes on meanwhile); returns when it stopped (time.monotonic())."""
        assert self._restart is None, "the cluster is already stopped for a while"
        self.stop()
        stopped = time.monotonic()

        def restart() -> None:
            if self._removing.wait(max(0.0, stopped + seconds - time.monotonic())):
                return  # the test is over: no need to wait for the restart
            try:
                self.start()
            except BaseException as error:  # noqa: BLE001 - told by back()
                self._restart_error = error
        self._restart = threading.Thread(target=restart, name="postgres-restart", daemon=True)
        self._restart.start()
        return stopped

    def back(self) -> bool:
        """Whether a cluster stopped by ``stop_for`` runs again (raises if it failed to)."""
        if self._restart is not None and self._restart.is_alive():
            return False
        self._restart = None
        if self._restart_error is not None:
            raise AssertionError("the cluster did not start again") from self._restart_error
        return True

    def wait_back(self, timeout: float) -> None:
        if self._restart is not None:
            self._restart.join(timeout)
        assert self.back(), f"the cluster was not back within {timeout}s"

    def remove(self) -> None:
        """Stop at once whatever it does (a pending restart first), and delete it."""
        self._removing.set()
        if self._restart is not None:
            self._restart.join(120)
        dispose_engine(self.url)
        if (self.data / "postmaster.pid").exists():
            _as_owner(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
