"""The database's content in a form either database loads: per table, one JSON object
a line, tables in the order their foreign keys need.

Values are read and written through the models' column types, so what PostgreSQL and
SQLite store differently (booleans, times, enums, scaled decimals) is the same here:
times in ISO 8601, enums by their stored value, decimals as text.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Date, DateTime, Enum, Integer, Table, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from engine.billing.money import ScaledDecimal
from engine.db import Base

# Where ingestion stands in the PBX's journals: those files are not in a backup, and a
# new host's journals start empty.
SKIPPED = frozenset({"ingest_cursor"})
# Tables the migrations fill (the tariff catalogue, the 400 numbers' tiers): a restore
# replaces their rows.
SEEDED = frozenset({"tariff", "number_tier"})
BATCH = 500


class RowError(ValueError):
    """A row that does not fit its table (the backup is damaged or not ours)."""


def tables() -> list[Table]:
    """Every table a backup holds, parents before the tables that refer to them."""
    import engine.models  # noqa: F401  (every model registered on the metadata)
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED]


def encode(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode(column, value):
    if value is None:
        return None
    kind = column.type
    try:
        if isinstance(kind, DateTime):
            return datetime.fromisoformat(value)
        if isinstance(kind, Date):
            return date.fromisoformat(value)
        if isinstance(kind, ScaledDecimal):
            return Decimal(value)
        if isinstance(kind, Enum) and kind.enum_class is not None:
            return kind.enum_class(value)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise RowError(f"{column.table.name}.{column.name}: {value!r} is not a "
                       f"{type(kind).__name__}") from error
    return value


def dump(connection: Connection, table: Table) -> Iterator[dict]:
    """The table's rows, by primary key, as JSON-ready dicts."""
    query = select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=BATCH).execute(query)
    for row in result.mappings():
        yield {name: encode(value) for name, value in row.items()}


def count_rows(connection: Connection, table: Table) -> int:
    from sqlalchemy import func
    return connection.scalar(select(func.count()).select_from(table))


def load(connection: Connection, table: Table, rows: Iterable[dict]) -> int:
    """Insert the rows (one batch at a time); a column that refers to its own table is
    set afterwards, once every row it may point to exists."""
    try:
        return _load(connection, table, rows)
    except (SQLAlchemyError, OverflowError, TypeError) as error:
        # A value of the wrong type or range, a broken reference: the database says
        # which in words not meant for the operator; the table is enough to find it.
        raise RowError(f"the rows of {table.name} do not fit the database "
                       f"({type(error).__name__})") from error


def _load(connection: Connection, table: Table, rows: Iterable[dict]) -> int:
    names = {column.name for column in table.columns}
    own = [c for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)]
    keys = list(table.primary_key.columns)
    batch, later, count = [], [], 0
    if table.name in SEEDED:
        connection.execute(delete(table))
    for row in rows:
        if not isinstance(row, dict) or set(row) != names:
            raise RowError(f"a row of {table.name} does not have the table's columns")
        values = {c.name: decode(c, row[c.name]) for c in table.columns}
        for column in own:
            if values[column.name] is not None:
                later.append(({k.name: values[k.name] for k in keys}, column.name,
                              values[column.name]))
                values[column.name] = None
        batch.append(values)
        count += 1
        if len(batch) >= BATCH:
            connection.execute(insert(table), batch)
            batch = []
    if batch:
        connection.execute(insert(table), batch)
    for key, name, value in later:
        condition = [table.c[k] == v for k, v in key.items()]
        connection.execute(update(table).where(*condition).values({name: value}))
    return count


def reset_sequences(connection: Connection) -> None:
    """PostgreSQL hands out ids from sequences, which rows inserted with their ids do not
    advance: each is set past the largest id restored."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        key = keys[0]
        sequence = connection.exec_driver_sql(
            "SELECT pg_get_serial_sequence(%(table)s, %(column)s)",
            {"table": table.name, "column": key.name}).scalar()
        if sequence is None:
            continue
        # Identifiers from the models, quoted; no value from the backup reaches SQL text.
        connection.exec_driver_sql(
            f"SELECT setval(%(sequence)s, COALESCE(MAX({quote(key.name)}), 0) + 1, false) "
            f"FROM {quote(table.name)}", {"sequence": sequence})


def non_empty(connection: Connection) -> str | None:
    """The first table (besides the seeded ones) that has rows, or None."""
    for table in tables():
        if table.name not in SEEDED and count_rows(connection, table):
            return table.name
    return None
