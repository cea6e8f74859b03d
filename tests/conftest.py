"""Shared fixtures: databases built by the migrations, on SQLite and on PostgreSQL."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine import db as engine_db
from engine.db import dispose_engine
from engine.migrate import upgrade
from engine.settings import load_settings
from engine.uow import transaction
from tests import databases

POSTGRES_ADMIN_URL = os.environ.get(
    "CCC_TEST_POSTGRES_URL", "postgresql+psycopg:///postgres?host=/var/run/postgresql")


# Each test gets a fresh database that the migrations built, without running them for
# every test: they run once per process into a template, and each test gets a copy
# (a file copy for SQLite, CREATE DATABASE ... TEMPLATE for PostgreSQL). The
# migrations themselves are tested by running them (test_migrations.py).
_templates: dict[str, object] = {}


def _sqlite_template() -> Path:
    if "sqlite" not in _templates:
        folder = Path(tempfile.mkdtemp(prefix="ccc-template-"))
        upgrade(f"sqlite:///{folder / 'ccc.sqlite3'}")
        dispose_engine(f"sqlite:///{folder / 'ccc.sqlite3'}")
        _templates["sqlite"] = folder / "ccc.sqlite3"
        atexit.register(shutil.rmtree, folder, True)
    return _templates["sqlite"]


@pytest.fixture(autouse=True)
def _engines_closed_after_test():
    """Close the engines a test opened: every test has databases of its own, and an
    engine kept for the life of the process (as ``get_engine`` does, rightly, for a
    service) held each SQLite connection and its page cache: 831 of them grew the unit
    tests' process to 1.9 GB, and closing them all at its exit took two minutes."""
    before = set(engine_db._engines)
    yield
    for url in set(engine_db._engines) - before:
        dispose_engine(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    target = tmp_path / "ccc.sqlite3"
    shutil.copyfile(_sqlite_template(), target)
    return f"sqlite:///{target}"


def _postgres_template(admin) -> str:
    if "postgres" not in _templates:
        name = f"ccc_template_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = databases.database_url(POSTGRES_ADMIN_URL, name)
        upgrade(url)
        dispose_engine(url)  # a template may not have connections while it is copied
        _templates["postgres"] = name
        atexit.register(databases.drop_database, POSTGRES_ADMIN_URL, name)
    return _templates["postgres"]


@contextmanager
def postgres_database():
    """A fresh, migrated PostgreSQL database, dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        template = _postgres_template(admin)
    finally:
        admin.dispose()
    with databases.scratch_postgres(POSTGRES_ADMIN_URL, "ccc_test", template) as url:
        yield url


@pytest.fixture
def postgres_url():
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def settings(tmp_path: Path, database_url: str):
    base = load_settings({"CCC_VAR_DIR": str(tmp_path / "var"),
                          "CCC_PBX_ROOT": str(tmp_path / "pbx-root"),
                          "CCC_PBX_SITE": "unit"})
    return replace(base, database_url=database_url)


@pytest.fixture
def session(settings):
    with transaction(settings) as db:
        yield db
