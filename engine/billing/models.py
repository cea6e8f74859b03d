"""Billing: tariffs (data, seeded by migration 0002), contracts, voice packages,
rated usage, monthly charges, payments and recorded usage exports."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.accounts.models import BillingPlan
from engine.billing.money import ScaledDecimal
from engine.db import Base, utcnow, value_enum


class Item(str, enum.Enum):
    """Billing items, in the order a bill lists them."""

    PLATFORM = "CallCenterSoftware"        # seat fee (seat plan) or platform minutes (payg)
    LANDLINE_INBOUND = "Landline_Inbound"
    LANDLINE_OUTBOUND = "Landline_Outbound"
    INBOUND_400 = "Inbound_400"
    RECORD_STORAGE = "RecordStorage"
    NUMBER_RENT = "NumberRent"
    # A pool 400 number's first purchase: three months of its tier's minimum, up front.
    PURCHASE_400 = "Purchase_400"
    # What tops a pool 400 number's charges up to its tier's minimum monthly spend.
    MINIMUM_SPEND_400 = "MinimumSpend_400"


class Tariff(Base):
    """One price step: the unit price from ``tier_from`` units a month upwards.

    An untiered price is one row with ``tier_from`` 0. ``variant`` narrows an item
    (number rent by number type); '' means the item as a whole.
    """

    __tablename__ = "tariff"
    __table_args__ = (UniqueConstraint("plan", "item", "variant", "tier_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan: Mapped[BillingPlan] = mapped_column(value_enum(BillingPlan, "billing_plan"))
    item: Mapped[str] = mapped_column(String(32))
    variant: Mapped[str] = mapped_column(String(16), default="")
    tier_from: Mapped[int] = mapped_column(default=0)
    unit_price: Mapped[Decimal] = mapped_column(ScaledDecimal(4))  # CNY per unit
    unit: Mapped[str] = mapped_column(String(16))                   # minute, seat-month, ...


class ContractDiscount(Base):
    """The account's contract discount from a month on (until a later row replaces it),
    so changing it never rewrites the bills of months already past."""

    __tablename__ = "contract_discount"
    __table_args__ = (UniqueConstraint("account_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    valid_from: Mapped[str] = mapped_column(String(7))              # YYYY-MM
    percent: Mapped[Decimal] = mapped_column(ScaledDecimal(2))


class VoicePackage(Base):
    """Prepaid minutes of one direction, consumed before per-minute charges."""

    __tablename__ = "voice_package"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))              # inbound | outbound
    minutes: Mapped[int]
    valid_from: Mapped[date]                                        # first day, inclusive
    valid_until: Mapped[date]                                       # last day, inclusive
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RatedUsage(Base):
    """The minutes of one connected call, keyed on its call record: rated once.

    No foreign keys, on purpose: rows are written a month at a time by one
    INSERT ... SELECT whose joins already prove the call record, account and instance
    exist, and PostgreSQL's per-row key triggers would triple the cost of rating.
    Call records are never deleted, and rating a month again rewrites its rows.
    """

    __tablename__ = "rated_usage"
    # Bills group by account and month; exports and packages go in the order calls started.
    __table_args__ = (Index(None, "account_id", "month", "started_at", "call_record_id"),)

    call_record_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int]
    instance_id: Mapped[int]
    month: Mapped[str] = mapped_column(String(7))
    item: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    minutes: Mapped[int]                  # every started minute counts as a whole one
    package_minutes: Mapped[int] = mapped_column(default=0)  # of those, paid by packages
    recorded: Mapped[bool] = mapped_column(default=False)    # the PBX kept a recording of it
    detail: Mapped[str] = mapped_column(Text)  # the call's usage-detail CSV line


class PackageUse(Base):
    """Minutes of a call taken from a voice package (a call may span two packages)."""

    __tablename__ = "package_use"
    # A correction resets the uses of the calls it touches, found by call.
    __table_args__ = (Index(None, "call_record_id"),)

    package_id: Mapped[int] = mapped_column(
        ForeignKey("voice_package.id", ondelete="CASCADE"), primary_key=True)
    call_record_id: Mapped[int] = mapped_column(
        ForeignKey("rated_usage.call_record_id", ondelete="CASCADE"), primary_key=True)
    minutes: Mapped[int]


class UsageTotal(Base):
    """The sums of an account's rated rows of one month and item, kept as calls are rated
    so a bill reads a few rows, not the month's calls.

    Quantities only (minutes, calls), never money: the bill prices them with the tariff
    and rounding of the moment it is shown, as it would price a full re-rating's sums.
    """

    __tablename__ = "usage_total"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    item: Mapped[str] = mapped_column(String(32), primary_key=True)
    calls: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)
    package_minutes: Mapped[int] = mapped_column(default=0)
    recorded_minutes: Mapped[int] = mapped_column(default=0)


class PackageMonthUse(Base):
    """Minutes a voice package paid for in one month: what it has left for the calls
    after, without summing its uses call by call."""

    __tablename__ = "package_month_use"

    package_id: Mapped[int] = mapped_column(
        ForeignKey("voice_package.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    minutes: Mapped[int] = mapped_column(default=0)


class NumberMinutes(Base):
    """A number's rated 400 minutes of calls that started in one stretch of a month: the
    stretches its minimum spend is owed for, kept once a bill has asked for them and
    added to as its calls are rated."""

    __tablename__ = "number_minutes"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    digits: Mapped[str] = mapped_column(String(24), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    ends_at: Mapped[datetime] = mapped_column(primary_key=True)
    minutes: Mapped[int] = mapped_column(default=0)


class MonthlyCharge(Base):
    """A monthly fee for one subject (a seat, a number) in one month: charged once."""

    __tablename__ = "monthly_charge"
    __table_args__ = (UniqueConstraint("account_id", "month", "item", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    item: Mapped[str] = mapped_column(String(32))
    variant: Mapped[str] = mapped_column(String(16), default="")
    subject: Mapped[str] = mapped_column(String(64))   # i1-1001 (a seat), 01012345678 (a number)


class RatingRun(Base):
    """When an account's month was last rated, and how many calls it held."""

    __tablename__ = "rating_run"
    __table_args__ = (UniqueConstraint("account_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))
    calls: Mapped[int]
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The newest call record when it was rated: a record ingested later (a higher id)
    # of that month makes the rating out of date, and the next bill or export rates again.
    last_call_id: Mapped[int] = mapped_column(default=0, server_default="0")
    # The call items whose tariff was free when its packages were allocated (packages
    # skip them): a price change since re-allocates the month. NULL: not known.
    free_items: Mapped[str | None] = mapped_column(String(200))


class Payment(Base):
    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    reference: Mapped[str] = mapped_column(String(64), default="")
    paid_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsageExport(Base):
    """A usage-detail CSV written once and kept, so it can be downloaded again as it was."""

    __tablename__ = "usage_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    instance_id: Mapped[int | None]
    item: Mapped[str | None] = mapped_column(String(32))
    rows: Mapped[int]
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))   # under <var>/exports/
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
