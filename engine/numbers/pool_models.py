"""400 numbers offered from the platform's pool, by tier, and their purchases."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.billing.money import ScaledDecimal
from engine.db import Base, utcnow


class NumberTier(Base):
    """A tier of 400 numbers and its minimum monthly spend (CNY): data, seeded by the
    migration (standard 375 ... VVIP 20,000)."""

    __tablename__ = "number_tier"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int]
    minimum_monthly_spend: Mapped[Decimal] = mapped_column(ScaledDecimal(2))


class PoolNumber(Base):
    """A 400 number the platform may sell; free while no live purchase holds it."""

    __tablename__ = "pool_number"

    id: Mapped[int] = mapped_column(primary_key=True)
    digits: Mapped[str] = mapped_column(String(24), unique=True)
    tier: Mapped[str] = mapped_column(ForeignKey("number_tier.name"))
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class NumberPurchase(Base):
    """An account's purchase of a pool number. The first purchase pays
    ``months`` (3) of the tier's minimum spend; the handler's documents are due by
    ``documents_due_at`` or the number goes back to the pool (``released_at``)."""

    __tablename__ = "number_purchase"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            index=True)
    pool_number_id: Mapped[int] = mapped_column(
        ForeignKey("pool_number.id", ondelete="CASCADE"), index=True)
    number_id: Mapped[int | None] = mapped_column(
        ForeignKey("number.id", ondelete="SET NULL"))
    tier: Mapped[str] = mapped_column(String(16))
    minimum_monthly_spend: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    months: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    purchased_at: Mapped[datetime]
    documents_due_at: Mapped[datetime]
    documents_submitted_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
