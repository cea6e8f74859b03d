from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow
from engine.instances.models import Instance


class AudioFile(Base):
    """A WAV in an instance's library; flows name it, the PBX plays an 8 kHz mono copy.

    The bytes live on disk (see ``engine.audio.storage``); the row says what they are,
    so a download can be checked against ``sha256``.
    """

    __tablename__ = "audio_file"
    __table_args__ = (UniqueConstraint("instance_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    duration_ms: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    instance: Mapped[Instance] = relationship()
