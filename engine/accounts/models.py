from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow, value_enum


class BillingPlan(str, enum.Enum):
    PAYG = "payg"   # pay-as-you-go: no seat fee, every connected minute charged
    SEAT = "seat"   # per-seat monthly fee, inbound free


class Role(str, enum.Enum):
    OWNER = "owner"
    INSTANCE_ADMIN = "instance_admin"
    # Listens to, coaches and takes over the live calls of the instances they are given
    # (a seat there), and sees nothing of the account's billing or users.
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    # Platform users, of no account: a supplier's staff sees its own portal only, a
    # reviewer the review queue of every account and nothing else.
    SUPPLIER = "supplier"
    REVIEWER = "reviewer"


PLATFORM_ROLES = (Role.SUPPLIER, Role.REVIEWER)


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    plan: Mapped[BillingPlan] = mapped_column(value_enum(BillingPlan, "billing_plan"))
    # Days a call's recording is kept after the call (None: until deleted by hand).
    recording_retention_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the account's business is (engine.accounts.industry): suppliers refuse some
    # industries on marketing numbers. None: not declared.
    industry: Mapped[str | None] = mapped_column(String(32))

    users: Mapped[list["User"]] = relationship(back_populates="account")


class User(Base):
    """A user of an account, or (no account) a platform user: a reviewer, or a supplier's
    staff (``supplier_id``). Platform users' names are unique among themselves."""

    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"))
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(value_enum(Role, "role", 32))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # The pages' language (engine.accounts.languages); None follows the browser.
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A disabled user cannot sign in, and its API tokens stop working at once.
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Every web session carries the number it was opened under: raising it (sign-out,
    # a new password, disabling) ends all of the user's sessions, copied cookies too.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    account: Mapped[Account | None] = relationship(back_populates="users")


class ApiToken(Base):
    """A user's secret for the REST API; only its SHA-256 is stored.

    The secret is 32 random bytes, so a fast hash is enough (no dictionary to guess
    from) and lets a request find its token with one indexed look-up.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The secret's first characters, to tell tokens apart in a list (the rest, over 40
    # random characters, stays unknown).
    hint: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class SignInFailure(Base):
    """A wrong password (or unknown name) typed at the web sign-in, kept for a while."""

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_name: Mapped[str] = mapped_column(String(64))  # as typed: may name nobody
    user_name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(index=True)
