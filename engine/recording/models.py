from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class Recording(Base):
    """The recording of one call (both parties, one file), kept with its call record.

    Keyed by the PBX's linked id like ``CallRecord``; registered only once the call has
    ended and the PBX has finished writing the file, so it is never served half-written.
    """

    __tablename__ = "call_recording"

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_call_id: Mapped[str] = mapped_column(String(64), unique=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    # Relative to the site's recordings folder; never shown outside the server.
    path: Mapped[str] = mapped_column(String(200))
    seconds: Mapped[int] = mapped_column(default=0)
    size_bytes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Set when the retention period deleted the file. The row stays, so the file the PBX
    # wrote for this call is never registered again, and the call keeps its history.
    purged_at: Mapped[datetime | None]
