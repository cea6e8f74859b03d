from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, value_enum
from engine.instances.models import Instance
from engine.skillgroups.models import SkillGroup
from engine.suppliers.models import Supplier


class NumberType(str, enum.Enum):
    LANDLINE = "landline"
    N400 = "400"             # inbound only: never a caller ID
    N95 = "95"
    VIRTUAL_MOBILE = "virtual_mobile"
    INTERNATIONAL = "international"

    @property
    def can_call_out(self) -> bool:
        return self is not NumberType.N400


class Number(Base):
    __tablename__ = "number"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instance.id", ondelete="SET NULL"))
    digits: Mapped[str] = mapped_column(String(24), unique=True)
    type: Mapped[NumberType] = mapped_column(value_enum(NumberType, "number_type"))
    inbound_flow_id: Mapped[int | None] = mapped_column(
        ForeignKey("ivr_flow.id", ondelete="SET NULL"))
    # Who provides the number; its restriction policy applies to calls out with it.
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier.id", ondelete="SET NULL"))
    # Used for marketing calls: the supplier's industry limits apply to it.
    marketing: Mapped[bool] = mapped_column(default=False, server_default=false())

    instance: Mapped[Instance | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    outbound_skill_groups: Mapped[list[SkillGroup]] = relationship(
        secondary="number_skill_group", order_by="SkillGroup.id")


class NumberSkillGroup(Base):
    """Agents of the skill group may call out showing this number."""

    __tablename__ = "number_skill_group"

    number_id: Mapped[int] = mapped_column(
        ForeignKey("number.id", ondelete="CASCADE"), primary_key=True)
    skill_group_id: Mapped[int] = mapped_column(
        ForeignKey("skill_group.id", ondelete="CASCADE"), primary_key=True)


class NumberRental(Base):
    """One period the account rented a number: from ``starts_at`` until ``ends_at``
    (None: open, a number on no term), naive UTC. A bill's number rent follows these
    periods, so a number released or added later is charged for the months it was held.

    A term's period is renewed by a new one that starts where it ends (``auto_renew``);
    one not renewed ends the rental and the number goes back."""

    __tablename__ = "number_rental"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            index=True)
    number_id: Mapped[int | None] = mapped_column(
        ForeignKey("number.id", ondelete="SET NULL"), index=True)
    # Kept with the period: the bill names the number even after it is gone.
    digits: Mapped[str] = mapped_column(String(24))
    number_type: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    auto_renew: Mapped[bool] = mapped_column(default=False, server_default=false())
    reminded_at: Mapped[datetime | None]   # the expiry reminder went out
    renewed: Mapped[bool] = mapped_column(default=False, server_default=false())


class NumberReminder(Base):
    """A term about to end without auto-renewal, told the account's owners: written once
    per term by ``ccc serve`` in the transaction that marks the rental reminded (one per
    rental, so a restart never writes it twice), listed until an owner dismisses it."""

    __tablename__ = "number_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            index=True)
    rental_id: Mapped[int] = mapped_column(
        ForeignKey("number_rental.id", ondelete="CASCADE"), unique=True)
    digits: Mapped[str] = mapped_column(String(24))
    ends_at: Mapped[datetime]                 # the term's end, naive UTC
    created_at: Mapped[datetime]
    dismissed_at: Mapped[datetime | None]
    # Who dismissed it: a user's name, or None for the operator on the host (``ccc``).
    dismissed_by: Mapped[str | None] = mapped_column(String(64))
