"""Voice packages consumed before per-minute charges.

Packages are used oldest expiry first; inside a package's validity, calls take its
minutes in the order they started. A call that finds fewer minutes left than it lasted
takes what is left and pays the rest per minute (or takes it from the next package):
the package runs out in the middle of the call and the call's minutes split.
Each package is applied by two set-based statements, so this stays cheap on a big month.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from engine.accounts.models import Account
from engine.billing.models import Item, PackageUse, RatedUsage, VoicePackage
from engine.billing.periods import Month
from engine.billing.tariffs import is_free

ITEMS_BY_DIRECTION = {
    "inbound": (Item.LANDLINE_INBOUND.value, Item.INBOUND_400.value),
    "outbound": (Item.LANDLINE_OUTBOUND.value,),
}


def reset(session: Session, account_id: int, month: Month) -> None:
    """Forget what packages paid in an account's month (before it is allocated again)."""
    month_rows = select(RatedUsage.call_record_id).where(RatedUsage.account_id == account_id,
                                                         RatedUsage.month == month.key)
    session.execute(delete(PackageUse).where(PackageUse.call_record_id.in_(month_rows)))
    session.execute(update(RatedUsage).where(
        RatedUsage.account_id == account_id, RatedUsage.month == month.key,
        RatedUsage.package_minutes > 0).values(package_minutes=0))


def allocate(session: Session, account: Account, month: Month,
             after_id: int | None = None) -> list[VoicePackage]:
    """Let the account's packages valid in ``month`` pay for its rated minutes.

    A package's minutes left are what earlier months did not use, so rating a month
    never depends on a later one. Returns the packages that were valid.

    ``after_id``: only the calls rated above that call record id are new, and they
    started after every other call of the month; the others keep what packages paid
    them. A package with minutes left paid every earlier call in its reach in full, so
    going on with the new calls gives what allocating the whole month again gives.
    """
    packages = list(session.scalars(select(VoicePackage).where(
        VoicePackage.account_id == account.id,
        VoicePackage.valid_from < month.next_first_day,
        VoicePackage.valid_until >= month.first_day)
        .order_by(VoicePackage.valid_until, VoicePackage.id)))
    for package in packages:
        items = [i for i in ITEMS_BY_DIRECTION[package.direction]
                 if not is_free(session, account.plan, i)]
        left = package.minutes - _used_before(session, package, month)
        if after_id is not None:
            left -= _used_in(session, package, month)
        if items and left > 0:
            _consume(session, package, month, items, left, after_id)
    return packages


def _used_before(session: Session, package: VoicePackage, month: Month) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(PackageUse.minutes), 0))
        .join(RatedUsage, RatedUsage.call_record_id == PackageUse.call_record_id)
        .where(PackageUse.package_id == package.id, RatedUsage.month < month.key))


def _used_in(session: Session, package: VoicePackage, month: Month) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(PackageUse.minutes), 0))
        .join(RatedUsage, RatedUsage.call_record_id == PackageUse.call_record_id)
        .where(PackageUse.package_id == package.id, RatedUsage.month == month.key))


def _consume(session: Session, package: VoicePackage, month: Month, items: list[str],
             left: int, after_id: int | None = None) -> None:
    """Two statements whatever the month's size: which calls take how many minutes
    (a running sum over the calls in start order), then their rows are updated."""
    start, end = month.utc_bounds()
    start = max(start, month.day_start_utc(package.valid_from))
    end = min(end, month.day_start_utc(package.valid_until + timedelta(days=1)))
    unpaid = RatedUsage.minutes - RatedUsage.package_minutes
    new = () if after_id is None else (RatedUsage.call_record_id > after_id,)
    in_start_order = (RatedUsage.started_at, RatedUsage.call_record_id)
    running = (select(RatedUsage.call_record_id, unpaid.label("unpaid"),
                      func.sum(unpaid).over(order_by=in_start_order).label("through"))
               .where(RatedUsage.account_id == package.account_id,
                      RatedUsage.month == month.key, RatedUsage.item.in_(items),
                      RatedUsage.started_at >= start, RatedUsage.started_at < end,
                      unpaid > 0, *new)
               .subquery())
    before = running.c.through - running.c.unpaid   # minutes taken by earlier calls
    take = case((running.c.through <= left, running.c.unpaid), else_=left - before)
    session.execute(insert(PackageUse).from_select(
        ["package_id", "call_record_id", "minutes"],
        select(literal(package.id), running.c.call_record_id, take).where(before < left)))
    taken = (select(PackageUse.minutes)
             .where(PackageUse.package_id == package.id,
                    PackageUse.call_record_id == RatedUsage.call_record_id)
             .scalar_subquery())
    session.execute(update(RatedUsage).where(
        RatedUsage.account_id == package.account_id, RatedUsage.month == month.key, *new,
        RatedUsage.call_record_id.in_(select(PackageUse.call_record_id)
                          .where(PackageUse.package_id == package.id)))
        .values(package_minutes=RatedUsage.package_minutes + taken)
        .execution_options(synchronize_session=False))
