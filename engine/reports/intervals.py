"""Report periods and intervals on the site's clock (the billing clock's UTC offset).

The journals keep UTC; a day, hour or month of a report starts at that clock's
midnight, hour or first of the month, as the bills do.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from engine.errors import Invalid
from engine.messages import N_

INTERVALS = ("15m", "hour", "day", "month")
LONGEST_PERIOD_DAYS = 366


# Days a period may start or end on: the site's clock shifts a day by up to a day, which
# must stay inside what a datetime can hold (year 1 and 9999 overflow).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


def parse_day(text: str, field: str) -> date:
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError):
        raise Invalid(N_("%(field)s must be a date as YYYY-MM-DD, not %(text)r",
                         field=field, text=str(text)[:40]), fields={field: "YYYY-MM-DD"}) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Invalid(N_("%(field)s must be a day from %(first)s to %(last)s",
                         field=field, first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()),
                      fields={field: "YYYY-MM-DD"})
    return day


def check_period(start: date, end: date, interval: str) -> None:
    if interval not in INTERVALS:
        raise Invalid(N_("interval must be one of %(choices)s", choices=", ".join(INTERVALS)),
                      fields={"interval": ", ".join(INTERVALS)})
    if end <= start:
        raise Invalid(N_("the end date must come after the start date"),
                      fields={"to": "after the start date"})
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise Invalid(N_("a report covers at most %(days)d days", days=LONGEST_PERIOD_DAYS),
                      fields={"to": "at most a year after the start"})


def utc_bounds(start: date, end: date, offset_minutes: int) -> tuple[datetime, datetime]:
    """[start, end) as UTC times: both days begin at the site's midnight."""
    shift = timedelta(minutes=offset_minutes)
    return (datetime.combine(start, datetime.min.time()) - shift,
            datetime.combine(end, datetime.min.time()) - shift)


def interval_start(at_utc: datetime, interval: str, offset_minutes: int) -> datetime:
    """The start, on the site's clock, of the interval holding a UTC time."""
    local = at_utc + timedelta(minutes=offset_minutes)
    if interval == "15m":
        return local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    if interval == "day":
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_start(local: datetime, interval: str) -> datetime:
    """The start of the interval after the one starting at ``local``."""
    if interval == "15m":
        return local + timedelta(minutes=15)
    if interval == "hour":
        return local + timedelta(hours=1)
    if interval == "day":
        return local + timedelta(days=1)
    return (local.replace(day=28) + timedelta(days=4)).replace(day=1)
