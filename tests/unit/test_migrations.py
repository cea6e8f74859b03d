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
    url = f"sqlite:///{tmp_path / 'ccc.sqlite3'}"
    upgrade(url)
    assert command_probe(url, tmp_path, (
        "from engine.uow import transaction\n"
        "with transaction(load_settings()):\n"
        "    pass\n"
        "from engine.db import Base\n"
        "print(sorted({'supplier', 'ivr_flow', 'user'} - set(Base.metadata.tables)))\n")) == "[]"


def test_the_heads_read_from_the_files_are_alembics(database_url):
    # The check before each command reads the files itself; Alembic is the reference.
    from alembic.script import ScriptDirectory

    from engine.migrate import alembic_config, script_heads, stored_heads
    expected = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    assert script_heads() == expected
    assert set(stored_heads(database_url)) == expected
    downgrade(database_url, "base")
    assert stored_heads(database_url) == ()


def test_a_migration_file_in_another_shape_is_left_to_alembic(tmp_path, monkeypatch):
    # Misread, a new migration could let a database behind pass as current.
    from engine import migrate
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_a.py").write_text("revision = '0001'\ndown_revision = None\n")
    (versions / "0002_b.py").write_text('revision: str = "0002"\ndown_revision = "0001"\n')
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", tmp_path)
    assert migrate.script_heads() == {"0002"}
    (versions / "0003_c.py").write_text("revision = make_id()\ndown_revision = '0002'\n")
    assert migrate.script_heads() is None


def test_a_command_on_an_up_to_date_database_does_not_import_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'ccc.sqlite3'}"
    upgrade(url)
    assert command_probe(url, tmp_path, (
        "import sys\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n")) == "[]"


def command_probe(url: str, folder, then: str) -> str:
    """What a fresh interpreter prints after a command's schema check on ``url``, then
    ``then``."""
    import subprocess
    import sys
    probe = ("from engine.settings import load_settings\n"
             "from cli_commands.common import ensure_schema\n"
             "ensure_schema(load_settings())\n" + then)
    env = {"PATH": "/usr/bin:/bin", "CCC_DATABASE_URL": url, "CCC_VAR_DIR": str(folder)}
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=True).stdout.strip()
