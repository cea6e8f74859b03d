"""Rating: call records become rated usage, one row per connected call, by billing item.

- A call is rated in the month it starts, on the billing clock (engine.billing.periods),
  even when it ends in the next month.
- Every started minute counts as a whole minute: minutes = (billable seconds + 59) // 60.
- Only connected calls are rated (answered, at least one billable second): an
  unanswered call costs nothing on either plan.
- Rating an account's month again replaces its rated rows by the same ones, and the
  rows are keyed on the call record, so a record ingested twice is charged once.
- The month's rows are written by one INSERT ... SELECT, in the database: a million
  calls never pass through Python.
- A bill or an export rates only the calls ingested since the month was last rated
  (``rate_new_calls``; the month's seats and number rent are brought up to date each
  time, calls or not): records only ever get new ids, so they are the records above the
  last rating's highest id, and their rows are the same ones a full rating writes.
  Voice packages are allocated again from the first new call on, which is only the new
  calls when they came in order; a call that arrives out of order re-allocates the
  calls that started after it, not the whole month.
- Each rating keeps the month's running totals (engine.billing.totals) that bills
  read, adjusted by what the calls it touched sum before and after.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from engine.accounts.models import Account, BillingPlan
from engine.agents.seats import seats_during
from engine.billing import packages, totals
from engine.billing.detail import line
from engine.billing.models import Item, MonthlyCharge, RatedUsage, RatingRun
from engine.billing.periods import Month
from engine.billing.tariffs import is_free
from engine.calls.models import CallRecord, Direction
from engine.db import utcnow
from engine.errors import Invalid
from engine.instances.models import Instance
from engine.numbers.models import Number, NumberType
from engine.numbers.rentals import held_during
from engine.messages import N_

CALL_ITEMS = (Item.LANDLINE_INBOUND, Item.LANDLINE_OUTBOUND, Item.INBOUND_400)
RATED_COLUMNS = ("call_record_id", "account_id", "instance_id", "month", "item", "started_at",
                 "minutes", "package_minutes", "recorded", "detail")


@dataclass
class Rated:
    account: str
    month: str
    calls: int


def rate_month(session: Session, month: Month, account: Account | None = None) -> list[Rated]:
    """Rate one month of one account, or of every account; returns calls rated per account."""
    start, _ = month.utc_bounds()
    if start > utcnow():
        message = N_("month %(month)s has not started yet", month=month)
        raise Invalid(message, fields={"month": message})
    accounts = [account] if account else list(session.scalars(select(Account).order_by(Account.id)))
    results = []
    for each in accounts:
        free = _free_items(session, each)
        packages.reset(session, each.id, month)
        totals.clear(session, each.id, month)
        session.execute(delete(RatedUsage).where(RatedUsage.account_id == each.id,
                                                 RatedUsage.month == month.key))
        calls = _insert_rated_calls(session, each, month)
        valid = packages.allocate(session, each, month)
        totals.apply(session, each.id, month, totals.Tail(), totals.tail(session, each.id, month))
        _reallocate_later_months(session, each, month, valid)
        _charge_monthly_fees(session, each, month)
        _record_run(session, each, month, calls, free)
        results.append(Rated(each.name, month.key, calls))
    session.flush()
    return results


def rate_new_calls(session: Session, account: Account, month: Month) -> int | None:
    """Bring an account's month up to date before a bill or an export: nothing when no
    call came in since it was rated, only the new calls when it was rated before, the
    whole month otherwise. Returns how many calls were rated (None: nothing to do)."""
    run = _run_of(session, account, month)
    if run is None:
        [rated] = rate_month(session, month, account)
        return rated.calls
    free = _free_items(session, account)
    newer = _newer_calls(session, account, month, run.last_call_id)
    if not newer and run.free_items == free:
        # No call since, but a number bought or a seat added since the month was rated
        # is charged for it all the same: fees follow what exists, not the calls.
        _charge_monthly_fees(session, account, month)
        session.flush()
        return None
    starts = _insert_rated_calls(session, account, month, after_id=run.last_call_id) \
        if newer else []
    if run.free_items != free:
        # An item became free or stopped being free: which calls packages pay for
        # changed all over the month.
        _reallocate(session, account, month, None, run.last_call_id)
    elif starts:
        # The calls that started from the first new one on are all a new call changes:
        # packages are allocated again from there (only the new calls when they came
        # in order) and the totals adjusted by what those calls sum now.
        _reallocate(session, account, month, min(starts), run.last_call_id)
    if starts:
        totals.add_number_minutes(session, account.id, month, min(starts), run.last_call_id)
    _charge_monthly_fees(session, account, month)
    _record_run(session, account, month, run.calls + len(starts), free)
    session.flush()
    return len(starts)


def _reallocate(session: Session, account: Account, month: Month, since, rated_upto: int | None,
                later_months: bool = True) -> None:
    """Allocate packages again to the calls that started at ``since`` or later (all with
    None) and adjust the totals by the difference; calls above ``rated_upto`` are new
    (not in the totals yet)."""
    before = totals.tail(session, account.id, month, since, upto_id=rated_upto)
    packages.reset(session, account.id, month, since)
    valid = packages.allocate(session, account, month, since, reset_uses=before.packages)
    totals.apply(session, account.id, month, before, totals.tail(session, account.id, month,
                                                                 since))
    if later_months:
        _reallocate_later_months(session, account, month, valid)


def _free_items(session: Session, account: Account) -> str:
    """The call items free on the account's plan now: packages do not pay for them."""
    return ",".join(item.value for item in CALL_ITEMS if is_free(session, account.plan,
                                                                  item.value))


