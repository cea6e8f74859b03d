"""Run the Alembic migrations: the only way the schema is built or changed.

Alembic is imported only where a migration runs or its files must be read by it: the
check every ``ccc`` command makes first reads the revision lines and the version table
itself, which spares each command 0.13 s of CPU of imports."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*(['\"])(\w+)\1\s*$", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.M)
_NAME = re.compile(r"(['\"])(\w+)\1")


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command
    command.upgrade(alembic_config(database_url), revision)


def upgrade_if_behind(database_url: str) -> bool:
    """Upgrade to the latest migration unless the database is there already; whether it
    upgraded. Running Alembic's upgrade for nothing loads every model and cost each
    command 0.3 s of CPU."""
    heads = script_heads()
    if heads is None:  # a file not written as expected: Alembic reads them all
        from alembic.script import ScriptDirectory
        heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    if set(stored_heads(database_url)) == heads:
        return False
    upgrade(database_url)
    return True


def script_heads() -> set[str] | None:
    """The revisions no migration builds on, read from each file's ``revision`` and
    ``down_revision`` lines; None when a file has not exactly one of each in the shape
    Alembic's template writes, so a file misread can never pass a database as current."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0][1])
        parents.update(name for _, name in _NAME.findall(down[0]))
    return revisions - parents if revisions else None


def stored_heads(database_url: str) -> tuple[str, ...]:
    """The revisions the database says it is at, from Alembic's version table (none for
    a new database)."""
    from engine.db import get_engine
    with get_engine(database_url).connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return ()
        return tuple(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
                     .scalars())


def downgrade(database_url: str, revision: str) -> None:
    from alembic import command
    command.downgrade(alembic_config(database_url), revision)


@contextmanager
def _migration_context(database_url: str) -> Iterator[MigrationContext]:
    from alembic.runtime.migration import MigrationContext

    from engine.db import get_engine
    with get_engine(database_url).connect() as connection:
        yield MigrationContext.configure(connection)


def current_revision(database_url: str) -> str | None:
    with _migration_context(database_url) as context:
        return context.get_current_revision()
