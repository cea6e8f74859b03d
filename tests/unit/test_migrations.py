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


def test_a_command_on_an_up_to_date_database_still_has_every_model(tmp_path):
    # Skipping the upgrade skips Alembic's env.py, which imported every model; a command
    # that then flushed a user (whose table refers to the suppliers') failed. The session
    # factory registers them now.
    import subprocess
    import sys
    url = f"sqlite:///{tmp_path / 'ccc.sqlite3'}"
    upgrade(url)
    probe = ("from engine.settings import load_settings\n"
             "from cli_commands.common import ensure_schema\n"
             "ensure_schema(load_settings())\n"
             "from engine.uow import transaction\n"
             "with transaction(load_settings()):\n"
             "    pass\n"
             "from engine.db import Base\n"
             "print(sorted({'supplier', 'ivr_flow', 'user'} - set(Base.metadata.tables)))\n")
    env = {"PATH": "/usr/bin:/bin", "CCC_DATABASE_URL": url, "CCC_VAR_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.strip() == "[]"
