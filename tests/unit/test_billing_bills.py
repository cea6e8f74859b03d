"""Bills: discounts rounded half-up to the fen, payments, tariffs as data, money types."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.billing.bills import bill, pay
from engine.billing.contracts import add_package, discount_for, set_discount
from engine.billing.models import Payment, Tariff
from engine.billing.money import ScaledDecimal, parse_decimal, show, to_fen
from engine.billing.periods import Month
from engine.billing.tariffs import list_tariffs, set_price
from engine.errors import Invalid
from tests.unit.billing_support import add_call, build_accounts, lines, month


@pytest.fixture
def world(session):
    return build_accounts(session)


def outbound(result):
    return [line for line in lines(result) if line[0] == "Landline_Outbound"]


def test_rounding_is_half_up_to_the_fen():
    assert to_fen(Decimal("0.025")) == Decimal("0.03")     # banker's rounding gives 0.02
    assert to_fen(Decimal("0.045")) == Decimal("0.05")
    assert to_fen(Decimal("0.0449")) == Decimal("0.04")
    assert to_fen(Decimal("0.0105")) == Decimal("0.01")


def test_money_is_stored_as_exact_integers():
    money = ScaledDecimal(4)
    assert money.process_bind_param(Decimal("0.0035"), None) == 35
    assert money.process_result_value(1100, None) == Decimal("0.1100")
    with pytest.raises(ValueError):
        money.process_bind_param(Decimal("0.00001"), None)


@pytest.mark.parametrize(("percent", "minutes", "expected"), [
    ("20", 3, ("0.45", "0.09", "0.36")),      # 0.15 x 3, 20% off
    ("10", 3, ("0.45", "0.05", "0.40")),      # 0.045 -> 0.05 half-up
    ("12.5", 1, ("0.15", "0.02", "0.13")),    # 0.01875 -> 0.02
    ("100", 1, ("0.15", "0.15", "0.00")),
])
def test_the_contract_discount_is_rounded_half_up_on_each_line(session, world, percent,
                                                               minutes, expected):
    add_call(session, world["sales"], "2026-11-10 10:00:00", minutes * 60)
    set_discount(session, world["acme"], percent, month("2026-11"))
    assert outbound(bill(session, world["acme"], month("2026-11")))[0][3:] == expected


def test_a_discount_applies_from_its_month_on(session, world):
    set_discount(session, world["acme"], "20", month("2026-10"))
    set_discount(session, world["acme"], "25", month("2026-11"))
    assert discount_for(session, world["acme"].id, month("2026-09")) == 0
    assert discount_for(session, world["acme"].id, month("2026-10")) == Decimal("20.00")
    assert discount_for(session, world["acme"].id, month("2026-12")) == Decimal("25.00")
    with pytest.raises(Invalid, match="at most 100"):
        set_discount(session, world["acme"], "120", month("2026-11"))


def test_payments_reduce_what_is_unpaid_line_by_line(session, world):
    add_call(session, world["sales"], "2026-11-10 10:00:00", 60)
    result = bill(session, world["acme"], month("2026-11"))
    assert result.payable == Decimal("130.16")  # 0.15 + 0.01 recording + rent
    pay(session, world["acme"], month("2026-11"), "100.16", "bank 42")
    result = bill(session, world["acme"], month("2026-11"))
    assert (result.paid, result.unpaid) == (Decimal("100.16"), Decimal("30.00"))
    assert [str(line.amount_unpaid) for line in result.lines] == [
        "0.00", "0.00", "0.00", "0.00", "30.00"]
    with pytest.raises(Invalid, match="exceeds the unpaid 30.00"):
        pay(session, world["acme"], month("2026-11"), "30.01")
    for bad in ("0", "-5", "1.001", "abc", "NaN"):
        with pytest.raises(Invalid):
            pay(session, world["acme"], month("2026-11"), bad)
    assert len(session.scalars(select(Payment)).all()) == 1


def test_tariffs_are_data_seeded_by_the_migration(session, world):
    seat = {(t.item, t.variant, t.tier_from): show(t.unit_price)
            for t in list_tariffs(session, "seat")}
    payg = {(t.item, t.variant, t.tier_from): show(t.unit_price)
            for t in list_tariffs(session, "payg")}
    assert (seat[("CallCenterSoftware", "", 0)], seat[("Landline_Inbound", "", 0)],
            seat[("Landline_Outbound", "", 0)]) == ("150.00", "0.00", "0.11")
    assert (payg[("Landline_Inbound", "", 0)], payg[("Landline_Outbound", "", 0)]) == (
        "0.03", "0.15")
    assert payg[("Inbound_400", "", 10000)] == "0.12" and payg[("RecordStorage", "", 0)] == "0.005"
    set_price(session, "payg", "Landline_Outbound", "0.2")
    add_call(session, world["sales"], "2026-11-10 10:00:00", 60)
    assert outbound(bill(session, world["acme"], month("2026-11")))[0][1] == "0.2000"
    with pytest.raises(Invalid, match="unknown billing item"):
        set_price(session, "payg", "Nope", "1")
    with pytest.raises(Invalid, match="decimal places"):
        set_price(session, "payg", "Landline_Outbound", "0.00001")
    assert session.scalar(select(Tariff).where(Tariff.item == "Landline_Outbound",
                                               Tariff.plan == "payg")).unit_price == Decimal("0.2")


def test_voice_package_input_is_checked(session, world):
    for args in (("sideways", 10, "2026-11-01", "2026-11-30"),
                 ("inbound", 0, "2026-11-01", "2026-11-30"),
                 ("inbound", 10, "2026-11-30", "2026-11-01"),
                 ("inbound", 10, "2026-13-01", "2026-11-30")):
        with pytest.raises(Invalid):
            add_package(session, world["acme"], *args)


def test_months_are_parsed_strictly_and_follow_the_billing_clock():
    for bad in ("2026-13", "2026-1", "26-11", "", "2026-11-01"):
        with pytest.raises(Invalid, match="invalid month"):
            Month.parse(bad)
    start, end = Month.parse("2026-11").utc_bounds()
    assert (str(start), str(end)) == ("2026-10-31 16:00:00", "2026-11-30 16:00:00")
    assert Month.parse("2026-12", 0).utc_bounds()[1].year == 2027
    assert parse_decimal("12.30", "amount", 2) == Decimal("12.30")


def test_the_billing_clock_is_a_setting():
    from engine.settings import load_settings
    assert load_settings({}).billing_utc_offset_minutes == 480
    assert load_settings({"CCC_BILLING_UTC_OFFSET": "-05:30"}).billing_utc_offset_minutes == -330
    assert load_settings({"CCC_BILLING_UTC_OFFSET": "+00:00"}).billing_utc_offset_minutes == 0


def test_refusals_name_the_field_the_user_typed_into(session, world):
    """Every face shows the message next to its field: month, amount, reference."""
    def fields_of(call, *args):
        with pytest.raises(Invalid) as refused:
            call(*args)
        return refused.value.fields
    acme, november = world["acme"], month("2026-11")
    assert list(fields_of(Month.parse, "2026-13")) == ["month"]
    assert list(fields_of(bill, session, acme, Month.parse("2999-01"))) == ["month"]
    for bad in ("0", "-5", "abc", "1.001", "1000000"):
        assert list(fields_of(pay, session, acme, november, bad)) == ["amount"], bad
    assert list(fields_of(pay, session, acme, november, "1", "r" * 65)) == ["reference"]


def test_the_bill_as_csv_and_as_data_with_its_totals(session, world):
    import csv
    import io

    from engine.billing.bills import BILL_COLUMNS, bill_csv, bill_dict
    add_call(session, world["sales"], "2026-11-10 10:00:00", 65)
    set_discount(session, world["acme"], "20", month("2026-11"))
    result = bill(session, world["acme"], month("2026-11"))
    rows = list(csv.reader(io.StringIO(bill_csv(result))))
    assert tuple(rows[0]) == BILL_COLUMNS
    assert [row[0] for row in rows[1:]] == [line.billing_item for line in result.lines]
    data = bill_dict(result)
    assert data["original_price"] == show(sum(line.original_price for line in result.lines))
    assert Decimal(data["original_price"]) - Decimal(data["discount"]) == Decimal(
        data["amount_payable"]) == result.payable
