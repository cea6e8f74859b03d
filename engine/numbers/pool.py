"""Buying a 400 number from the pool: by tier, the first purchase covering three
months of the tier's minimum spend, the handler's documents due within seven days or
the number goes back to the pool (``release_overdue``, run by ``ccc serve``)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, Invalid, NotFound
from engine.messages import N_
from engine.numbers.models import Number, NumberType
from engine.numbers.pool_models import NumberPurchase, NumberTier, PoolNumber
from engine.numbers.rentals import close_rental, open_rental
from engine.numbers.service import check_digits
from engine.validation import FieldErrors

FIRST_PURCHASE_MONTHS = 3
DOCUMENTS_WITHIN = timedelta(days=7)


def _held():
    """A pool number is held while a purchase of it is not released."""
    return exists().where(NumberPurchase.pool_number_id == PoolNumber.id,
                          NumberPurchase.released_at.is_(None))


def tiers(session: Session) -> list[NumberTier]:
    return list(session.scalars(select(NumberTier).order_by(NumberTier.position)))


def get_tier(session: Session, name) -> NumberTier:
    tier = session.get(NumberTier, name) if isinstance(name, str) else None
    if tier is None:
        raise Invalid(N_("unknown tier %(name)r: choose one of %(choices)s", name=name,
                         choices=", ".join(t.name for t in tiers(session))))
    return tier


def add_to_pool(session: Session, digits: str, tier: str,
                supplier_id: int | None = None) -> PoolNumber:
    """Offer a 400 number for sale (the platform's operators)."""
    check_digits(digits, NumberType.N400)
    get_tier(session, tier)
    if session.scalar(select(PoolNumber).where(PoolNumber.digits == digits)) or \
            session.scalar(select(Number).where(Number.digits == digits)):
        raise Conflict(N_("number %(digits)s is already in use", digits=digits))
    entry = PoolNumber(digits=digits, tier=tier, supplier_id=supplier_id)
    session.add(entry)
    session.flush()
    return entry


def available(session: Session, tier: str | None = None) -> list[PoolNumber]:
    """The pool's free numbers, by tier then digits."""
    query = select(PoolNumber).where(~_held())
    if tier is not None:
        query = query.where(PoolNumber.tier == get_tier(session, tier).name)
    return list(session.scalars(query.order_by(PoolNumber.tier, PoolNumber.digits)))


def buy(session: Session, account_id: int, digits: str, now: datetime) -> NumberPurchase:
    """The account buys a free pool number: it becomes the account's 400 number (no
    instance yet: its routing is set next), three months are charged."""
    errors = FieldErrors()
    errors.check("digits", check_digits, digits, NumberType.N400)
    errors.raise_if_any()
    entry = session.scalar(select(PoolNumber).where(PoolNumber.digits == digits, ~_held()))
    if entry is None:
        raise NotFound(N_("no free pool number %(digits)s", digits=digits))
    tier = get_tier(session, entry.tier)
    number = Number(account_id=account_id, digits=digits, type=NumberType.N400,
                    supplier_id=entry.supplier_id)
    session.add(number)
    session.flush()
    open_rental(session, number, now, FIRST_PURCHASE_MONTHS)
    purchase = NumberPurchase(
        account_id=account_id, pool_number_id=entry.id, number_id=number.id, tier=tier.name,
        minimum_monthly_spend=tier.minimum_monthly_spend, months=FIRST_PURCHASE_MONTHS,
        amount=tier.minimum_monthly_spend * FIRST_PURCHASE_MONTHS, purchased_at=now,
        documents_due_at=now + DOCUMENTS_WITHIN)
    session.add(purchase)
    session.flush()
    return purchase


def purchase_of(session: Session, account_id: int, digits: str) -> NumberPurchase:
    """The account's live purchase of ``digits`` (another account's: not found)."""
    purchase = session.scalar(
        select(NumberPurchase).join(PoolNumber, PoolNumber.id == NumberPurchase.pool_number_id)
        .where(PoolNumber.digits == digits, NumberPurchase.account_id == account_id,
               NumberPurchase.released_at.is_(None)))
    if purchase is None:
        raise NotFound(N_("no 400 number %(digits)s bought by this account", digits=digits))
    return purchase


def submit_documents(session: Session, purchase: NumberPurchase,
                     now: datetime) -> NumberPurchase:
    """The handler's documents are in: the number stays the account's."""
    if purchase.documents_submitted_at is None:
        purchase.documents_submitted_at = now
        session.flush()
    return purchase


def release_overdue(session: Session, now: datetime) -> list[str]:
    """Give back to the pool every number whose documents were not in at their due
    moment (from that moment on, never before). Returns their digits."""
    overdue = list(session.scalars(select(NumberPurchase).where(
        NumberPurchase.released_at.is_(None), NumberPurchase.documents_submitted_at.is_(None),
        NumberPurchase.documents_due_at <= now)))
    released = []
    for purchase in overdue:
        number = session.get(Number, purchase.number_id) if purchase.number_id else None
        if number is not None:
            released.append(number.digits)
            release_number(session, number, now)
        purchase.released_at = now
    session.flush()
    return released


def release_number(session: Session, number: Number, now: datetime) -> None:
    """The number leaves the account at ``now`` (its rental ends there); a pool number
    goes back to the pool."""
    close_rental(session, number, now)
    for purchase in session.scalars(select(NumberPurchase).where(
            NumberPurchase.number_id == number.id, NumberPurchase.released_at.is_(None))):
        purchase.released_at = now
    session.delete(number)
    session.flush()


def purchase_json(purchase: NumberPurchase, digits: str) -> dict:
    """One serializer for the CLI's --json and the API."""
    return {"id": purchase.id, "digits": digits, "tier": purchase.tier,
            "minimum_monthly_spend": str(purchase.minimum_monthly_spend),
            "months": purchase.months, "amount": str(purchase.amount),
            "purchased_at": purchase.purchased_at.isoformat(),
            "documents_due_at": purchase.documents_due_at.isoformat(),
            "documents_submitted_at": purchase.documents_submitted_at.isoformat()
            if purchase.documents_submitted_at else None,
            "released_at": purchase.released_at.isoformat() if purchase.released_at else None}
