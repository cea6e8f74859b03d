"""Seat periods: when each seat existed, for the bill's seat lines (a month is charged
for the seats that existed during it, whenever it is rated)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.agents.models import Agent, SeatPeriod
from engine.instances.models import Instance


def open_seat(session: Session, agent: Agent, now: datetime) -> None:
    session.add(SeatPeriod(instance_id=agent.instance_id, agent_id=agent.id,
                           extension=agent.extension, starts_at=now))


def close_seat(session: Session, agent: Agent, now: datetime) -> None:
    for period in session.scalars(select(SeatPeriod).where(
            SeatPeriod.agent_id == agent.id, SeatPeriod.ends_at.is_(None))):
        period.ends_at = now


def seats_during(session: Session, account_id: int, start: datetime,
                 end: datetime) -> list[tuple[int, str]]:
    """(instance id, extension) of every seat of the account that existed at some moment
    of [start, end), each once."""
    rows = session.execute(
        select(SeatPeriod.instance_id, SeatPeriod.extension)
        .join(Instance, Instance.id == SeatPeriod.instance_id)
        .where(Instance.account_id == account_id, SeatPeriod.starts_at < end,
               (SeatPeriod.ends_at.is_(None)) | (SeatPeriod.ends_at > start)).distinct())
    return sorted(set(rows))
