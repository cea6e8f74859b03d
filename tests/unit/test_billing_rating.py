"""Rating call records into minutes by billing item, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from engine.agents.models import Agent, SeatPeriod
from engine.agents.seats import close_seat
from engine.agents.service import create_agent
from engine.numbers.models import Number, NumberType
from engine.numbers.pool import release_number
from engine.numbers.service import add_number

from engine.billing.bills import bill
from engine.billing.contracts import add_package
from engine.billing.models import PackageUse, RatedUsage, RatingRun
from engine.billing.rating import rate_month
from engine.calls.models import CallRecord, IngestCursor
from engine.calls.service import ingest
from engine.errors import Invalid
from tests.unit.billing_support import (
    HOTLINE, SUPPORT, add_call, build_accounts, lines, month,
)


@pytest.fixture
def world(session):
    return build_accounts(session)


def rated(session, account) -> list[tuple]:
    return [(r.item, r.minutes, r.package_minutes) for r in session.scalars(
        select(RatedUsage).where(RatedUsage.account_id == account.id)
        .order_by(RatedUsage.started_at))]


def item_lines(result, prefix: str) -> list[tuple]:
    return [line for line in lines(result) if line[0].startswith(prefix)]


@pytest.mark.parametrize(("seconds", "minutes"), [(1, 1), (59, 1), (60, 1), (61, 2), (3600, 60),
                                                  (3601, 61)])
def test_every_started_minute_counts_as_a_whole_one(session, world, seconds, minutes):
    add_call(session, world["sales"], "2026-11-10 10:00:00", seconds)
    rate_month(session, month("2026-11"), world["acme"])
    assert rated(session, world["acme"]) == [("Landline_Outbound", minutes, 0)]


def test_a_call_of_0_seconds_and_an_unanswered_call_cost_nothing(session, world):
    add_call(session, world["sales"], "2026-11-10 10:00:00", 0)
    add_call(session, world["sales"], "2026-11-10 10:05:00", 30, answered=False)
    add_call(session, world["support"], "2026-11-10 10:06:00", 30, number=SUPPORT,
             answered=False)
    [acme, _] = rate_month(session, month("2026-11"))
    assert acme.calls == 0 and rated(session, world["acme"]) == []
    assert item_lines(bill(session, world["acme"], month("2026-11")), "Landline") == []


def test_payg_prices_inbound_outbound_and_400(session, world):
    add_call(session, world["sales"], "2026-11-10 10:00:00", 5, direction="inbound")
    add_call(session, world["sales"], "2026-11-10 11:00:00", 65)
    add_call(session, world["hotline"], "2026-11-10 12:00:00", 65, direction="inbound",
             number=HOTLINE)
    result = bill(session, world["acme"], month("2026-11"))
    assert lines(result) == [
        ("CallCenterSoftware", "0.0000", 5, "0.00", "0.00", "0.00"),
        ("Landline_Inbound", "0.0300", 1, "0.03", "0.00", "0.03"),
        ("Landline_Outbound", "0.1500", 2, "0.30", "0.00", "0.30"),
        ("Inbound_400 (from 0)", "0.1500", 2, "0.30", "0.00", "0.30"),
        ("RecordStorage", "0.0050", 5, "0.03", "0.00", "0.03"),  # 0.025 -> 0.03, half-up
        ("NumberRent 400", "100.0000", 1, "100.00", "0.00", "100.00"),
        ("NumberRent landline", "30.0000", 1, "30.00", "0.00", "30.00"),
    ]
    assert result.payable == Decimal("130.66") == result.unpaid


def test_recording_storage_is_billed_only_for_calls_the_pbx_recorded(session, world):
    add_call(session, world["sales"], "2026-11-10 10:00:00", 125, recorded=False)
    items = [line[0] for line in lines(bill(session, world["acme"], month("2026-11")))]
    assert "Landline_Outbound" in items and "RecordStorage" not in items
    add_call(session, world["sales"], "2026-11-10 11:00:00", 125, recorded=True)
    rate_month(session, month("2026-11"), world["acme"])
    storage = [line for line in lines(bill(session, world["acme"], month("2026-11")))
               if line[0] == "RecordStorage"]
    assert storage == [("RecordStorage", "0.0050", 3, "0.02", "0.00", "0.02")]


def test_seat_plan_inbound_is_free_outbound_011_and_a_fee_per_seat(session, world):
    add_call(session, world["support"], "2026-11-10 10:00:00", 65, direction="inbound",
             number=SUPPORT, agent=None)
    add_call(session, world["support"], "2026-11-10 11:00:00", 5, number=SUPPORT, agent=None)
    result = bill(session, world["beta"], month("2026-11"))
    assert lines(result) == [
        ("CallCenterSoftware", "150.0000", 2, "300.00", "0.00", "300.00"),
        ("Landline_Inbound", "0.0000", 2, "0.00", "0.00", "0.00"),
        ("Landline_Outbound", "0.1100", 1, "0.11", "0.00", "0.11"),
        ("NumberRent landline", "30.0000", 1, "30.00", "0.00", "30.00"),
    ]
    assert result.lines[0].price_unit == "CNY/seat-month" and result.lines[0].usage_unit == "seat"


def test_seats_and_number_rent_follow_what_existed_during_the_month(session, world):
    """Rated in December: a seat deleted and a number released in November are charged
    for November; a seat and a number added in December are not (November), but are for
    December."""
    support, november, december = world["support"], month("2026-11"), month("2026-12")
    mid_november, early_december = datetime(2026, 11, 15), datetime(2026, 12, 2)
    add_number(session, world["beta"].id, "01087654322", NumberType.LANDLINE, now=mid_november)
    release_number(session, number_of(session, "01087654322"), datetime(2026, 11, 20))
    add_number(session, world["beta"].id, "01087654323", NumberType.LANDLINE,
               now=early_december)
    erin = support_agent(session, support, "erin")
    close_seat(session, erin, datetime(2026, 11, 10))
    session.delete(erin)
    late = create_agent(session, support, "frank")
    session.execute(update(SeatPeriod).where(SeatPeriod.agent_id == late.id)
                    .values(starts_at=early_december))
    assert item_lines(bill(session, world["beta"], november), "CallCenterSoftware") == [
        ("CallCenterSoftware", "150.0000", 2, "300.00", "0.00", "300.00")]   # dave, erin
    assert item_lines(bill(session, world["beta"], november), "NumberRent") == [
        ("NumberRent landline", "30.0000", 2, "60.00", "0.00", "60.00")]
    assert item_lines(bill(session, world["beta"], december), "CallCenterSoftware") == [
        ("CallCenterSoftware", "150.0000", 2, "300.00", "0.00", "300.00")]   # dave, frank
    assert item_lines(bill(session, world["beta"], december), "NumberRent") == [
        ("NumberRent landline", "30.0000", 2, "60.00", "0.00", "60.00")]


def number_of(session, digits):
    return session.scalar(select(Number).where(Number.digits == digits))


def support_agent(session, instance, name):
    return session.scalar(select(Agent).where(Agent.instance_id == instance.id,
                                              Agent.name == name))


def test_a_call_across_midnight_is_billed_on_the_day_and_month_it_starts(session, world):
    add_call(session, world["sales"], "2026-10-15 23:59:30", 61)
    add_call(session, world["sales"], "2026-10-31 23:59:00", 120)   # ends in November
    add_call(session, world["sales"], "2026-11-01 00:00:10", 10)    # 31 Oct 16:00 UTC
    rate_month(session, month("2026-10"), world["acme"])
    assert rated(session, world["acme"]) == [("Landline_Outbound", 2, 0),
                                             ("Landline_Outbound", 2, 0)]
    rate_month(session, month("2026-11"), world["acme"])
    november = session.scalars(select(RatedUsage.minutes).where(RatedUsage.month == "2026-11"))
    assert list(november) == [1]


def test_a_bill_shown_before_a_call_arrives_includes_it_next_time(session, world):
    add_call(session, world["sales"], "2026-11-10 10:00:00", 65)
    before = {line[0]: line[2] for line in lines(bill(session, world["acme"], month("2026-11")))}
    assert before["Landline_Outbound"] == 2
    run = session.scalar(select(RatingRun))
    rated_at = run.rated_at
    bill(session, world["acme"], month("2026-11"))  # nothing new: not rated again
    assert session.scalar(select(RatingRun)).rated_at == rated_at
    add_call(session, world["sales"], "2026-11-11 10:00:00", 5)   # ingested later
    add_call(session, world["sales"], "2026-10-11 10:00:00", 5)   # another month: no matter
    after = {line[0]: line[2] for line in lines(bill(session, world["acme"], month("2026-11")))}
    assert after["Landline_Outbound"] == 3


def test_rating_again_gives_the_same_result(session, world):
    for n in range(5):
        add_call(session, world["sales"], f"2026-11-1{n} 10:00:00", 30 + 50 * n)
    add_package(session, world["acme"], "outbound", 4, "2026-11-01", "2026-11-30")
    rate_month(session, month("2026-11"))
    first = (rated(session, world["acme"]), lines(bill(session, world["acme"], month("2026-11"))))
    rate_month(session, month("2026-11"))
    rate_month(session, month("2026-11"), world["acme"])
    assert (rated(session, world["acme"]),
            lines(bill(session, world["acme"], month("2026-11")))) == first
    assert sum(session.scalars(select(PackageUse.minutes))) == 4


def test_a_record_ingested_twice_is_charged_once(session, world, settings):
    from tests.unit.test_journal import OUTBOUND_ANSWERED  # the PBX's own line
    settings.cdr_file.parent.mkdir(parents=True, exist_ok=True)
    settings.cdr_file.write_text(OUTBOUND_ANSWERED + "\n")
    ingest(session, settings)
    session.get(IngestCursor, str(settings.cdr_file)).position = 0  # replay the journal
    ingest(session, settings)
    assert len(session.scalars(select(CallRecord)).all()) == 1
    rate_month(session, month("2026-11"))
    assert rated(session, world["acme"]) == [("Landline_Outbound", 1, 0)]  # 3.0 s


def test_a_voice_package_running_out_mid_call_splits_its_minutes(session, world):
    add_call(session, world["sales"], "2026-11-10 10:00:00", 120)   # 2 min: package
    add_call(session, world["sales"], "2026-11-10 11:00:00", 150)   # 3 min: 1 package, 2 paid
    add_call(session, world["sales"], "2026-11-10 12:00:00", 60)    # 1 min: paid
    add_call(session, world["sales"], "2026-11-10 13:00:00", 60, direction="inbound")
    add_package(session, world["acme"], "outbound", 3, "2026-11-01", "2026-11-30")
    result = bill(session, world["acme"], month("2026-11"))
    assert rated(session, world["acme"]) == [("Landline_Outbound", 2, 2),
                                             ("Landline_Outbound", 3, 1),
                                             ("Landline_Outbound", 1, 0),
                                             ("Landline_Inbound", 1, 0)]
    assert item_lines(result, "Landline_Outbound") == [
        ("Landline_Outbound (voice package)", "0", 3, "0.00", "0.00", "0.00"),
        ("Landline_Outbound", "0.1500", 3, "0.45", "0.00", "0.45")]


def test_a_package_counts_only_inside_its_validity_and_what_earlier_months_left(
        session, world):
    add_call(session, world["sales"], "2026-09-30 23:00:00", 600)   # before: September
    add_call(session, world["sales"], "2026-10-05 10:00:00", 300)   # 5 of 8 minutes
    add_call(session, world["sales"], "2026-11-02 10:00:00", 300)   # 3 left, 2 paid
    add_call(session, world["sales"], "2026-11-20 10:00:00", 60)    # after it expired
    add_package(session, world["acme"], "outbound", 8, "2026-10-01", "2026-11-15")
    rate_month(session, month("2026-11"))   # rated before October: 8 are left to it
    rate_month(session, month("2026-09"))
    rate_month(session, month("2026-10"))   # takes 5: November is allocated again
    assert [r[2] for r in rated(session, world["acme"])] == [0, 5, 3, 0]


def test_two_packages_share_a_call_the_first_to_expire_first(session, world):
    add_call(session, world["sales"], "2026-11-10 10:00:00", 300)
    add_package(session, world["acme"], "outbound", 10, "2026-11-01", "2026-12-31")
    add_package(session, world["acme"], "outbound", 2, "2026-11-01", "2026-11-30")
    rate_month(session, month("2026-11"))
    uses = session.execute(select(PackageUse.package_id, PackageUse.minutes)
                           .order_by(PackageUse.package_id)).all()
    assert [tuple(u) for u in uses] == [(1, 3), (2, 2)]


def test_a_package_never_pays_for_free_minutes(session, world):
    add_call(session, world["support"], "2026-11-10 10:00:00", 60, direction="inbound",
             number=SUPPORT)
    add_package(session, world["beta"], "inbound", 100, "2026-11-01", "2026-11-30")
    rate_month(session, month("2026-11"))
    assert rated(session, world["beta"]) == [("Landline_Inbound", 1, 0)]


@pytest.mark.parametrize(("minutes", "expected"), [
    (10000, [("Inbound_400 (from 0)", "0.1500", 10000, "1500.00")]),
    (10001, [("Inbound_400 (from 0)", "0.1500", 10000, "1500.00"),
             ("Inbound_400 (from 10000)", "0.1200", 1, "0.12")]),
    (9999, [("Inbound_400 (from 0)", "0.1500", 9999, "1499.85")]),
])
def test_tier_boundaries(session, world, minutes, expected):
    add_call(session, world["hotline"], "2026-11-10 10:00:00", (minutes - 1) * 60,
             direction="inbound", number=HOTLINE, agent=None)
    add_call(session, world["hotline"], "2026-11-11 10:00:00", 1, direction="inbound",
             number=HOTLINE, agent=None)
    result = bill(session, world["acme"], month("2026-11"))
    assert [line[:4] for line in item_lines(result, "Inbound_400")] == expected


def test_a_future_month_cannot_be_rated(session, world):
    with pytest.raises(Invalid, match="has not started"):
        rate_month(session, month("2099-01"))


def _state(session, account) -> tuple:
    shown = lines(bill(session, account, month("2026-11")))   # rates what is new first
    uses = session.execute(select(PackageUse.package_id, PackageUse.call_record_id,
                                  PackageUse.minutes).order_by(PackageUse.package_id,
                                                               PackageUse.call_record_id))
    details = list(session.scalars(select(RatedUsage.detail).where(
        RatedUsage.account_id == account.id).order_by(RatedUsage.call_record_id)))
    return rated(session, account), [tuple(u) for u in uses], details, shown


@pytest.mark.parametrize("late_start", ["2026-11-20 10:00:00",    # after every rated call
                                        "2026-11-09 10:00:00"])   # before some: out of order
def test_a_bill_after_new_calls_rates_only_them_with_a_full_ratings_result(
        session, world, late_start):
    add_package(session, world["acme"], "outbound", 6, "2026-11-01", "2026-11-30")
    add_package(session, world["acme"], "inbound", 100, "2026-11-01", "2026-11-30")
    add_call(session, world["sales"], "2026-11-08 10:00:00", 120)
    add_call(session, world["sales"], "2026-11-10 10:00:00", 150)
    add_call(session, world["hotline"], "2026-11-10 11:00:00", 61, direction="inbound",
             number=HOTLINE)
    bill(session, world["acme"], month("2026-11"))
    first_rows = {r.call_record_id: r.detail for r in session.scalars(select(RatedUsage))}
    add_call(session, world["sales"], late_start, 150)       # the package runs out in it
    add_call(session, world["sales"], "2026-11-21 10:00:00", 60, direction="inbound")
    incremental = _state(session, world["acme"])
    rate_month(session, month("2026-11"), world["acme"])   # the whole month, from scratch
    assert _state(session, world["acme"]) == incremental
    assert session.scalar(select(RatingRun.calls)) == 5
    assert len(incremental[0]) == 5
    kept = {r.call_record_id: r.detail for r in session.scalars(select(RatedUsage))}
    assert {k: kept[k] for k in first_rows} == first_rows


def test_a_bill_after_one_new_call_writes_no_earlier_row_again(session, world):
    from sqlalchemy import event
    for n in range(3):
        add_call(session, world["sales"], f"2026-11-1{n} 10:00:00", 60)
    bill(session, world["acme"], month("2026-11"))
    add_call(session, world["sales"], "2026-11-20 10:00:00", 60)
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = bill(session, world["acme"], month("2026-11"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert ("Landline_Outbound", "0.1500", 4, "0.60", "0.00", "0.60") in lines(result)
    assert not any(s.lstrip().upper().startswith("DELETE FROM RATED_USAGE") for s in seen), seen
    assert session.scalar(select(RatingRun.calls)) == 4
