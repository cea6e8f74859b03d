"""Time arithmetic the export does in the database, one spelling per dialect.

Formatting a million timestamps in Python would cost more than the rest of the export;
the database does it while it reads the rows.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement):
    """Whole seconds since 1970-01-01 of a UTC timestamp (fractions dropped)."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


class clock_text(FunctionElement):
    """A UTC timestamp as 'YYYY-MM-DD HH:MM:SS' on a clock ``offset`` minutes ahead."""

    type = String()
    inherit_cache = True
    name = "clock_text"

    def __init__(self, column, offset_minutes: int):
        self.offset_minutes = int(offset_minutes)
        super().__init__(column)


def _whole_seconds_sqlite(element, compiler, **kw) -> str:
    # SQLite keeps times to the millisecond when it computes and would round
    # 59.9995 s up to the next minute; cutting the stored text at the seconds drops
    # the fraction, as PostgreSQL does.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 19)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    return f"CAST(strftime('%s', {_whole_seconds_sqlite(element, compiler, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw):
    # A timestamp without time zone is read as UTC by EXTRACT(EPOCH ...).
    return f"CAST(floor(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(clock_text, "sqlite")
def _clock_sqlite(element, compiler, **kw):
    column = _whole_seconds_sqlite(element, compiler, **kw)
    return f"strftime('%Y-%m-%d %H:%M:%S', {column}, '{element.offset_minutes:+d} minutes')"


@compiles(clock_text, "postgresql")
def _clock_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return (f"to_char({column} + interval '{element.offset_minutes} minutes', "
            "'YYYY-MM-DD HH24:MI:SS')")
