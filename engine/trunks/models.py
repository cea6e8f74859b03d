from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class Trunk(Base):
    """A carrier's SIP trunk; inbound calls are recognised by its address."""

    __tablename__ = "trunk"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(default=5060)

    @property
    def endpoint_name(self) -> str:
        return f"trunk-{self.name}"
