from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class Ban(Base):
    """An address the PBX refuses for a while: it failed to sign in too often."""

    __tablename__ = "security_ban"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(45), index=True)  # IPv4 or IPv6 text
    failures: Mapped[int] = mapped_column(default=0)  # failed attempts that led to the ban
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]  # an operator lifted it before it expired
