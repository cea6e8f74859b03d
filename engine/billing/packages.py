"""Voice packages consumed before per-minute charges.

Packages are used oldest expiry first; inside a package's validity, calls take its
minutes in the order they started. A call that finds fewer minutes left than it lasted
takes what is left and pays the rest per minute (or takes it from the next package):
the package runs out in the middle of the call and the call's minutes split.
Each package is applied by two set-based statements, so this stays cheap on a big month;
a correction allocates again only from the first call it touches on.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from engine.accounts.models import Account
from engine.billing import totals
from engine.billing.models import Item, PackageUse, RatedUsage, VoicePackage
from engine.billing.periods import Month
from engine.billing.tariffs import is_free

ITEMS_BY_DIRECTION = {
    "inbound": (Item.LANDLINE_INBOUND.value, Item.INBOUND_400.value),
    "outbound": (Item.LANDLINE_OUTBOUND.value,),
}


def reset(session: Session, account_id: int, month: Month,
          since: datetime | None = None) -> None:
    """Forget what packages paid in an account's month (before it is allocated again);
    with ``since``, only for the calls that started then or later."""
    later = () if since is None else (RatedUsage.started_at >= since,)
    month_rows = select(RatedUsage.call_record_id).where(RatedUsage.account_id == account_id,
                                                         RatedUsage.month == month.key, *later)
    session.execute(delete(PackageUse).where(PackageUse.call_record_id.in_(month_rows)))
    session.execute(update(RatedUsage).where(
        RatedUsage.account_id == account_id, RatedUsage.month == month.key, *later,
        RatedUsage.package_minutes > 0).values(package_minutes=0))


def allocate(session: Session, account: Account, month: Month, since: datetime | None = None,
             reset_uses: dict[int, int] | None = None) -> list[VoicePackage]:
    """Let the account's packages valid in ``month`` pay for its rated minutes.

    A package's minutes left are what earlier months did not use, so rating a month
    never depends on a later one. Returns the packages that were valid.

    ``since``: only the calls that started then or later are allocated (``reset`` has
    forgotten their uses, which were ``reset_uses`` minutes per package); the calls
    before keep what packages paid them. Packages are used in an order and calls take
    minutes in the order they started, so what a package has left at ``since`` is what
    it had left there when the whole month was allocated: going on from there gives
    what allocating the whole month again gives.
    """
    packages = list(session.scalars(select(VoicePackage).where(
        VoicePackage.account_id == account.id,
        VoicePackage.valid_from < month.next_first_day,
        VoicePackage.valid_until >= month.first_day)
        .order_by(VoicePackage.valid_until, VoicePackage.id)))
    reset_uses = reset_uses or {}
    for package in packages:
        items = [i for i in ITEMS_BY_DIRECTION[package.direction]
                 if not is_free(session, account.plan, i)]
        # The month's kept use is still the one from before the reset.
        used_here = totals.package_used(session, package.id, month, earlier=False) \
            - reset_uses.get(package.id, 0)
        left = package.minutes - totals.package_used(session, package.id, month, earlier=True) \
            - used_here
        if items and left > 0:
            _consume(session, package, month, items, left, since)
    return packages


def _consume(session: Session, package: VoicePackage, month: Month, items: list[str],
             left: int, since: datetime | None = None) -> None:
    """Two statements whatever the month's size: which calls take how many minutes
    (a running sum over the calls in start order), then their rows are updated. Both
    read the month's index from ``since`` on only."""
    start, end = month.utc_bounds()
    start = max(start, month.day_start_utc(package.valid_from))
    if since is not None:
        start = max(start, since)
    end = min(end, month.day_start_utc(package.valid_until + timedelta(days=1)))
    unpaid = RatedUsage.minutes - RatedUsage.package_minutes
    in_start_order = (RatedUsage.started_at, RatedUsage.call_record_id)
    in_reach = (RatedUsage.account_id == package.account_id, RatedUsage.month == month.key,
                RatedUsage.item.in_(items), RatedUsage.started_at >= start,
                RatedUsage.started_at < end)
    running = (select(RatedUsage.call_record_id, unpaid.label("unpaid"),
                      func.sum(unpaid).over(order_by=in_start_order).label("through"))
               .where(*in_reach, unpaid > 0)
               .subquery())
    before = running.c.through - running.c.unpaid   # minutes taken by earlier calls
    take = case((running.c.through <= left, running.c.unpaid), else_=left - before)
    session.execute(insert(PackageUse).from_select(
        ["package_id", "call_record_id", "minutes"],
        select(literal(package.id), running.c.call_record_id, take).where(before < left)))
    use = select(PackageUse.minutes).where(
        PackageUse.package_id == package.id,
        PackageUse.call_record_id == RatedUsage.call_record_id)
    session.execute(update(RatedUsage).where(*in_reach, use.exists())
                    .values(package_minutes=RatedUsage.package_minutes
                            + use.scalar_subquery())
                    .execution_options(synchronize_session=False))
