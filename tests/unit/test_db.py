"""Engines and their pools."""
from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, event, select, text

from engine.db import PADDED_UP_TO, dispose_engine, get_engine, in_values, session_factory
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


def test_an_in_list_takes_one_of_a_few_shapes_and_keeps_its_meaning():
    """Each distinct IN list length is a statement SQLite's driver prepares and keeps:
    lists of 1 to 40 values take 7 shapes (1, 2, 4 ... 64), each finding exactly its
    rows; a list longer than PADDED_UP_TO is left as it is."""
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("n", Integer, primary_key=True))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(statement))
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(table.insert(), [{"n": n} for n in range(2000)])
        statements.clear()
        for size in range(1, 41):
            wanted = list(range(100, 100 + size))
            found = connection.scalars(select(table.c.n).where(in_values(table.c.n, wanted)))
            assert sorted(found) == wanted
        assert len(set(statements)) == 7
        assert {s.count("?") for s in statements} == {1, 2, 4, 8, 16, 32, 64}
        statements.clear()
        many = list(range(PADDED_UP_TO + 1))
        assert len(connection.scalars(select(table.c.n).where(
            in_values(table.c.n, many))).all()) == len(many)
        assert statements[0].count("?") == len(many)
        assert connection.scalars(select(table.c.n).where(in_values(table.c.n, []))).all() == []
