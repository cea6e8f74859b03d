"""Scratch PostgreSQL databases for tests and benchmarks: made, handed over, dropped."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from engine.db import dispose_engine


def database_url(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``admin_url`` (query kept)."""
    base, _, query = admin_url.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


@contextmanager
def scratch_postgres(admin_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database (a copy of ``template`` when given), dropped with every connection
    to it when the block ends."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        url = database_url(admin_url, name)
        try:
            yield url
        finally:
            dispose_engine(url)
            drop_database(admin_url, name)
    finally:
        admin.dispose()


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
