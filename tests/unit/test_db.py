"""Engines and their pools."""
from __future__ import annotations

from sqlalchemy import create_engine, text

from engine.db import dispose_engine, get_engine, session_factory
from tests.conftest import POSTGRES_ADMIN_URL


def test_a_connection_the_server_ended_is_replaced_before_it_is_used(postgres_url):
    """The PostgreSQL session behind a pooled connection ends (the server restarted, as
    for maintenance): the next transaction gets a live connection, and succeeds."""
    sessions = session_factory(postgres_url)
    with sessions() as session:
        ended = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            # As a fast shutdown does: the session is told, and its process ends (the
            # call waits up to 10 s for that).
            assert connection.execute(text("SELECT pg_terminate_backend(:pid, 10000)"),
                                      {"pid": ended}).scalar_one()
    finally:
        admin.dispose()
    with sessions() as session:
        assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != ended


def test_one_session_factory_per_database_for_the_life_of_its_engine(tmp_path):
    # A sessionmaker is a new Session class: one per transaction was garbage only
    # the collector's full passes freed.
    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    first = session_factory(url)
    assert session_factory(url) is first
    assert session_factory(f"sqlite:///{tmp_path / 'b.sqlite3'}") is not first
    with first() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    dispose_engine(url)  # a database copied or dropped: a new engine, a new factory
    again = session_factory(url)
    assert again is not first and again.kw["bind"] is get_engine(url)
    dispose_engine(url)
    dispose_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
