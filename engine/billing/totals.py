"""Running totals of rated usage: what a bill reads instead of summing the month's calls.

Rating and corrections touch a tail of an account's month: the calls that started at or
after some moment (all of them when the whole month is rated). The totals are adjusted
by what that tail summed before and what it sums after, so the work is the tail's: a
call that arrives after every other touches itself, whatever the month's size.

The totals are quantities (calls, minutes), never money. A bill prices them with the
tariff, tiers and rounding of the moment it is shown, so a price change or a tier
boundary crossed gives exactly what pricing a full re-rating's sums gives. Only
integers are added and subtracted here: no rounding ever accumulates.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from engine.billing.models import (
    Item, NumberMinutes, PackageMonthUse, PackageUse, RatedUsage, UsageTotal, VoicePackage,
)
from engine.billing.periods import Month
from engine.calls.models import CallRecord

COUNTS = ("calls", "minutes", "package_minutes", "recorded_minutes")


@dataclass
class Tail:
    """The sums of some of a month's rated calls: per item, and per package they used."""

    items: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # COUNTS
    packages: dict[int, int] = field(default_factory=dict)


def _rows(account_id: int, month: Month, since: datetime | None, upto_id: int | None):
    where = [RatedUsage.account_id == account_id, RatedUsage.month == month.key]
    if since is not None:  # the index (account, month, started_at) reads only the tail
        where.append(RatedUsage.started_at >= since)
    if upto_id is not None:
        where.append(RatedUsage.call_record_id <= upto_id)
    return where


def tail(session: Session, account_id: int, month: Month, since: datetime | None = None,
         upto_id: int | None = None) -> Tail:
    """The sums of the month's rated calls that started at ``since`` or later (all with
    None), of those up to call record ``upto_id`` when given (the calls rated before)."""
    where = _rows(account_id, month, since, upto_id)
    items = session.execute(
        select(RatedUsage.item, func.count(), func.sum(RatedUsage.minutes),
               func.sum(RatedUsage.package_minutes),
               func.sum(case((RatedUsage.recorded, RatedUsage.minutes), else_=0)))
        .where(*where).group_by(RatedUsage.item))
    packages = session.execute(
        select(PackageUse.package_id, func.sum(PackageUse.minutes))
        .join(RatedUsage, RatedUsage.call_record_id == PackageUse.call_record_id)
        .where(*where).group_by(PackageUse.package_id))
    return Tail({item: tuple(int(n or 0) for n in counts) for item, *counts in items},
                {package: int(minutes) for package, minutes in packages})


def apply(session: Session, account_id: int, month: Month, before: Tail, after: Tail) -> None:
    """Adjust the month's totals by what a tail summed ``before`` and sums ``after``."""
    for item in sorted(set(before.items) | set(after.items)):
        old, new = before.items.get(item, (0,) * 4), after.items.get(item, (0,) * 4)
        delta = [b - a for a, b in zip(old, new, strict=True)]
        if any(delta):
            _add(session, UsageTotal, dict(account_id=account_id, month=month.key, item=item),
                 dict(zip(COUNTS, delta, strict=True)))
    for package in sorted(set(before.packages) | set(after.packages)):
        delta = after.packages.get(package, 0) - before.packages.get(package, 0)
        if delta:
            _add(session, PackageMonthUse, dict(package_id=package, month=month.key),
                 {"minutes": delta})


def _add(session: Session, model, key: dict, delta: dict) -> None:
    """Add ``delta`` to the row at ``key`` (made if missing, dropped once it is all 0, so
    the totals hold the rows a full rating writes)."""
    where = [getattr(model, name) == value for name, value in key.items()]
    columns = [getattr(model, name) for name in delta]
    current = session.execute(select(*columns).where(*where)).first()
    if current is None:
        session.execute(insert(model).values(**key, **delta))
        return
    summed = {name: old + delta[name] for name, old in zip(delta, current, strict=True)}
    if not any(summed.values()):
        session.execute(delete(model).where(*where))
    else:
        session.execute(update(model).where(*where).values(**summed))


