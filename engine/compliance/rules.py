"""The outbound rules as pure functions: a supplier's policy, the moment, the number's
live calls and its earlier calls to the callee in; the first rule broken out.

No database and no PBX here, so every rule is unit-tested on plain values. Times are
naive UTC (as the database keeps them) unless a function says otherwise; calling hours
and calendar days are judged on the supplier's own clock (an IANA time zone).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

DEFAULT_CONCURRENCY = 20  # carriers block a number that carries more outbound calls at once
DAY_MINUTES = 24 * 60


class Refusal(str, enum.Enum):
    """Why an outbound call does not go out. The values reach the dialplan (the prompt
    each one plays) and the call record, so they are plain lower-case words."""

    NOT_PERMITTED = "not_permitted"        # the number is not one of the agent's groups'
    INBOUND_ONLY = "inbound_only"          # a 400 number never shows as a caller ID
    CONCURRENCY = "concurrency"            # the number carries its maximum of calls now
    OUTSIDE_HOURS = "outside_hours"        # outside the supplier's calling hours
    BLOCKED_REGION = "blocked_region"      # the callee's region is one the supplier refuses
    FREQUENCY_CAP = "frequency_cap"        # the callee was called as often as allowed
    INDUSTRY = "industry"                  # a marketing number's supplier refuses the industry
    # Set by the dialplan itself when no decision came back (the AGI server is down,
    # the database failed): the call is refused rather than let out unchecked.
    UNAVAILABLE = "compliance_unavailable"


@dataclass(frozen=True)
class Window:
    """Calling hours on some weekdays (0 = Monday), from ``start`` to ``end`` minutes
    after midnight. An ``end`` at or before ``start`` runs past midnight into the next
    day (22:00-02:00 on Friday covers Saturday until 02:00)."""

    weekdays: frozenset[int]
    start: int
    end: int

    def covers(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        if self.start < self.end:
            return day in self.weekdays and self.start <= minute < self.end
        yesterday = (day - 1) % 7
        return (day in self.weekdays and minute >= self.start) or \
            (yesterday in self.weekdays and minute < self.end)


@dataclass(frozen=True)
class Policy:
    """A supplier's restrictions on the numbers it provides. No windows: any hour;
    a cap of None: no cap of that kind."""

    time_zone: str = "UTC"
    calling_hours: tuple[Window, ...] = ()
    calls_per_day: int | None = None    # per calendar day on the supplier's clock
    calls_per_24h: int | None = None    # in any 24 hours
    calls_per_48h: int | None = None    # in any 48 hours
    blocked_regions: tuple[str, ...] = ()
    concurrency: int = DEFAULT_CONCURRENCY
    # Industries the supplier does not serve on marketing numbers (account industry codes).
    refused_industries: frozenset[str] = frozenset()


UNRESTRICTED = Policy()


@dataclass(frozen=True)
class Call:
    """What is known of one outbound call when it is decided."""

    now: datetime                        # naive UTC
    live_calls: int                      # the number's calls on the PBX, this one included
    earlier: tuple[datetime, ...] = ()   # this number's earlier calls to the callee (UTC)
    regions: tuple[str, ...] = field(default=())  # the callee's region names, any language
    marketing: bool = False              # the number is one for marketing calls
    industry: str | None = None          # the calling account's industry, when known


def local_time(now: datetime, time_zone: str) -> datetime:
    return now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(time_zone))


def within_hours(policy: Policy, now: datetime) -> bool:
    if not policy.calling_hours:
        return True
    local = local_time(now, policy.time_zone)
    return any(window.covers(local) for window in policy.calling_hours)


def day_start(now: datetime, time_zone: str) -> datetime:
    """The start of the supplier's calendar day that holds ``now``, as naive UTC."""
    local = local_time(now, time_zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # A day may not start at 00:00 on a change of clocks; normalising through UTC
    # keeps the instant the zone gives for that wall time.
    return midnight.astimezone(timezone.utc).replace(tzinfo=None)


def cap_windows(policy: Policy, now: datetime) -> list[tuple[datetime, int]]:
    """Each cap as (since when calls count, how many are allowed), naive UTC."""
    caps = [(day_start(now, policy.time_zone), policy.calls_per_day),
            (now - timedelta(hours=24), policy.calls_per_24h),
            (now - timedelta(hours=48), policy.calls_per_48h)]
    return [(since, limit) for since, limit in caps if limit is not None]


def history_since(policy: Policy, now: datetime) -> datetime | None:
    """How far back earlier calls matter to the caps (None: not at all)."""
    windows = cap_windows(policy, now)
    return min(since for since, _ in windows) if windows else None


def capped(policy: Policy, call: Call) -> bool:
    # No upper bound: a call decided at the same moment may carry a time a little after
    # this one's (its clock was read later, its attempt committed first); it counts.
    return any(sum(1 for at in call.earlier if since <= at) >= limit
               for since, limit in cap_windows(policy, call.now))


def region_blocked(policy: Policy, regions: tuple[str, ...]) -> bool:
    """A blocked region matches a region name whole, or one of its comma-separated
    parts ("Xinjiang" blocks "Urumqi, Xinjiang"), or, written in Chinese, any part of
    the Chinese name ("新疆" blocks "新疆维吾尔自治区乌鲁木齐市"); case does not matter."""
    parts = {p.strip().casefold() for name in regions for p in [name, *name.split(",")]}
    for blocked in policy.blocked_regions:
        wanted = blocked.strip().casefold()
        if wanted in parts or (not wanted.isascii() and any(wanted in r for r in regions)):
            return True
    return False


def industry_refused(policy: Policy, call: Call) -> bool:
    """Industry limits bind marketing numbers only. An account whose industry is not
    known cannot show it is outside the refused ones: refused too (fail closed), when
    the supplier refuses any."""
    if not call.marketing or not policy.refused_industries:
        return False
    return call.industry is None or call.industry in policy.refused_industries


def refusal(policy: Policy, call: Call) -> Refusal | None:
    """The first rule the call breaks, or None when it may go out."""
    if industry_refused(policy, call):
        return Refusal.INDUSTRY
    if call.live_calls > policy.concurrency:
        return Refusal.CONCURRENCY
    if not within_hours(policy, call.now):
        return Refusal.OUTSIDE_HOURS
    if region_blocked(policy, call.regions):
        return Refusal.BLOCKED_REGION
    if capped(policy, call):
        return Refusal.FREQUENCY_CAP
    return None
