from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class Supplier(Base):
    """A carrier that provides numbers, with the restrictions it puts on outbound calls
    from them. Platform-wide: one supplier serves many accounts.

    ``calling_hours``: [{"weekdays": [0..6] (0 = Monday), "start": "HH:MM", "end":
    "HH:MM"}, ...] on the supplier's clock (``time_zone``), none for any hour;
    ``blocked_regions``: region names callees may not be in. A cap left empty is no cap.
    """

    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    calling_hours: Mapped[list] = mapped_column(JSON, default=list)
    calls_per_day: Mapped[int | None]
    calls_per_24h: Mapped[int | None]
    calls_per_48h: Mapped[int | None]
    blocked_regions: Mapped[list] = mapped_column(JSON, default=list)
    concurrency: Mapped[int] = mapped_column(default=20)
    # Industries (engine.accounts.industry codes) not served on marketing numbers.
    refused_industries: Mapped[list] = mapped_column(JSON, default=list,
                                                     server_default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
