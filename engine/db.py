"""One declarative base, engines and sessions.

Sessions are opened per command or request by ``engine.uow`` — never a global one.
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import ColumnElement, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker

# Constraint names are fixed so migrations name them identically on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def value_enum(enum_class: type[enum.Enum], name: str, length: int = 16) -> Enum:
    """A column type storing an enum's values (not its member names) as plain text.

    Not a native PostgreSQL enum, so adding a value later needs no type migration and
    both databases store the same strings.
    """
    return Enum(enum_class, name=name, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


_engines: dict[str, Engine] = {}


def get_engine(url: str) -> Engine:
    """One engine per database URL for the life of the process."""
    if url not in _engines:
        # A database server ends its sessions when it restarts (or fails over, or drops
        # idle ones): the pool then holds connections that fail on their next use, one
        # failed transaction each (a web request answered 500, a call-setup question
        # failed, the database counted down). Each connection is checked as it leaves the
        # pool (a round trip) and a dead one replaced. SQLite has no server to lose.
        ping = make_url(url).get_backend_name() != "sqlite"
        engine = create_engine(url, future=True, pool_pre_ping=ping)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        _engines[url] = engine
    return _engines[url]


def dispose_engine(url: str) -> None:
    """Close and forget the engine of ``url`` (a database about to be copied or dropped
    may keep no connection of ours)."""
    engine = _engines.pop(url, None)
    _factories.pop(url, None)
    if engine is not None:
        engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless asked; WAL lets `ccc serve` write call
    # records while the CLI reads; busy_timeout waits instead of failing at once.
    # synchronous=NORMAL: in WAL mode a commit no longer waits for the disk (the WAL is
    # synced at checkpoints). The database stays consistent; a power cut (not a crash
    # of the process) may lose the last commits. Every outbound call commits its
    # decision, and with a sync per commit the decisions queued behind the disk.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


PADDED_UP_TO = 1024


def in_values(column, values) -> ColumnElement[bool]:
    """``column IN (values)``, with the list padded to the next power of two by repeating
    a value (which changes no row's result).

    An IN list of n values is a statement of its own for each n, and SQLite's driver
    keeps every statement it prepared, up to 128 per pooled connection. ccc serve's
    batches (call records, queue events, starts) vary in size from second to second, so
    those caches kept filling for hours (up to a megabyte a minute at 120 calls a second,
    9-44 kB a statement); padded, each query has at most a dozen shapes, all prepared in
    the first minutes. Longer lists (a backlog after an outage) are rare and stay as
    they are: padded, they could pass SQLite's limit on bound values."""
    values = list(values)
    if 0 < len(values) <= PADDED_UP_TO:
        values += values[-1:] * ((1 << (len(values) - 1).bit_length()) - len(values))
    return column.in_(values)


_factories: dict[str, sessionmaker] = {}


def session_factory(url: str) -> sessionmaker:
    """One session factory per database URL for the life of its engine.

    A sessionmaker is a new Session class, registered with SQLAlchemy's events: made
    per transaction (ccc serve makes several a second), those classes were garbage
    only the collector's rare full passes free, and the process grew between them.

    Every model is registered before the first session: a flush resolves foreign keys
    to every table, and a process's own imports may leave a model out."""
    factory = _factories.get(url)
    if factory is None or factory.kw.get("bind") is not get_engine(url):
        import engine.models  # noqa: F401
        factory = _factories[url] = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    return factory
