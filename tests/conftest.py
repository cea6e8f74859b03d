"""Shared fixtures: databases built by the migrations, on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.migrate import upgrade
from engine.settings import load_settings
from engine.uow import transaction

POSTGRES_ADMIN_URL = os.environ.get(
    "CCC_TEST_POSTGRES_URL", "postgresql+psycopg:///postgres?host=/var/run/postgresql")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ccc.sqlite3'}"
    upgrade(url)
    return url


@contextmanager
def postgres_database():
    """A fresh, migrated PostgreSQL database, dropped afterwards."""
    name = f"ccc_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.replace("/postgres?", f"/{name}?")
    try:
        upgrade(url)
        yield url
    finally:
        from engine.db import _engines
        engine = _engines.pop(url, None)
        if engine is not None:
            engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


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
