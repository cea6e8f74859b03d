"""Call setup's database questions (engine/agi/lookups.py) on a real SQLite database that
another connection locks, or that a question cannot read: bounded waits, remembered
configuration, and nothing remembered for what must be fresh."""
from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest
from sqlalchemy import delete, text

from engine.agi.lookups import DatabaseUnavailable, Lookups
from engine.ivr.runtime import instance_of_number
from engine.metrics import FAILURES
from engine.numbers.models import Number
from engine.settings import load_settings
from engine.uow import transaction
from tests.factories import add_account, add_instance

NUMBER = "01012345678"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sales_db(sqlite_url):
    with transaction(load_settings({"CCC_DATABASE_URL": sqlite_url})) as session:
        add_account(session)
        add_instance(session)
    return sqlite_url


def ask(lookups, function, *args):
    return asyncio.run(lookups(function, *args))


def fresh_only(session, digits):
    """A question whose answer must never come from memory (who is READY now)."""
    return instance_of_number(session, digits)


def broken(session, digits):
    """A question the database fails (as an unreachable PostgreSQL would)."""
    session.execute(text("SELECT * FROM no_such_table"))


def test_a_remembered_configuration_answers_while_the_database_fails(sales_db):
    clock = Clock()
    lookups = Lookups(sales_db, deadline=1.0, pause=10.0, clock=clock)
    instance_id = ask(lookups, instance_of_number, NUMBER)
    assert instance_id is not None
    failures = FAILURES.labels("call_setup_database")._value.get()
    # The database errs: it counts as down for the pause, and meanwhile a configuration
    # question asked before is answered from memory.
    with pytest.raises(DatabaseUnavailable):
        ask(lookups, broken, NUMBER)
    assert FAILURES.labels("call_setup_database")._value.get() == failures + 1
    assert ask(lookups, instance_of_number, NUMBER) == instance_id
    with pytest.raises(DatabaseUnavailable):
        ask(lookups, instance_of_number, "02000000000")  # never asked before: nothing to use


def test_a_locked_database_costs_one_bounded_wait_then_none(sales_db):
    clock = Clock()
    lookups = Lookups(sales_db, deadline=0.5, pause=10.0, clock=clock)
    instance_id = ask(lookups, instance_of_number, NUMBER)
    holder = sqlite3.connect(sales_db.removeprefix("sqlite:///"), isolation_level=None)
    try:
        # A read waits on an exclusive lock in rollback mode, and on none in WAL: this
        # question both reads and writes, as a voicemail or a survey does.
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("CREATE TABLE held (x)")

        def writes(session, digits):
            session.execute(text("CREATE TABLE mine (x)"))
            return digits

        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable):
            ask(lookups, writes, NUMBER)
        assert time.monotonic() - started < 2.0  # the deadline, not the driver's 10 s
        started = time.monotonic()
        assert ask(lookups, instance_of_number, NUMBER) == instance_id  # from memory
        with pytest.raises(DatabaseUnavailable):
            ask(lookups, fresh_only, NUMBER)  # never remembered
        assert time.monotonic() - started < 0.2  # down: nobody waited on the database
        # After the pause the database is asked again; freed, it answers.
        holder.execute("ROLLBACK")
        clock.now += 11
        assert ask(lookups, fresh_only, NUMBER) == instance_id
    finally:
        holder.close()


def test_a_numbers_answer_is_asked_again_only_once_it_is_no_longer_fresh(sales_db):
    """Every inbound call asks for its number's plan: an answer read less than ``fresh``
    seconds ago is used as it is; then the database is asked again and a change seen."""
    clock = Clock()
    lookups = Lookups(sales_db, deadline=1.0, pause=10.0, clock=clock, fresh=1.0)
    instance_id = ask(lookups, instance_of_number, NUMBER)
    assert instance_id is not None
    with transaction(load_settings({"CCC_DATABASE_URL": sales_db})) as session:
        session.execute(delete(Number).where(Number.digits == NUMBER))
    clock.now += 0.9
    assert ask(lookups, instance_of_number, NUMBER) == instance_id  # fresh: not asked
    clock.now += 0.2
    assert ask(lookups, instance_of_number, NUMBER) is None  # asked again: gone
    assert ask(lookups, fresh_only, NUMBER) is None  # other questions: asked every time
