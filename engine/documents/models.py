from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class Document(Base):
    """An uploaded file kept in the database (every web process and host sees it): a
    supplier's agreement PDF, an ID image of a qualification. Only files whose content
    was recognised are stored; ``media_type`` is what the content is, never what the
    upload claimed."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