def clear(session: Session, account_id: int, month: Month) -> None:
    """Forget an account's month's totals (before the whole month is rated again)."""
    session.execute(delete(UsageTotal).where(UsageTotal.account_id == account_id,
                                             UsageTotal.month == month.key))
    session.execute(delete(PackageMonthUse).where(
        PackageMonthUse.month == month.key,
        PackageMonthUse.package_id.in_(select(VoicePackage.id).where(
            VoicePackage.account_id == account_id))))
    session.execute(delete(NumberMinutes).where(NumberMinutes.account_id == account_id,
                                                NumberMinutes.month == month.key))


def usage(session: Session, account_id: int, month: Month) -> list[tuple[str, int, int, int]]:
    """(item, minutes, package minutes, recorded minutes) of the month, per item."""
    return [tuple(row) for row in session.execute(
        select(UsageTotal.item, UsageTotal.minutes, UsageTotal.package_minutes,
               UsageTotal.recorded_minutes)
        .where(UsageTotal.account_id == account_id, UsageTotal.month == month.key)
        .order_by(UsageTotal.item))]


def package_used(session: Session, package_id: int, month: Month, earlier: bool) -> int:
    """Minutes the package paid for in ``month`` (in the months before it, ``earlier``)."""
    in_month = PackageMonthUse.month < month.key if earlier else \
        PackageMonthUse.month == month.key
    return int(session.scalar(select(func.coalesce(func.sum(PackageMonthUse.minutes), 0))
                              .where(PackageMonthUse.package_id == package_id, in_month)))


def number_minutes(session: Session, account_id: int, month: Month, digits: str,
                   part: tuple[datetime, datetime]) -> int:
    """The number's rated 400 minutes of calls that started in ``part``: kept from the
    first bill that asks, then added to as calls are rated."""
    key = (NumberMinutes.account_id == account_id, NumberMinutes.month == month.key,
           NumberMinutes.digits == digits, NumberMinutes.starts_at == part[0],
           NumberMinutes.ends_at == part[1])
    kept = session.scalar(select(NumberMinutes.minutes).where(*key))
    if kept is not None:
        return kept
    minutes = int(session.scalar(
        select(func.coalesce(func.sum(RatedUsage.minutes), 0))
        .join(CallRecord, CallRecord.id == RatedUsage.call_record_id)
        .where(RatedUsage.account_id == account_id, RatedUsage.month == month.key,
               RatedUsage.item == Item.INBOUND_400.value, CallRecord.number == digits,
               RatedUsage.started_at >= part[0], RatedUsage.started_at < part[1])))
    session.execute(insert(NumberMinutes).values(
        account_id=account_id, month=month.key, digits=digits, starts_at=part[0],
        ends_at=part[1], minutes=minutes))
    return minutes


def add_number_minutes(session: Session, account_id: int, month: Month, since: datetime,
                       after_id: int) -> None:
    """Add the calls just rated (above ``after_id``, none started before ``since``) to
    the numbers' kept stretches they started in."""
    new_minutes = (
        select(func.coalesce(func.sum(RatedUsage.minutes), 0))
        .join(CallRecord, CallRecord.id == RatedUsage.call_record_id)
        .where(RatedUsage.account_id == account_id, RatedUsage.month == month.key,
               RatedUsage.started_at >= since, RatedUsage.call_record_id > after_id,
               RatedUsage.item == Item.INBOUND_400.value,
               CallRecord.number == NumberMinutes.digits,
               and_(RatedUsage.started_at >= NumberMinutes.starts_at,
                    RatedUsage.started_at < NumberMinutes.ends_at))
        .scalar_subquery())
    session.execute(update(NumberMinutes)
                    .where(NumberMinutes.account_id == account_id,
                           NumberMinutes.month == month.key, NumberMinutes.ends_at > since)
                    .values(minutes=NumberMinutes.minutes + new_minutes)
                    .execution_options(synchronize_session=False))
