from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class QueueEvent(Base):
    """One line of the PBX's queue log: a caller entered, was connected, abandoned...

    The line's digest is its identity, so reading the log again (after an outage, or a
    log replaced and read from its start) adds nothing: a line written twice byte for
    byte says nothing the first one did not.
    """

    __tablename__ = "queue_event"
    # By instance and time for reading a period; by instance, event and time for the
    # few kinds a report counts straight from the events (refusals, rings unanswered).
    __table_args__ = (Index("ix_queue_event_instance_at", "instance_id", "at"),
                      Index("ix_queue_event_instance_event_at", "instance_id", "event", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    line_digest: Mapped[str] = mapped_column(String(40), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    # None once the group is deleted; the queue name still says which one it was.
    skill_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("skill_group.id", ondelete="SET NULL"))
    queue: Mapped[str] = mapped_column(String(80))
    agent_extension: Mapped[str | None] = mapped_column(String(8))
    event: Mapped[str] = mapped_column(String(24))
    call_id: Mapped[str | None] = mapped_column(String(64), index=True)  # caller's uniqueid
    at: Mapped[datetime]
    # The event's own fields, as Asterisk names them in its queue_log table.
    data1: Mapped[str] = mapped_column(String(80), default="")
    data2: Mapped[str] = mapped_column(String(80), default="")
    data3: Mapped[str] = mapped_column(String(80), default="")
    data4: Mapped[str] = mapped_column(String(80), default="")
    data5: Mapped[str] = mapped_column(String(80), default="")


class QueueCall(Base):
    """One call's stay in one skill group's queue (a visit), as the queue log tells it:
    when it entered, how it left, how long it waited and talked.

    Rebuilt by ingestion from the call's queue events with ``metrics.queue_visits``
    each time the call has new ones, so the reports sum months of calls in the
    database instead of replaying every event.
    """

    __tablename__ = "queue_call"
    __table_args__ = (UniqueConstraint("call_id", "queue", "entered_at"),
                      Index("ix_queue_call_instance_entered_at", "instance_id", "entered_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    skill_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("skill_group.id", ondelete="SET NULL"))
    queue: Mapped[str] = mapped_column(String(80))
    call_id: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))      # metrics.Outcome
    agent_extension: Mapped[str | None] = mapped_column(String(8))
    wait_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    talk_seconds: Mapped[float | None] = mapped_column(Float)  # None while talking
    rang_agent: Mapped[bool] = mapped_column(default=False)
    exit_key: Mapped[str | None] = mapped_column(String(8))
    transferred_in: Mapped[bool] = mapped_column(default=False)
    overflowed_in: Mapped[bool] = mapped_column(default=False)
