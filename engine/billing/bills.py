"""The monthly bill of an account and the payments that settle it.

A 400 number bought from the pool adds a ``Purchase_400`` line to the bill of the month
it was bought in (its three prepaid months: engine.billing.purchases), and a
``MinimumSpend_400`` line when its calls fell short of its tier's minimum monthly spend
after them (engine.billing.minimum_spend).

Rounding: each bill line's original price is unit price x usage rounded half-up to
the fen; its discount is the original price x the contract discount, rounded half-up
to the fen; amount payable is original minus discount. Totals are sums of lines, so
the lines always add up to the total.
"""
from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.accounts.models import Account, BillingPlan
from engine.billing import rating, totals
from engine.billing.contracts import discount_for
from engine.billing.minimum_spend import Shortfall, shortfalls
from engine.billing.models import Item, MonthlyCharge, Payment
from engine.billing.money import parse_decimal, show, to_fen
from engine.billing.periods import Month
from engine.billing.purchases import PurchaseCharge, purchases_billed
from engine.billing.tariffs import Tier, split_by_tier, tiers
from engine.errors import Invalid
from engine.messages import N_

# The bill columns, in order.
BILL_COLUMNS = ("billing_item", "unit_price", "price_unit", "usage", "usage_unit",
                "original_price", "discount", "amount_payable", "amount_unpaid")
ITEM_ORDER = [item.value for item in Item]


@dataclass
class BillLine:
    billing_item: str
    unit_price: Decimal
    price_unit: str
    usage: int
    usage_unit: str
    original_price: Decimal
    discount: Decimal
    amount_payable: Decimal
    amount_unpaid: Decimal = Decimal(0)

    def as_row(self) -> dict:
        row = asdict(self)
        for key in ("unit_price", "original_price", "discount", "amount_payable",
                    "amount_unpaid"):
            row[key] = show(row[key])
        return row


@dataclass
class Bill:
    account: str
    month: str
    plan: str
    discount_percent: Decimal
    lines: list[BillLine]
    paid: Decimal
    minimum_spend: list[Shortfall] = field(default_factory=list)
    number_purchases: list[PurchaseCharge] = field(default_factory=list)

    @property
    def original(self) -> Decimal:
        return sum((line.original_price for line in self.lines), Decimal("0.00"))

    @property
    def discount(self) -> Decimal:
        return sum((line.discount for line in self.lines), Decimal("0.00"))

    @property
    def payable(self) -> Decimal:
        return sum((line.amount_payable for line in self.lines), Decimal("0.00"))

    @property
    def unpaid(self) -> Decimal:
        return self.payable - self.paid


def bill(session: Session, account: Account, month: Month) -> Bill:
    """The account's bill for ``month``; rated first if never, or calls came in since."""
    rating.rate_new_calls(session, account, month)
    percent = discount_for(session, account.id, month)
    lines = []
    for item, variant, label, quantity in _usage(session, account, month):
        lines += _priced(session, account.plan, item, variant, label, quantity, percent)
    purchases = purchases_billed(session, account, month)
    lines += [_purchase_line(each, percent) for each in purchases]
    minimum = shortfalls(session, account, month)
    lines += [_shortfall_line(each, percent) for each in minimum if each.shortfall]
    paid = paid_for(session, account, month)
    _spread_payments(lines, paid)
    return Bill(account.name, month.key, account.plan.value, percent, lines, paid, minimum,
                purchases)


def _purchase_line(purchase: PurchaseCharge, percent: Decimal) -> BillLine:
    """A pool number's first purchase: its tier's minimum for each prepaid month."""
    step = Tier(0, None, purchase.minimum_monthly_spend, "month")
    return _line(f"{Item.PURCHASE_400.value} {purchase.digits}", step, purchase.months, percent)


def _shortfall_line(shortfall: Shortfall, percent: Decimal) -> BillLine:
    """What tops one number's 400 charges up to its minimum: the shortfall, once."""
    step = Tier(0, None, shortfall.shortfall, "number")
    return _line(f"{Item.MINIMUM_SPEND_400.value} {shortfall.digits}", step, 1, percent)


