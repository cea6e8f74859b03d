"""Number rental periods: opened when an account gets a number, closed when it gives it
back; a term (a 400 number's three months) reminds the owner before it expires and
is renewed a month at a time when auto-renewal is on, or ends and the number goes back.
``ccc serve`` runs ``run_expiries`` on its own; ``now`` is always given (naive UTC)."""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import ACCOUNT_ROLES
from engine.accounts.models import User
from engine.errors import Forbidden, Invalid, NotFound
from engine.messages import N_
from engine.numbers.models import Number, NumberRental

REMIND_BEFORE = timedelta(days=7)
RENEWAL_MONTHS = 1


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the month's last day when it is short)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, calendar.monthrange(year, month)[1]))


def open_rental(session: Session, number: Number, now: datetime,
                months: int | None = None) -> NumberRental:
    """The account holds the number from ``now``: for ``months`` (a term), or open."""
    rental = NumberRental(account_id=number.account_id, number_id=number.id,
                          digits=number.digits, number_type=number.type.value, starts_at=now,
                          ends_at=add_months(now, months) if months else None)
    session.add(rental)
    session.flush()
    return rental


def current(session: Session, number_id: int) -> NumberRental | None:
    """The number's latest period."""
    return session.scalar(select(NumberRental).where(NumberRental.number_id == number_id)
                          .order_by(NumberRental.starts_at.desc(), NumberRental.id.desc())
                          .limit(1))


def close_rental(session: Session, number: Number, now: datetime) -> None:
    """The number leaves the account at ``now``: its period ends there (never later than
    a term's own end)."""
    rental = current(session, number.id)
    if rental is not None and (rental.ends_at is None or rental.ends_at > now):
        rental.ends_at = now
        rental.renewed = True  # nothing left to renew
        session.flush()


def check_renew(actor: User | None, number: Number) -> None:
    """Renewing spends the account's money: its owner's decision (and the operator's,
    ``actor`` None). Another account's number is not found."""
    if actor is None:
        return
    if actor.account_id != number.account_id:
        raise NotFound(N_("no such %(value)s", value="number"))
    if actor.role not in ACCOUNT_ROLES:
        raise Forbidden(N_("the %(role_value)s role may not change number rentals",
                           role_value=actor.role.value))


def set_auto_renew(session: Session, actor: User | None, number: Number,
                   on: bool) -> NumberRental | None:
    """Renew the number's term a month at a time when it expires (None: no rental).
    ``actor`` is the user asking (None: the operator on the host)."""
    check_renew(actor, number)
    if not isinstance(on, bool):
        message = N_("auto_renew: true or false")
        raise Invalid(message, fields={"auto_renew": message})
    rental = current(session, number.id)
    if rental is not None:
        rental.auto_renew = on
        session.flush()
    return rental


def reminders_due(session: Session, now: datetime) -> list[NumberRental]:
    """Terms ending within a week, not set to renew, not reminded yet: marked reminded
    and returned (each reminder goes out once)."""
    due = list(session.scalars(select(NumberRental).where(
        NumberRental.ends_at.is_not(None), NumberRental.ends_at > now,
        NumberRental.ends_at <= now + REMIND_BEFORE, NumberRental.renewed.is_(False),
        NumberRental.auto_renew.is_(False), NumberRental.reminded_at.is_(None),
        NumberRental.number_id.is_not(None))))
    for rental in due:
        rental.reminded_at = now
    session.flush()
    return due


def expiring(session: Session, account_id: int, now: datetime) -> list[NumberRental]:
    """The account's terms ending within the reminder window (the same week as the
    reminder), whether set to renew or not, soonest first: what the account's pages
    warn about until the term is renewed or ends."""
    return list(session.scalars(select(NumberRental).where(
        NumberRental.account_id == account_id, NumberRental.ends_at.is_not(None),
        NumberRental.ends_at > now, NumberRental.ends_at <= now + REMIND_BEFORE,
        NumberRental.renewed.is_(False), NumberRental.number_id.is_not(None))
        .order_by(NumberRental.ends_at, NumberRental.digits)))


def run_expiries(session: Session, now: datetime,
                 release=None) -> tuple[list[str], list[str]]:
    """Every term that has ended (at ``now`` or before): renewed for a month when set to,
    else ended; ``release(session, number, now)`` gives an ended one's number back.
    Returns (renewed digits, ended digits)."""
    renewed, ended = [], []
    expired = session.scalars(select(NumberRental).where(
        NumberRental.ends_at.is_not(None), NumberRental.ends_at <= now,
        NumberRental.renewed.is_(False), NumberRental.number_id.is_not(None)))
    for rental in list(expired):
        rental.renewed = True
        number = session.get(Number, rental.number_id)
        if rental.auto_renew:
            session.add(NumberRental(
                account_id=rental.account_id, number_id=rental.number_id, digits=rental.digits,
                number_type=rental.number_type, starts_at=rental.ends_at,
                ends_at=add_months(rental.ends_at, RENEWAL_MONTHS), auto_renew=True))
            renewed.append(rental.digits)
        else:
            ended.append(rental.digits)
            if release is not None and number is not None:
                release(session, number, now)
    session.flush()
    return renewed, ended


def held_during(session: Session, account_id: int, start: datetime,
                end: datetime) -> list[tuple[str, str]]:
    """(number type, digits) of every number the account held at some moment of
    [start, end), each once."""
    rows = session.execute(select(NumberRental.number_type, NumberRental.digits).where(
        NumberRental.account_id == account_id, NumberRental.starts_at < end,
        (NumberRental.ends_at.is_(None)) | (NumberRental.ends_at > start)).distinct())
    return sorted(set(rows))


def rental_json(rental: NumberRental) -> dict:
    return {"digits": rental.digits, "starts_at": rental.starts_at.isoformat(),
            "ends_at": rental.ends_at.isoformat() if rental.ends_at else None,
            "auto_renew": rental.auto_renew,
            "reminded_at": rental.reminded_at.isoformat() if rental.reminded_at else None}