def call_item():
    """The billing item of a call: 400 inbound, else landline inbound or outbound.

    Numbers of every other type (95, virtual mobile, international) are billed as
    landline minutes: the tariffs price minutes by direction only.
    """
    inbound = CallRecord.direction == Direction.INBOUND
    return case((and_(inbound, Number.type == NumberType.N400), Item.INBOUND_400.value),
                (inbound, Item.LANDLINE_INBOUND.value),
                else_=Item.LANDLINE_OUTBOUND.value)


def _insert_rated_calls(session: Session, account: Account, month: Month,
                        after_id: int | None = None):
    """Rate the month's calls; returns how many rows were written. With ``after_id``,
    only the calls above it, and returns when each of them started."""
    start, end = month.utc_bounds()
    newer = () if after_id is None else (CallRecord.id > after_id,)
    calls = (
        select(CallRecord.id, CallRecord.instance_id, call_item().label("item"),
               CallRecord.started_at, CallRecord.ended_at, CallRecord.caller,
               CallRecord.callee, ((CallRecord.billable_seconds + 59) // 60).label("minutes"),
               CallRecord.recorded.label("recorded"))
        .join(Instance, Instance.id == CallRecord.instance_id)
        .join(Number, Number.digits == CallRecord.number)
        .where(Instance.account_id == account.id,
               CallRecord.started_at >= start, CallRecord.started_at < end,
               CallRecord.direction.in_([Direction.INBOUND, Direction.OUTBOUND]),
               CallRecord.answered_at.is_not(None), CallRecord.billable_seconds > 0,
               *newer)
        .subquery())
    detail = line(account_id=literal(account.id), item=calls.c.item, minutes=calls.c.minutes,
                  instance_id=calls.c.instance_id, payg=account.plan is BillingPlan.PAYG,
                  started_at=calls.c.started_at, ended_at=calls.c.ended_at,
                  caller=calls.c.caller, callee=calls.c.callee,
                  offset_minutes=month.offset_minutes)
    rows = select(calls.c.id, literal(account.id), calls.c.instance_id, literal(month.key),
                  calls.c.item, calls.c.started_at, calls.c.minutes, literal(0),
                  calls.c.recorded, detail)
    statement = insert(RatedUsage).from_select(RATED_COLUMNS, rows)
    if after_id is not None:  # a few new rows, returned as written (read back, a query
        # by id range may scan the month's index)
        return list(session.scalars(statement.returning(RatedUsage.started_at)))
    session.execute(statement)
    return session.scalar(select(func.count()).select_from(RatedUsage).where(
        RatedUsage.account_id == account.id, RatedUsage.month == month.key))


def _reallocate_later_months(session: Session, account: Account, month: Month,
                             valid: list) -> None:
    """A package that also covers later, already rated months: what they took from it
    depends on what this month took, so they are allocated again."""
    if not valid:
        return
    last = max(p.valid_until for p in valid)
    later = session.scalars(select(RatingRun.month).where(
        RatingRun.account_id == account.id, RatingRun.month > month.key,
        RatingRun.month <= f"{last.year:04d}-{last.month:02d}").order_by(RatingRun.month))
    for key in list(later):
        _reallocate(session, account, Month.parse(key, month.offset_minutes), None, None,
                    later_months=False)


def _charge_monthly_fees(session: Session, account: Account, month: Month) -> None:
    """Seats (seat plan) and number rent, once per subject and month.

    What existed during the month is charged: every number the account rented and
    every seat that existed at some moment of it (their periods), whether or not they
    still exist when the month is rated; one added after the month is not. Rating it
    again never drops one already charged.
    """
    start, end = month.utc_bounds()
    wanted = [(Item.NUMBER_RENT.value, kind, digits)
              for kind, digits in held_during(session, account.id, start, end)]
    if account.plan is BillingPlan.SEAT:
        wanted += [(Item.PLATFORM.value, "", f"{Instance.pbx_key_for(i)}-{ext}")
                   for i, ext in seats_during(session, account.id, start, end)]
    charged = set(session.execute(select(MonthlyCharge.item, MonthlyCharge.subject).where(
        MonthlyCharge.account_id == account.id, MonthlyCharge.month == month.key)))
    session.add_all(MonthlyCharge(account_id=account.id, month=month.key, item=item,
                                  variant=variant, subject=subject)
                    for item, variant, subject in wanted if (item, subject) not in charged)


def _run_of(session: Session, account: Account, month: Month) -> RatingRun | None:
    return session.scalar(select(RatingRun).where(RatingRun.account_id == account.id,
                                                  RatingRun.month == month.key))


def _record_run(session: Session, account: Account, month: Month, calls: int,
                free_items: str) -> None:
    run = _run_of(session, account, month)
    if run is None:
        run = RatingRun(account_id=account.id, month=month.key, calls=calls)
        session.add(run)
    run.calls, run.rated_at, run.free_items = calls, utcnow(), free_items
    run.last_call_id = session.scalar(select(func.max(CallRecord.id))) or 0


def is_up_to_date(session: Session, account: Account, month: Month) -> bool:
    """Rated, and no call of that month ingested since (records only ever get new ids)."""
    run = _run_of(session, account, month)
    if run is None:
        return False
    return _newer_calls(session, account, month, run.last_call_id) is False


def _newer_calls(session: Session, account: Account, month: Month, last_call_id: int) -> bool:
    """Whether a call of the account's month was ingested after ``last_call_id``."""
    start, end = month.utc_bounds()
    newer = select(CallRecord.id).join(Instance, Instance.id == CallRecord.instance_id).where(
        Instance.account_id == account.id, CallRecord.id > last_call_id,
        CallRecord.started_at >= start, CallRecord.started_at < end)
    return bool(session.scalar(select(newer.exists())))
