"""Bills read running totals kept as calls are rated; after new calls, in order or not,
the totals and the bill equal those of the month rated again from scratch, line for
line, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, event, select

from engine.billing.bills import bill
from engine.billing.contracts import add_package
from engine.billing.models import (
    NumberMinutes, PackageMonthUse, PackageUse, RatedUsage, RatingRun, UsageTotal,
)
from engine.billing.rating import rate_month
from engine.billing.tariffs import set_price
from engine.migrate import downgrade, upgrade
from engine.numbers.models import Number
from engine.numbers.pool import add_to_pool, buy, release_number
from engine.numbers.rentals import run_expiries, set_auto_renew
from tests.unit.billing_support import (
    CST, HOTLINE, SUPPORT, add_call, build_accounts, lines, month,
)

NOVEMBER = "2026-11"


@pytest.fixture
def world(session):
    return build_accounts(session)


def _kept(session, account, key: str = NOVEMBER) -> tuple:
    """Everything a bill of the month reads or rating keeps, as comparable values."""
    shown = lines(bill(session, account, month(key)))
    totals = session.execute(
        select(UsageTotal.item, UsageTotal.calls, UsageTotal.minutes,
               UsageTotal.package_minutes, UsageTotal.recorded_minutes)
        .where(UsageTotal.account_id == account.id, UsageTotal.month == key)
        .order_by(UsageTotal.item)).all()
    package_months = session.execute(
        select(PackageMonthUse.package_id, PackageMonthUse.month, PackageMonthUse.minutes)
        .order_by(PackageMonthUse.package_id, PackageMonthUse.month)).all()
    uses = session.execute(select(PackageUse.package_id, PackageUse.call_record_id,
                                  PackageUse.minutes)
                           .order_by(PackageUse.package_id, PackageUse.call_record_id)).all()
    rows = session.execute(select(RatedUsage.call_record_id, RatedUsage.minutes,
                                  RatedUsage.package_minutes)
                           .where(RatedUsage.account_id == account.id)
                           .order_by(RatedUsage.call_record_id)).all()
    return (shown, [tuple(t) for t in totals], [tuple(p) for p in package_months],
            [tuple(u) for u in uses], [tuple(r) for r in rows])


def _same_as_rated_from_scratch(session, account, key: str = NOVEMBER) -> tuple:
    incremental = _kept(session, account, key)
    rate_month(session, month(key), account)
    assert _kept(session, account, key) == incremental
    return incremental


def test_a_bill_reads_the_totals_not_the_rows(session, world):
    add_call(session, world["sales"], "2026-11-10 10:00:00", 120)
    bill(session, world["acme"], month(NOVEMBER))
    # Rows gone behind the totals' back (never done by the code): the bill does not see it.
    session.execute(delete(RatedUsage))
    assert ("Landline_Outbound", "0.1500", 2, "0.30", "0.00", "0.30") in lines(
        bill(session, world["acme"], month(NOVEMBER)))


@pytest.mark.parametrize("late_start", ["2026-11-20 10:00:00",    # after every rated call
                                        "2026-11-09 10:00:00",    # out of order
                                        "2026-11-01 00:00:00"])   # before all of them
def test_totals_after_new_calls_equal_a_full_rerating(session, world, late_start):
    add_package(session, world["acme"], "outbound", 6, "2026-11-01", "2026-11-30")
    add_package(session, world["acme"], "outbound", 2, "2026-11-05", "2026-11-15")
    add_package(session, world["acme"], "inbound", 100, "2026-11-01", "2026-12-31")
    add_call(session, world["sales"], "2026-11-08 10:00:00", 120)
    add_call(session, world["sales"], "2026-11-10 10:00:00", 150, recorded=False)
    add_call(session, world["hotline"], "2026-11-10 11:00:00", 61, direction="inbound",
             number=HOTLINE)
    bill(session, world["acme"], month(NOVEMBER))
    add_call(session, world["sales"], late_start, 150)           # the packages run out in it
    add_call(session, world["sales"], "2026-11-21 10:00:00", 60, direction="inbound")
    add_call(session, world["sales"], "2026-11-21 11:00:00", 60, answered=False)
    shown, totals, package_months, *_ = _same_as_rated_from_scratch(session, world["acme"])
    assert [t[:3] for t in totals] == [("Inbound_400", 1, 2), ("Landline_Inbound", 1, 1),
                                       ("Landline_Outbound", 3, 8)]
    assert sum(p[2] for p in package_months) == 2 + 6 + 3   # every outbound minute, inbound
    assert session.scalar(select(RatingRun.calls)) == 5


def test_a_correction_in_an_earlier_month_adjusts_a_later_months_totals(session, world):
    add_package(session, world["acme"], "outbound", 8, "2026-10-01", "2026-11-30")
    add_call(session, world["sales"], "2026-10-05 10:00:00", 300)   # 5 of 8
    add_call(session, world["sales"], "2026-11-02 10:00:00", 300)   # 3 left, 2 paid
    bill(session, world["acme"], month("2026-10"))
    november = lines(bill(session, world["acme"], month(NOVEMBER)))
    assert ("Landline_Outbound (voice package)", "0", 3, "0.00", "0.00", "0.00") in november
    add_call(session, world["sales"], "2026-10-20 10:00:00", 240)   # October takes all 8
    bill(session, world["acme"], month("2026-10"))                  # rates it, and November
    after = _kept(session, world["acme"], NOVEMBER)
    assert ("Landline_Outbound", "0.1500", 5, "0.75", "0.00", "0.75") in after[0]
    rate_month(session, month("2026-10"), world["acme"])
    rate_month(session, month(NOVEMBER), world["acme"])
    assert _kept(session, world["acme"], NOVEMBER) == after


def test_a_tier_boundary_crossed_by_a_new_call(session, world):
    add_call(session, world["hotline"], "2026-11-10 10:00:00", 9_999 * 60, direction="inbound",
             number=HOTLINE, agent=None)
    bill(session, world["acme"], month(NOVEMBER))
    add_call(session, world["hotline"], "2026-11-11 10:00:00", 61, direction="inbound",
             number=HOTLINE, agent=None)
    shown = _same_as_rated_from_scratch(session, world["acme"])[0]
    assert [line[:4] for line in shown if line[0].startswith("Inbound_400")] == [
        ("Inbound_400 (from 0)", "0.1500", 10000, "1500.00"),
        ("Inbound_400 (from 10000)", "0.1200", 1, "0.12")]


def test_a_price_that_stops_being_free_lets_packages_pay_for_the_month(session, world):
    add_package(session, world["beta"], "inbound", 3, "2026-11-01", "2026-11-30")
    add_call(session, world["support"], "2026-11-10 10:00:00", 120, direction="inbound",
             number=SUPPORT)
    bill(session, world["beta"], month(NOVEMBER))    # inbound is free on the seat plan
    set_price(session, "seat", "Landline_Inbound", "0.05")
    add_call(session, world["support"], "2026-11-20 10:00:00", 120, direction="inbound",
             number=SUPPORT)
    shown = _same_as_rated_from_scratch(session, world["beta"])[0]
    assert [line[:3] for line in shown if line[0].startswith("Landline_Inbound")] == [
        ("Landline_Inbound (voice package)", "0", 3), ("Landline_Inbound", "0.0500", 1)]
    # The price changed back, with no call since: the next bill follows it too.
    set_price(session, "seat", "Landline_Inbound", "0")
    _same_as_rated_from_scratch(session, world["beta"])


def test_seats_and_rent_are_charged_once_whatever_the_calls(session, world):
    add_call(session, world["support"], "2026-11-10 10:00:00", 60, number=SUPPORT)
    bill(session, world["beta"], month(NOVEMBER))
    add_call(session, world["support"], "2026-11-12 10:00:00", 60, number=SUPPORT)
    shown = _same_as_rated_from_scratch(session, world["beta"])[0]
    assert [line[:3] for line in shown if line[0].startswith(("CallCenter", "NumberRent"))] \
        == [("CallCenterSoftware", "150.0000", 2), ("NumberRent landline", "30.0000", 1)]


def test_minimum_spend_minutes_follow_new_calls(session, world):
    pool = "4008001001"
    add_to_pool(session, pool, "standard")            # 375 CNY a month
    purchase = buy(session, world["acme"].id, pool, datetime(2026, 6, 16) - CST)
    # Renewed when its term ends on 16 September: owed from then on.
    set_auto_renew(session, None, session.get(Number, purchase.number_id), True)
    run_expiries(session, datetime(2026, 9, 16) - CST, release_number)

    def call(local_start: str, minutes: int) -> None:
        add_call(session, world["hotline"], local_start, minutes * 60, direction="inbound",
                 number=pool)
    call("2026-09-10 10:00:00", 100)                   # prepaid: not counted
    call("2026-09-20 10:00:00", 100)
    first = bill(session, world["acme"], month("2026-09"))
    assert [s.minutes for s in first.minimum_spend] == [100]
    call("2026-09-25 10:00:00", 50)                    # in order
    call("2026-09-17 10:00:00", 10)                    # out of order, in the owed stretch
    call("2026-09-12 10:00:00", 10)                    # out of order, prepaid
    shown = _same_as_rated_from_scratch(session, world["acme"], "2026-09")[0]
    result = bill(session, world["acme"], month("2026-09"))
    assert [s.minutes for s in result.minimum_spend] == [160]
    assert session.scalar(select(NumberMinutes.minutes)) == 160
    assert [line for line in shown if line[0].startswith("MinimumSpend_400")]


def test_a_bill_after_one_new_call_reads_only_that_call(session, world):
    """Constant work: every statement on the month's rated rows reads them from the new
    call's start on (the index's range), none reads the whole month."""
    add_package(session, world["acme"], "outbound", 1000, "2026-11-01", "2026-11-30")
    for day in range(10, 20):
        add_call(session, world["sales"], f"2026-11-{day} 10:00:00", 60)
    bill(session, world["acme"], month(NOVEMBER))
    add_call(session, world["sales"], "2026-11-25 10:00:00", 60)
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, *args):
        seen.append((statement, parameters))
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = bill(session, world["acme"], month(NOVEMBER))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert ("Landline_Outbound (voice package)", "0", 11, "0.00", "0.00", "0.00") in \
        lines(result)
    on_rows = [s for s, _ in seen if "rated_usage" in s.lower()
               and not s.lstrip().upper().startswith("INSERT INTO RATED_USAGE")]
    assert on_rows
    for statement in on_rows:
        assert "rated_usage.started_at >=" in statement.lower(), statement


def _stored_totals(session) -> tuple:
    usage = session.execute(select(UsageTotal.account_id, UsageTotal.month, UsageTotal.item,
                                   UsageTotal.calls, UsageTotal.minutes,
                                   UsageTotal.package_minutes, UsageTotal.recorded_minutes)
                            .order_by(UsageTotal.account_id, UsageTotal.month,
                                      UsageTotal.item)).all()
    packages = session.execute(select(PackageMonthUse.package_id, PackageMonthUse.month,
                                      PackageMonthUse.minutes)).all()
    return [tuple(u) for u in usage], [tuple(p) for p in packages]


def test_the_migration_fills_the_totals_of_months_already_rated(settings, session, world):
    add_package(session, world["acme"], "outbound", 3, "2026-11-01", "2026-11-30")
    add_call(session, world["sales"], "2026-10-10 10:00:00", 120)
    add_call(session, world["sales"], "2026-11-10 10:00:00", 150)
    add_call(session, world["hotline"], "2026-11-11 10:00:00", 61, direction="inbound",
             number=HOTLINE)
    rate_month(session, month("2026-10"))
    rate_month(session, month(NOVEMBER))
    kept = _stored_totals(session)
    shown = lines(bill(session, world["acme"], month(NOVEMBER)))
    session.commit()
    downgrade(settings.database_url, "0027")
    upgrade(settings.database_url)
    assert _stored_totals(session) == kept
    assert len(kept[0]) == 3 and kept[1] == [(1, NOVEMBER, 3)]
    assert lines(bill(session, world["acme"], month(NOVEMBER))) == shown
