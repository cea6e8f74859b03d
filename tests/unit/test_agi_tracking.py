"""The IVR tracking rows of FastAGI sessions (engine/agi/tracking.py) on a real SQLite
database whose table goes missing for a while (a write fails as on a database that is
down, without waiting on a lock): kept, written once it is back, never twice."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from engine.agi import tracking
from engine.agi.tracking import RunTracking
from engine.reports.ivr import IvrOutcome
from engine.reports.models import IvrSession
from engine.settings import load_settings
from engine.uow import transaction
from tests.factories import add_account, add_instance

STARTED = datetime(2026, 12, 1, 9, 0)


@pytest.fixture
def sales_db(sqlite_url, monkeypatch):
    monkeypatch.setattr(tracking, "EVERY", 0.05)
    with transaction(load_settings({"CCC_DATABASE_URL": sqlite_url})) as session:
        add_account(session)
        instance_id = add_instance(session).instance.id
    return sqlite_url, instance_id


def run(instance_id: int, call: str) -> dict:
    return dict(instance_id=instance_id, flow_version_id=None, pbx_call_id=call,
                number="01012345678", started_at=STARTED, ended_at=STARTED + timedelta(seconds=3),
                trail=["start", "hello", "bye"], outcome=IvrOutcome.COMPLETED)


def execute(url: str, statement: str) -> None:
    with transaction(load_settings({"CCC_DATABASE_URL": url})) as session:
        session.execute(text(statement))


def down(url: str) -> None:
    execute(url, "ALTER TABLE ivr_session RENAME TO ivr_session_away")


def back(url: str) -> None:
    execute(url, "ALTER TABLE ivr_session_away RENAME TO ivr_session")


def kept_calls(url: str) -> list[str]:
    with transaction(load_settings({"CCC_DATABASE_URL": url})) as session:
        return sorted(session.scalars(select(IvrSession.pbx_call_id)))


async def until(predicate, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never happened")


def test_runs_the_database_refuses_are_written_once_it_is_back(sales_db):
    url, instance_id = sales_db

    async def calls():
        runs = RunTracking(url)
        down(url)
        runs.track(run(instance_id, "c1"))
        await asyncio.sleep(0.3)  # several writes fail meanwhile
        assert runs.failures.attempts >= 2
        runs.track(run(instance_id, "c2"))
        runs.track(run(instance_id, "c1"))  # the same run again: kept once
        back(url)
        await until(lambda: runs.writer is None)
        assert runs.runs == []
        await runs.flush()
    asyncio.run(calls())
    assert kept_calls(url) == ["c1", "c2"]


def test_a_stop_while_the_database_refuses_says_what_is_lost(sales_db, caplog):
    url, instance_id = sales_db

    async def calls():
        runs = RunTracking(url)
        runs.track(run(instance_id, "c1"))
        await runs.flush()  # written at once, not after the pause
        down(url)
        runs.track(run(instance_id, "c2"))
        await runs.flush()
    with caplog.at_level(logging.ERROR, logger="engine.agi.tracking"):
        asyncio.run(calls())
    assert "IVR tracking of 1 runs lost: the database did not take them before the stop " \
           "(calls c2)" in caplog.text
    back(url)
    assert kept_calls(url) == ["c1"]


def test_beyond_what_is_kept_the_oldest_runs_go_first(sales_db, monkeypatch, caplog):
    url, instance_id = sales_db
    monkeypatch.setattr(tracking, "KEEP", 2)

    async def calls():
        runs = RunTracking(url)
        down(url)
        for call in ("c1", "c2", "c3"):
            runs.track(run(instance_id, call))
        back(url)
        await until(lambda: runs.writer is None)
    with caplog.at_level(logging.ERROR, logger="engine.agi.tracking"):
        asyncio.run(calls())
    assert "IVR tracking of 1 runs lost: more than 2 waited for the database (calls c1)" \
        in caplog.text
    assert kept_calls(url) == ["c2", "c3"]
