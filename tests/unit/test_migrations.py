"""The schema is built only by the migrations, on both databases."""
from sqlalchemy import inspect

from engine.db import Base, get_engine
from engine.migrate import current_revision, downgrade, upgrade, upgrade_if_behind


def test_migrations_build_every_table(database_url):
    tables = set(inspect(get_engine(database_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(database_url) is not None


def test_downgrade_to_nothing_and_back(database_url):
    downgrade(database_url, "base")
    assert "instance" not in inspect(get_engine(database_url)).get_table_names()
    upgrade(database_url)
    assert "instance" in inspect(get_engine(database_url)).get_table_names()


def test_a_command_upgrades_only_a_database_behind(database_url):
    # ccc commands check before each run; the check must still catch every way behind.
    assert upgrade_if_behind(database_url) is False
    head = current_revision(database_url)
    downgrade(database_url, "-1")
    assert upgrade_if_behind(database_url) is True
    assert current_revision(database_url) == head
    downgrade(database_url, "base")
    assert upgrade_if_behind(database_url) is True
    assert "instance" in inspect(get_engine(database_url)).get_table_names()
    assert upgrade_if_behind(database_url) is False


def test_migrated_schema_matches_the_models(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    with get_engine(database_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
