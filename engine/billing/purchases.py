"""The first purchase of a pool 400 number on the bill.

Buying a number from the pool pays three months of its tier's minimum monthly spend
up front (``NumberPurchase.amount``). That price is one ``Purchase_400`` line per
number on the bill of the billing month the purchase was made in, whole (not prorated:
it pays for the three months the minimum-spend rule then leaves out, whichever months
they fall in), discounted by the contract like every other line.

A number given back to the pool because its handler's documents were not in by their
due moment is not charged: the account never got to use it, and the purchase's line
leaves the purchase month's bill (a payment already made for it then shows as paid
beyond that bill). A number the account keeps, or gives back later of its own accord,
stays charged.

The line is computed from the purchases whenever the bill is, not stored at rating:
a bill shown before the purchase carries it the next time it is shown, with no call
in between.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import Account
from engine.billing.periods import Month
from engine.numbers.pool_models import NumberPurchase, PoolNumber


@dataclass(frozen=True)
class PurchaseCharge:
    """One pool number's first purchase, as a month's bill charges it."""

    digits: str
    tier: str
    minimum_monthly_spend: Decimal   # the tier's, for a whole month
    months: int                      # the prepaid term (3)
    amount: Decimal                  # minimum_monthly_spend x months
    purchased_at: datetime           # naive UTC

    def as_dict(self) -> dict:
        return {"digits": self.digits, "tier": self.tier,
                "minimum_monthly_spend": str(self.minimum_monthly_spend),
                "months": self.months, "amount": str(self.amount),
                "purchased_at": self.purchased_at.isoformat() + "Z"}


def withdrawn(purchase: NumberPurchase) -> bool:
    """Given back because the handler's documents were not in by their due moment:
    the purchase costs nothing."""
    return purchase.released_at is not None and purchase.documents_submitted_at is None \
        and purchase.released_at >= purchase.documents_due_at


def purchases_billed(session: Session, account: Account, month: Month) -> list[PurchaseCharge]:
    """The account's pool purchases made in ``month`` (on the billing clock) that are
    charged, in the order they were made."""
    start, end = month.utc_bounds()
    rows = session.execute(
        select(NumberPurchase, PoolNumber.digits)
        .join(PoolNumber, PoolNumber.id == NumberPurchase.pool_number_id)
        .where(NumberPurchase.account_id == account.id, NumberPurchase.purchased_at >= start,
               NumberPurchase.purchased_at < end)
        .order_by(NumberPurchase.purchased_at, PoolNumber.digits)).all()
    return [PurchaseCharge(digits, p.tier, p.minimum_monthly_spend, p.months, p.amount,
                           p.purchased_at) for p, digits in rows if not withdrawn(p)]
