"""The tariff table (data, seeded by migration 0002) and the arithmetic of tiers."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import BillingPlan
from engine.billing.models import Item, Tariff
from engine.billing.money import parse_decimal
from engine.errors import Invalid, NotFound
from engine.messages import N_


@dataclass(frozen=True)
class Tier:
    start: int            # first unit of the month this price applies to
    end: int | None       # first unit it no longer applies to (None: no end)
    unit_price: Decimal
    unit: str


def list_tariffs(session: Session, plan: str | None = None) -> list[Tariff]:
    """Every price step, grouped by plan and item in bill order."""
    query = select(Tariff)
    if plan is not None:
        query = query.where(Tariff.plan == parse_plan(plan))
    order = {item.value: n for n, item in enumerate(Item)}
    return sorted(session.scalars(query), key=lambda t: (
        t.plan.value, order.get(t.item, len(order)), t.item, t.variant, t.tier_from))


def parse_plan(plan: str) -> BillingPlan:
    try:
        return BillingPlan(plan)
    except ValueError:
        raise Invalid(N_("invalid plan %(plan)r: choose payg or seat", plan=plan)) from None


def set_price(session: Session, plan: str, item: str, price: str, variant: str = "",
              tier_from: int = 0) -> Tariff:
    """Change (or add) one price step of a plan's item; bills computed later use it."""
    billing_plan = parse_plan(plan)
    if item not in {i.value for i in Item}:
        raise Invalid(N_("unknown billing item %(item)r: choose one of %(choices)s", item=item,
                         choices=", ".join(i.value for i in Item)))
    if tier_from < 0:
        raise Invalid(N_("a tier starts at 0 units or more"))
    steps = tariff_steps(session, billing_plan, item, variant)
    tariff = next((t for t in steps if t.tier_from == tier_from), None)
    if tariff is None:
        if not steps:
            raise NotFound(N_("no tariff for %(item)s on plan %(plan)s",
                              item=f"{item} {variant}".strip(), plan=plan))
        tariff = Tariff(plan=billing_plan, item=item, variant=variant, tier_from=tier_from,
                        unit=steps[0].unit, unit_price=Decimal(0))
        session.add(tariff)
    tariff.unit_price = parse_decimal(price, "price", 4)
    session.flush()
    return tariff


def tariff_steps(session: Session, plan: BillingPlan, item: str, variant: str = ""
                 ) -> list[Tariff]:
    return list(session.scalars(select(Tariff).where(
        Tariff.plan == plan, Tariff.item == item, Tariff.variant == variant)
        .order_by(Tariff.tier_from)))


def tiers(session: Session, plan: BillingPlan, item: str, variant: str = "") -> list[Tier]:
    """The price steps of an item, each with where it ends; an error if it has none."""
    steps = tariff_steps(session, plan, item, variant)
    if not steps:
        raise NotFound(N_("no tariff for %(item)s on plan %(plan)s",
                          item=f"{item} {variant}".strip(), plan=plan.value))
    ends = [s.tier_from for s in steps[1:]] + [None]
    return [Tier(s.tier_from, end, s.unit_price, s.unit)
            for s, end in zip(steps, ends, strict=True)]


def split_by_tier(steps: list[Tier], quantity: int) -> list[tuple[Tier, int]]:
    """Graduated tiers: each unit is priced by the tier it falls in within the month.

    With 0.15 up to 10,000 minutes and 0.12 from there, 10,001 minutes are
    10,000 x 0.15 + 1 x 0.12.
    """
    parts = []
    for tier in steps:
        end = quantity if tier.end is None else min(quantity, tier.end)
        if end > tier.start:
            parts.append((tier, end - tier.start))
    return parts


def is_free(session: Session, plan: BillingPlan, item: str) -> bool:
    """An item every step of which costs nothing (seat-plan inbound minutes)."""
    steps = tariff_steps(session, plan, item)
    return bool(steps) and all(s.unit_price == 0 for s in steps)
