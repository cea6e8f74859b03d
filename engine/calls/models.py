from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow, value_enum


class Direction(str, enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class CallRecord(Base):
    """One call, merged from the PBX's CDR rows that share its linked id."""

    __tablename__ = "call_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_call_id: Mapped[str] = mapped_column(String(64), unique=True)  # Asterisk linkedid
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("instance.id", ondelete="SET NULL"), index=True)
    number: Mapped[str | None] = mapped_column(String(24))
    direction: Mapped[Direction] = mapped_column(value_enum(Direction, "direction"))
    caller: Mapped[str] = mapped_column(String(64), default="")
    callee: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    billable_seconds: Mapped[int] = mapped_column(default=0)
    disposition: Mapped[str] = mapped_column(String(16))
    agent_extension: Mapped[str | None] = mapped_column(String(8))
    refusal_reason: Mapped[str | None] = mapped_column(String(200))
    # The PBX kept a recording of the call; `RecordStorage` is billed on these minutes
    # only. Nothing sets it yet: call recording is not built, so no storage is charged.
    recorded: Mapped[bool] = mapped_column(default=False, server_default=false())


class CallRecordAgent(Base):
    """An agent who talked on a call: the one a queue connected, and everyone the call was
    transferred or conferenced to after that. Keyed by extension (what the PBX reports),
    so a deleted agent's calls keep who took them."""

    __tablename__ = "call_record_agent"
    __table_args__ = (UniqueConstraint("call_record_id", "extension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_record_id: Mapped[int] = mapped_column(
        ForeignKey("call_record.id", ondelete="CASCADE"), index=True)
    extension: Mapped[str] = mapped_column(String(8), index=True)
    answered_at: Mapped[datetime]


class IngestCursor(Base):
    """How far a durable journal of a PBX site (call records, queue log, security log)
    has been read: the file (its inode, which survives the file's rotation under another
    name) and the offset in it."""

    __tablename__ = "ingest_cursor"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    inode: Mapped[int | None] = mapped_column(BigInteger)


class Voicemail(Base):
    """A message a caller left (IVR voicemail module), kept with its call record.

    Keyed by the PBX's linked id like ``CallRecord``: the message is stored while the
    call is still up, before ingestion has created the call's record.
    """

    __tablename__ = "call_voicemail"

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_call_id: Mapped[str] = mapped_column(String(64), index=True)
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("instance.id", ondelete="SET NULL"), index=True)
    path: Mapped[str] = mapped_column(String(400))  # the WAV file as this host sees it
    seconds: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyScore(Base):
    """The caller's 1-5 satisfaction score after the agent hung up; one per call."""

    __tablename__ = "call_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_call_id: Mapped[str] = mapped_column(String(64), unique=True)
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("instance.id", ondelete="SET NULL"), index=True)
    score: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
