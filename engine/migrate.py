"""Run the Alembic migrations: the only way the schema is built or changed."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def upgrade_if_behind(database_url: str) -> bool:
    """Upgrade to the latest migration unless the database is there already; whether it
    upgraded. The check reads the version table and the migrations' names only: running
    Alembic's upgrade for nothing loads every model and cost each command 0.3 s of CPU."""
    from alembic.script import ScriptDirectory
    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    if set(current_heads(database_url)) == heads:
        return False
    upgrade(database_url)
    return True


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


@contextmanager
def _migration_context(database_url: str) -> Iterator[MigrationContext]:
    from engine.db import get_engine
    with get_engine(database_url).connect() as connection:
        yield MigrationContext.configure(connection)


def current_revision(database_url: str) -> str | None:
    with _migration_context(database_url) as context:
        return context.get_current_revision()


def current_heads(database_url: str) -> tuple[str, ...]:
    """The revisions the database is at (none for a new database)."""
    with _migration_context(database_url) as context:
        return context.get_current_heads()
