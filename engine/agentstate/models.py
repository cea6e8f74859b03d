from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class BreakCode(Base):
    """A reason an agent of the instance may give for a break (Rest, Meal...)."""

    __tablename__ = "break_code"
    __table_args__ = (UniqueConstraint("instance_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))   # an identifier: it reaches the PBX
    name: Mapped[str] = mapped_column(String(64))   # what agents and reports show


class AgentStateChange(Base):
    """The durable state log: each row is the state an agent entered, and when.

    A state lasts until the agent's next row. Written by ``ccc serve`` from what the PBX
    reports; reports read it.
    """

    __tablename__ = "agent_state_change"
    __table_args__ = (Index("ix_agent_state_change_agent_at", "agent_id", "at"),
                      Index("ix_agent_state_change_instance_at", "instance_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    break_code: Mapped[str | None] = mapped_column(String(32))
    # The queues (skill groups) the agent is signed in to, space-separated queue names.
    queues: Mapped[str] = mapped_column(String(512), default="")
    interface: Mapped[str | None] = mapped_column(String(80))
    at: Mapped[datetime]