def _usage(session: Session, account: Account, month: Month):
    """(item, variant, label, quantity charged) in bill order; package minutes apart."""
    rated = totals.usage(session, account.id, month)  # kept as calls are rated: no sum
    # over the month's calls, whatever their number
    usage = []
    for item, minutes, from_packages, _ in rated:
        if from_packages:
            usage.append((item, "", f"{item} (voice package)", -int(from_packages)))
        if minutes - from_packages:
            usage.append((item, "", item, int(minutes - from_packages)))
    all_minutes = sum(int(r[1]) for r in rated)
    if account.plan is BillingPlan.PAYG and all_minutes:
        usage.append((Item.PLATFORM.value, "", Item.PLATFORM.value, all_minutes))
    recorded = sum(int(r[3]) for r in rated)
    if recorded:
        usage.append((Item.RECORD_STORAGE.value, "", Item.RECORD_STORAGE.value, recorded))
    monthly = session.execute(
        select(MonthlyCharge.item, MonthlyCharge.variant, func.count())
        .where(MonthlyCharge.account_id == account.id, MonthlyCharge.month == month.key)
        .group_by(MonthlyCharge.item, MonthlyCharge.variant))
    usage += [(item, variant, f"{item} {variant}".strip(), count)
              for item, variant, count in monthly]
    return sorted(usage, key=lambda u: (ITEM_ORDER.index(u[0]), u[1], u[3] > 0, u[2]))


def _priced(session, plan, item, variant, label, quantity, percent) -> list[BillLine]:
    steps = tiers(session, plan, item, variant)
    if quantity < 0:  # minutes a voice package paid for: shown, not charged
        free = Tier(0, None, Decimal(0), steps[0].unit)
        return [_line(label, free, -quantity, percent)]
    return [_line(label if len(steps) == 1 else f"{label} (from {tier.start})", tier, used,
                  percent) for tier, used in split_by_tier(steps, quantity)]


def _line(label: str, tier: Tier, usage: int, percent: Decimal) -> BillLine:
    original = to_fen(tier.unit_price * usage)
    discount = to_fen(original * percent / 100)
    usage_unit = tier.unit.split("-")[0]  # 3 seat(s) priced per seat-month
    return BillLine(label, tier.unit_price, f"CNY/{tier.unit}", usage, usage_unit, original,
                    discount, original - discount)


def _spread_payments(lines: list[BillLine], paid: Decimal) -> None:
    """Payments settle the lines in bill order, so each line shows what is left of it."""
    for line in lines:
        settled = min(paid, line.amount_payable)
        line.amount_unpaid = line.amount_payable - settled
        paid -= settled


def paid_for(session: Session, account: Account, month: Month) -> Decimal:
    total = session.scalar(select(func.sum(Payment.amount)).where(
        Payment.account_id == account.id, Payment.month == month.key))
    return total if total is not None else Decimal("0.00")


def pay(session: Session, account: Account, month: Month, amount: str,
        reference: str = "") -> Payment:
    """Record a payment against a month's bill; it may not exceed what is unpaid."""
    value = parse_decimal(amount, "amount", 2)
    if value == 0:
        raise _invalid("amount", N_("invalid amount 0: a payment is more than nothing"))
    if len(reference) > 64:
        raise _invalid("reference", N_("reference too long: at most 64 characters"))
    unpaid = bill(session, account, month).unpaid
    if value > unpaid:
        raise _invalid("amount", N_("payment %(amount)s exceeds the unpaid %(unpaid)s CNY of "
                                    "%(account_name)s's bill for %(month)s",
                                    amount=show(value), unpaid=show(unpaid),
                                    account_name=account.name, month=month))
    payment = Payment(account_id=account.id, month=month.key, amount=value, reference=reference)
    session.add(payment)
    session.flush()
    return payment


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, fields={field: message})


def bill_csv(result: Bill) -> str:
    """The bill's lines as CSV: the bill columns as the header, one row per line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, BILL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(line.as_row() for line in result.lines)
    return buffer.getvalue()


def bill_dict(result: Bill) -> dict:
    """The bill as JSON-ready data (amounts as text, so no float ever rounds them)."""
    return {"account": result.account, "month": result.month, "plan": result.plan,
            "discount_percent": str(result.discount_percent),
            "lines": [line.as_row() for line in result.lines],
            "original_price": show(result.original), "discount": show(result.discount),
            "amount_payable": show(result.payable), "paid": show(result.paid),
            "amount_unpaid": show(result.unpaid),
            "minimum_spend": [each.as_dict() for each in result.minimum_spend],
            "number_purchases": [each.as_dict() for each in result.number_purchases]}
