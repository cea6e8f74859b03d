"""What an account's contract adds to the tariff: a discount, prepaid voice packages."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import Account
from engine.billing.models import ContractDiscount, VoicePackage
from engine.billing.money import parse_decimal
from engine.billing.periods import Month
from engine.errors import Invalid
from engine.messages import N_

DIRECTIONS = ("inbound", "outbound")


def set_discount(session: Session, account: Account, percent: str, month: Month
                 ) -> ContractDiscount:
    """The account's discount from ``month`` on; earlier months keep theirs."""
    value = parse_decimal(percent, "discount", 2)
    if value > 100:
        raise Invalid(N_("invalid discount %(percent)r: at most 100 (percent)", percent=percent))
    row = session.scalar(select(ContractDiscount).where(
        ContractDiscount.account_id == account.id, ContractDiscount.valid_from == month.key))
    if row is None:
        row = ContractDiscount(account_id=account.id, valid_from=month.key)
        session.add(row)
    row.percent = value
    session.flush()
    return row


def discount_for(session: Session, account_id: int, month: Month) -> Decimal:
    """The discount percent in force in ``month`` (0 without a contract discount)."""
    percent = session.scalar(
        select(ContractDiscount.percent).where(ContractDiscount.account_id == account_id,
                                               ContractDiscount.valid_from <= month.key)
        .order_by(ContractDiscount.valid_from.desc()).limit(1))
    return percent if percent is not None else Decimal(0)


def list_discounts(session: Session, account: Account) -> list[ContractDiscount]:
    return list(session.scalars(select(ContractDiscount).where(
        ContractDiscount.account_id == account.id).order_by(ContractDiscount.valid_from)))


def add_package(session: Session, account: Account, direction: str, minutes: int,
                valid_from: str, valid_until: str) -> VoicePackage:
    """Prepaid minutes of one direction, valid between two dates (both included, on
    the billing clock); consumed before per-minute charges, oldest expiry first."""
    if direction not in DIRECTIONS:
        raise Invalid(N_("invalid direction %(direction)r: choose inbound or outbound",
                         direction=direction))
    if minutes <= 0:
        raise Invalid(N_("invalid minutes %(minutes)s: a package holds at least 1 minute",
                         minutes=minutes))
    first, last = _date(valid_from), _date(valid_until)
    if last < first:
        raise Invalid(N_("the package ends (%(last)s) before it starts (%(first)s)",
                         last=last, first=first))
    package = VoicePackage(account_id=account.id, direction=direction, minutes=minutes,
                           valid_from=first, valid_until=last)
    session.add(package)
    session.flush()
    return package


def list_packages(session: Session, account: Account) -> list[VoicePackage]:
    return list(session.scalars(select(VoicePackage).where(
        VoicePackage.account_id == account.id).order_by(VoicePackage.id)))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise Invalid(N_("invalid date %(text)r: expected YYYY-MM-DD", text=text)) from None
