"""The outbound rules on plain values: calling hours on the supplier's clock (across
time zones, midnight and weekdays), the caps' windows, concurrency, blocked regions."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.compliance.regions import callee_key, callee_regions
from engine.compliance.rules import (Call, Policy, Refusal, Window, capped, day_start,
                                     refusal, region_blocked, within_hours)
from engine.suppliers.service import parse_calling_hours, policy_of
from engine.suppliers.models import Supplier

WEEKDAYS = frozenset(range(5))
SHANGHAI = "Asia/Shanghai"  # UTC+8, no summer time


def policy(**fields) -> Policy:
    return Policy(**{"time_zone": SHANGHAI, **fields})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("now, inside", [
    ("2026-12-07T00:59:59", False),  # Monday 08:59:59 in Shanghai
    ("2026-12-07T01:00:00", True),   # Monday 09:00 in Shanghai
    ("2026-12-07T11:59:59", True),   # Monday 19:59:59
    ("2026-12-07T12:00:00", False),  # Monday 20:00: the end is not included
    ("2026-12-05T03:00:00", False),  # Saturday 11:00
    # Sunday 23:30 UTC is already Monday 07:30 in Shanghai: too early, though a weekday.
    ("2026-12-06T23:30:00", False),
    # Friday 17:00 UTC is Saturday 01:00 in Shanghai: the weekend, though Friday in UTC.
    ("2026-12-04T11:30:00", True),
    ("2026-12-04T12:30:00", False),
])
def test_calling_hours_are_judged_on_the_suppliers_clock(now, inside):
    hours = (Window(WEEKDAYS, 9 * 60, 20 * 60),)
    assert within_hours(policy(calling_hours=hours), utc(now)) is inside


@pytest.mark.parametrize("now, inside", [
    ("2026-12-04T14:00:00", True),   # Friday 22:00 in Shanghai: the window opens
    ("2026-12-04T17:59:00", True),   # Saturday 01:59: Friday's window runs past midnight
    ("2026-12-04T18:00:00", False),  # Saturday 02:00: closed
    ("2026-12-05T14:30:00", False),  # Saturday 22:30: Saturday has no window of its own
    ("2026-12-06T16:00:00", False),  # Monday 00:00: Sunday has no window either
    ("2026-12-07T15:00:00", True),   # Monday 23:00
    ("2026-12-04T13:59:00", False),  # Friday 21:59
])
def test_a_window_that_runs_past_midnight_belongs_to_the_day_it_starts(now, inside):
    hours = (Window(WEEKDAYS, 22 * 60, 2 * 60),)
    assert within_hours(policy(calling_hours=hours), utc(now)) is inside


def test_calling_hours_in_a_zone_with_summer_time_follow_its_clock():
    new_york = Policy(time_zone="America/New_York",
                      calling_hours=(Window(frozenset(range(7)), 9 * 60, 17 * 60),))
    assert within_hours(new_york, utc("2026-07-01T13:00:00"))      # 09:00 EDT (UTC-4)
    assert not within_hours(new_york, utc("2026-12-01T13:00:00"))  # 08:00 EST (UTC-5)
    assert within_hours(new_york, utc("2026-12-01T14:00:00"))      # 09:00 EST


def test_no_windows_means_any_hour():
    assert within_hours(policy(), utc("2026-12-05T19:00:00"))


def test_calling_hours_text_is_stored_as_windows_and_read_back_into_rules():
    supplier = Supplier(name="x", time_zone=SHANGHAI, concurrency=5, calls_per_day=1,
                        calls_per_24h=None, calls_per_48h=None, blocked_regions=["Tibet"],
                        calling_hours=parse_calling_hours("sat-mon 22:00-02:00; tue 00:00-24:00"))
    rules = policy_of(supplier)
    assert rules.calling_hours == (Window(frozenset({5, 6, 0}), 22 * 60, 120),
                                   Window(frozenset({1}), 0, 0))
    assert within_hours(rules, utc("2026-12-08T08:00:00"))          # Tuesday 16:00: all day
    assert within_hours(rules, utc("2026-12-06T17:00:00"))          # Monday 01:00 (Sunday's)
    assert not within_hours(rules, utc("2026-12-09T08:00:00"))      # Wednesday 16:00
    assert rules.concurrency == 5 and rules.blocked_regions == ("Tibet",)
    assert policy_of(None) == Policy()


def test_a_calendar_day_starts_at_the_suppliers_midnight():
    # 2026-12-07 15:59 UTC is 23:59 in Shanghai; 16:00 UTC is the next day there.
    assert day_start(utc("2026-12-07T15:59:00"), SHANGHAI) == utc("2026-12-06T16:00:00")
    assert day_start(utc("2026-12-07T16:00:00"), SHANGHAI) == utc("2026-12-07T16:00:00")


def call(now: str, *earlier: str, live: int = 1, regions: tuple[str, ...] = ()) -> Call:
    return Call(now=utc(now), live_calls=live, earlier=tuple(map(utc, earlier)),
                regions=regions)


def test_once_a_calendar_day_allows_the_callee_again_after_the_suppliers_midnight():
    once = policy(calls_per_day=1)
    # First call at 23:00 Shanghai (15:00 UTC); again at 23:50: refused; at 00:10: allowed.
    assert capped(once, call("2026-12-07T15:50:00", "2026-12-07T15:00:00"))
    assert not capped(once, call("2026-12-07T16:10:00", "2026-12-07T15:00:00"))
    assert not capped(once, call("2026-12-07T15:50:00"))


def test_rolling_caps_count_the_last_24_and_48_hours():
    per_24h = policy(calls_per_24h=1)
    assert capped(per_24h, call("2026-12-08T14:59:59", "2026-12-07T15:00:00"))
    assert not capped(per_24h, call("2026-12-08T15:00:01", "2026-12-07T15:00:00"))
    per_48h = policy(calls_per_48h=2)
    two = ("2026-12-06T16:00:00", "2026-12-07T15:00:00")
    assert capped(per_48h, call("2026-12-08T15:59:00", *two))
    assert not capped(per_48h, call("2026-12-08T16:00:01", *two))  # the first fell out
    assert not capped(per_48h, call("2026-12-08T15:59:00", two[1]))


def test_three_a_day_refuses_the_fourth():
    three = policy(calls_per_day=3)
    assert not capped(three, call("2026-12-07T05:00:00", *["2026-12-07T02:00:00"] * 2))
    assert capped(three, call("2026-12-07T05:00:00", *["2026-12-07T02:00:00"] * 3))


def test_concurrency_counts_this_call_among_the_live_ones():
    three_at_once = policy(concurrency=3)
    assert refusal(three_at_once, call("2026-12-07T05:00:00", live=3)) is None
    assert refusal(three_at_once, call("2026-12-07T05:00:00", live=4)) is Refusal.CONCURRENCY
    assert refusal(Policy(), call("2026-12-07T05:00:00", live=20)) is None
    assert refusal(Policy(), call("2026-12-07T05:00:00", live=21)) is Refusal.CONCURRENCY


def test_blocked_regions_match_a_region_or_its_province_in_english_or_chinese():
    urumqi = ("Urumqi, Xinjiang", "新疆维吾尔自治区乌鲁木齐市")
    assert region_blocked(policy(blocked_regions=("Xinjiang",)), urumqi)
    assert region_blocked(policy(blocked_regions=("xinjiang ",)), urumqi)
    assert region_blocked(policy(blocked_regions=("新疆",)), urumqi)
    assert not region_blocked(policy(blocked_regions=("Jiang",)), urumqi)  # no part matches
    assert not region_blocked(policy(blocked_regions=("Tibet",)), urumqi)
    assert not region_blocked(policy(blocked_regions=("Tibet",)), ())


def test_the_callee_region_comes_from_the_libraries_geocoding_data():
    assert callee_regions("09912345678")[0] == "Urumqi, Xinjiang"   # a landline's area code
    assert callee_regions("08912345678")[0] == "Lhasa, Tibet"
    assert callee_regions("01012345678")[0] == "Beijing"
    assert "Xinjiang" in callee_regions("13899123456")[0]           # a mobile range's prefix
    assert callee_regions("123") == ()


def test_one_callee_however_it_is_dialled():
    assert callee_key("13912345678") == callee_key("+8613912345678") \
        == callee_key("008613912345678") == "+8613912345678"
    assert callee_key("01012345678") == "+861012345678"


def test_the_first_rule_broken_is_the_reason():
    strict = policy(concurrency=1, calls_per_day=1, blocked_regions=("Tibet",),
                    calling_hours=(Window(WEEKDAYS, 9 * 60, 20 * 60),))
    monday_noon = "2026-12-07T04:00:00"
    tibet = ("Lhasa, Tibet",)
    assert refusal(strict, call(monday_noon)) is None
    assert refusal(strict, call(monday_noon, live=2, regions=tibet)) is Refusal.CONCURRENCY
    assert refusal(strict, call("2026-12-05T04:00:00", regions=tibet)) is Refusal.OUTSIDE_HOURS
    assert refusal(strict, call(monday_noon, monday_noon, regions=tibet)) \
        is Refusal.BLOCKED_REGION
    earlier = (utc(monday_noon) - timedelta(hours=1)).isoformat()
    assert refusal(strict, call(monday_noon, earlier)) is Refusal.FREQUENCY_CAP


def test_a_call_decided_at_the_same_moment_with_a_later_time_counts():
    """Two calls decided at once: the one whose clock was read first may see the other's
    attempt stamped a moment later; it still counts against the cap."""
    now = datetime(2026, 12, 7, 4, 0)
    policy = Policy(calls_per_day=1)
    assert refusal(policy, Call(now=now, live_calls=1,
                                earlier=(now + timedelta(microseconds=120),))) \
        is Refusal.FREQUENCY_CAP
