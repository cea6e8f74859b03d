"""The minimum monthly spend of 400 numbers bought from the pool.

A pool number's tier sets what the account spends on it at least each month (CNY, kept
with the purchase). The month's bill tops the number's 400 charges up to that minimum
with one ``MinimumSpend_400`` line per number; no line when its calls reached it.

- Only while the number was rented: the minimum is prorated by the share of the billing
  month the account held it (to the second), so a number bought, released or ending its
  term in the middle of a month owes that part of the minimum, and a month it was not
  held owes nothing. Proration, not whole months: the minimum is a spend, not a rent,
  and a whole month's minimum for one held day would make a number's last days cost
  more than the tier promises.
- The first purchase paid the minimum of its three-month term up front: the time that
  term covers owes nothing here (nor do its calls count against the rest).
- The number's 400 charges are its inbound minutes that started in the time owed, priced
  at the account's Inbound_400 tariff as if it were the account's only 400 number (its
  own graduated tiers), before the contract discount; minutes a voice package paid for
  count (they were paid for, ahead).
- The line is discounted by the contract like every other line.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import Account
from engine.billing import totals
from engine.billing.models import Item
from engine.billing.money import to_fen
from engine.billing.periods import Month
from engine.billing.tariffs import split_by_tier, tiers
from engine.numbers.models import NumberRental
from engine.numbers.pool_models import NumberPurchase, PoolNumber
from engine.numbers.rentals import add_months

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Shortfall:
    """One number's minimum spend in one month, and what its calls fell short of it."""

    digits: str
    tier: str
    minimum_monthly_spend: Decimal   # the tier's, for a whole month
    due: Decimal                     # prorated to the time owed in the month
    minutes: int                     # the number's 400 minutes in that time
    spent: Decimal                   # those minutes at the tariff
    shortfall: Decimal               # due - spent, never below 0

    def as_dict(self) -> dict:
        return {"digits": self.digits, "tier": self.tier,
                "minimum_monthly_spend": str(self.minimum_monthly_spend),
                "due": str(self.due), "minutes": self.minutes, "spent": str(self.spent),
                "shortfall": str(self.shortfall)}


def shortfalls(session: Session, account: Account, month: Month) -> list[Shortfall]:
    """Each pool number the account held in ``month`` outside a prepaid term, with what
    its month owes; by digits. Those whose calls reached the minimum are included with
    a shortfall of 0 (the bill leaves them out)."""
    start, end = month.utc_bounds()
    purchases = session.execute(
        select(NumberPurchase, PoolNumber.digits)
        .join(PoolNumber, PoolNumber.id == NumberPurchase.pool_number_id)
        .where(NumberPurchase.account_id == account.id, NumberPurchase.purchased_at < end,
               (NumberPurchase.released_at.is_(None)) | (NumberPurchase.released_at > start))
        .order_by(PoolNumber.digits, NumberPurchase.purchased_at)).all()
    steps = None
    results = []
    for purchase, digits in purchases:
        owed = _owed(session, account, purchase, digits, (start, end))
        if not owed:
            continue
        steps = steps or tiers(session, account.plan, Item.INBOUND_400.value)
        minutes = sum(_minutes(session, account, month, digits, part) for part in owed)
        spent = to_fen(sum((tier.unit_price * used for tier, used
                            in split_by_tier(steps, minutes)), Decimal(0)))
        share = Decimal(sum(_seconds(part) for part in owed)) / Decimal(_seconds((start, end)))
        due = to_fen(purchase.minimum_monthly_spend * share)
        results.append(Shortfall(digits, purchase.tier, purchase.minimum_monthly_spend, due,
                                 minutes, spent, max(due - spent, Decimal("0.00"))))
    return results


def _owed(session: Session, account: Account, purchase: NumberPurchase, digits: str,
          month: Interval) -> list[Interval]:
    """The parts of ``month`` the purchase's number was rented, less its prepaid term."""
    rentals = session.execute(select(NumberRental.starts_at, NumberRental.ends_at).where(
        NumberRental.account_id == account.id, NumberRental.digits == digits,
        NumberRental.starts_at >= purchase.purchased_at,
        *(() if purchase.released_at is None
          else (NumberRental.starts_at < purchase.released_at,)))).all()
    prepaid = (purchase.purchased_at, add_months(purchase.purchased_at, purchase.months))
    parts = []
    for starts_at, ends_at in rentals:
        held = _clip((starts_at, ends_at or month[1]), month)
        if held:
            parts += _minus(held, prepaid)
    return parts


def _clip(interval: Interval, bounds: Interval) -> Interval | None:
    start, end = max(interval[0], bounds[0]), min(interval[1], bounds[1])
    return (start, end) if start < end else None


def _minus(interval: Interval, cut: Interval) -> list[Interval]:
    """What is left of ``interval`` outside ``cut`` (0, 1 or 2 pieces)."""
    pieces = [(interval[0], min(interval[1], cut[0])), (max(interval[0], cut[1]), interval[1])]
    return [(a, b) for a, b in pieces if a < b]


def _seconds(interval: Interval) -> int:
    return int((interval[1] - interval[0]).total_seconds())


def _minutes(session: Session, account: Account, month: Month, digits: str,
             part: Interval) -> int:
    """The number's rated 400 minutes of calls that started in ``part`` (kept as its
    calls are rated, so a bill does not sum them again)."""
    return totals.number_minutes(session, account.id, month, digits, part)
