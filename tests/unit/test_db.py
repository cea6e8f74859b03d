"""Engines and their pools."""
from __future__ import annotations

from sqlalchemy import create_engine, text

from engine.db import session_factory
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
