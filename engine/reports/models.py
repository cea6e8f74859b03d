from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class QueueEvent(Base):
    """One line of the PBX's queue log: a caller entered, was connected, abandoned...

    The line's digest is its identity, so reading the log again (after an outage, or a
    log replaced and read from its start) adds nothing: a line written twice byte for
    byte says nothing the first one did not.
    """

    __tablename__ = "queue_event"
    __table_args__ = (Index("ix_queue_event_instance_at", "instance_id", "at"),
                      Index("ix_queue_event_skill_group_at", "skill_group_id", "at"))

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
