from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class OutboundAttempt(Base):
    """One outbound call as decided on the PBX, written in the same transaction as the
    decision: the frequency caps count these, not the call records, which arrive only
    after the call has ended. ``refusal`` is empty for a call that went out."""

    __tablename__ = "outbound_attempt"
    __table_args__ = (Index("ix_outbound_attempt_number_callee_at",
                            "number_id", "callee", "at"),
                      # Two decisions for one callee at once read the same last seq and
                      # write the same next one: the second insert fails and is decided
                      # again, now counting the first (caps hold on SQLite and PostgreSQL).
                      Index("ux_outbound_attempt_number_callee_seq",
                            "number_id", "callee", "seq", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    number_id: Mapped[int] = mapped_column(ForeignKey("number.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    callee: Mapped[str] = mapped_column(String(32))  # one spelling per callee (E.164)
    agent_extension: Mapped[str | None] = mapped_column(String(8))
    at: Mapped[datetime]
    refusal: Mapped[str | None] = mapped_column(String(32))
    # The number's calls to this callee that went out, counted: 1, 2, ... (none for a
    # refused attempt, which claims nothing).
    seq: Mapped[int | None]
