from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow, value_enum
from engine.numbers.models import NumberType
from engine.qualifications.models import Qualification
from engine.suppliers.models import Supplier


class ApplicationState(str, enum.Enum):
    SUBMITTED = "submitted"   # waiting for a reviewer
    APPROVED = "approved"     # sent to the supplier, waiting for its numbers
    REJECTED = "rejected"
    DELIVERED = "delivered"   # the numbers are the account's


class LineApplication(Base):
    """An account's request for numbers of a third-party line: a supplier, an approved
    qualification, how many numbers of which type, and the instance they go to."""

    __tablename__ = "line_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            index=True)
    qualification_id: Mapped[int] = mapped_column(
        ForeignKey("qualification.id", ondelete="CASCADE"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"),
                                             index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    number_type: Mapped[NumberType] = mapped_column(value_enum(NumberType, "number_type"))
    quantity: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ApplicationState] = mapped_column(
        value_enum(ApplicationState, "application_state"))
    remark: Mapped[str | None] = mapped_column(Text)  # the reviewer's
    numbers: Mapped[list] = mapped_column(JSON, default=list)  # digits delivered
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    qualification: Mapped[Qualification] = relationship()
    supplier: Mapped[Supplier] = relationship()
    history: Mapped[list["LineApplicationEvent"]] = relationship(
        order_by="LineApplicationEvent.id", cascade="all, delete-orphan")


class LineApplicationEvent(Base):
    """One step of an application: submitted, approved or rejected (with the remark),
    delivered (the numbers). Kept for good."""

    __tablename__ = "line_application_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("line_application.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    remark: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
