from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow, value_enum


class CallNote(Base):
    """What an agent wrote about a call (during it or afterwards), by the PBX's call id."""

    __tablename__ = "call_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_call_id: Mapped[str] = mapped_column(String(64), index=True)  # Asterisk linkedid
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupervisionMode(str, enum.Enum):
    LISTEN = "listen"      # the supervisor hears both parties; nobody hears them
    WHISPER = "whisper"    # only the agent hears the supervisor (coaching)
    BARGE = "barge"        # the caller and the agent both hear the supervisor
    TAKEOVER = "takeover"  # the caller is handed to the supervisor; the agent leaves


class SupervisionLog(Base):
    """One act of supervision on a live call, kept for audit: who, on which agent's call,
    how, and from when to when the supervisor was on it (a take-over is one instant)."""

    __tablename__ = "supervision_log"
    __table_args__ = (Index("ix_supervision_log_instance_requested", "instance_id",
                            "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    # The signed-in user who asked (None: the operator on the host, with ``ccc``); the
    # names are kept as they were, so the log outlives a deleted user or seat.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(64))
    supervisor_extension: Mapped[str] = mapped_column(String(8))
    agent_extension: Mapped[str] = mapped_column(String(8))
    pbx_call_id: Mapped[str] = mapped_column(String(64))  # Asterisk linkedid of the call
    mode: Mapped[SupervisionMode] = mapped_column(value_enum(SupervisionMode,
                                                             "supervision_mode"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]  # the supervisor's phone answered
    ended_at: Mapped[datetime | None]    # the supervisor's leg hung up
    # The leg's hang-up was never reported (ccc serve was down): ended_at is when the
    # engine found the leg gone from the PBX, the latest it can have ended.
    end_found: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def duration_seconds(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0, round((self.ended_at - self.started_at).total_seconds()))
