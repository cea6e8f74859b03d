"""A pool 400 number's minimum monthly spend on the bill: nothing in its prepaid term,
prorated for the part of a month it was held after it, no line once its calls reach it,
on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from engine.accounts.service import create_account
from engine.billing.bills import bill, bill_csv, bill_dict
from engine.billing.contracts import set_discount
from engine.billing.minimum_spend import shortfalls
from engine.numbers.models import Number
from engine.numbers.pool import add_to_pool, buy, release_overdue
from engine.numbers.rentals import run_expiries, set_auto_renew
from engine.numbers.pool import release_number
from tests.factories import add_account, add_instance
from tests.unit.billing_support import CST, add_call, lines, month

POOL = "4008001001"
BOUGHT_AT = datetime(2026, 6, 16) - CST        # 16 June 00:00 on the billing clock
TERM_END = datetime(2026, 9, 16) - CST         # three months on: 16 September 00:00


@pytest.fixture
def world(session):
    account = add_account(session)
    sales = add_instance(session).instance
    add_to_pool(session, POOL, "standard")      # 375 CNY a month
    purchase = buy(session, account.id, POOL, BOUGHT_AT)
    return {"acme": account, "sales": sales, "purchase": purchase,
            "number": session.get(Number, purchase.number_id)}


def renew_until(session, world, moment: datetime) -> None:
    """Auto-renewal on, and the expiry job run at every term end up to ``moment``."""
    set_auto_renew(session, None, world["number"], True)
    end = TERM_END
    while end <= moment:
        run_expiries(session, end, release_number)
        end = end.replace(month=end.month + 1)


def call_400(session, world, local_start: str, minutes: int) -> None:
    add_call(session, world["sales"], local_start, minutes * 60, direction="inbound",
             number=POOL)


def minimum_lines(result) -> list[tuple]:
    return [line for line in lines(result) if line[0].startswith("MinimumSpend_400")]


def test_the_prepaid_term_owes_no_minimum(session, world):
    for key in ("2026-06", "2026-07", "2026-08"):
        result = bill(session, world["acme"], month(key))
        assert minimum_lines(result) == [] and result.minimum_spend == []


def test_a_month_wholly_held_after_the_term_is_topped_up_to_the_minimum(session, world):
    renew_until(session, world, datetime(2026, 11, 1))
    call_400(session, world, "2026-10-05 10:00:00", 100)        # 100 x 0.15 = 15.00
    result = bill(session, world["acme"], month("2026-10"))
    assert minimum_lines(result) == [
        (f"MinimumSpend_400 {POOL}", "360.00", 1, "360.00", "0.00", "360.00")]
    [shortfall] = result.minimum_spend
    assert (shortfall.tier, shortfall.minimum_monthly_spend, shortfall.due, shortfall.minutes,
            shortfall.spent) == ("standard", Decimal(375), Decimal("375.00"), 100,
                                 Decimal("15.00"))
    assert result.payable == sum(Decimal(line[5]) for line in lines(result))


@pytest.mark.parametrize(("minutes", "expected"), [
    (2499, [(f"MinimumSpend_400 {POOL}", "0.15", 1, "0.15", "0.00", "0.15")]),
    (2500, []),                  # 375.00 exactly: the minimum is reached, no line
    (2501, []),                  # above it: the calls alone are charged
])
def test_calls_reaching_the_minimum_leave_no_line(session, world, minutes, expected):
    renew_until(session, world, datetime(2026, 11, 1))
    call_400(session, world, "2026-10-05 10:00:00", minutes)
    assert minimum_lines(bill(session, world["acme"], month("2026-10"))) == expected


def test_the_month_the_term_ends_owes_the_part_held_after_it(session, world):
    renew_until(session, world, datetime(2026, 10, 1))
    # A call in the prepaid half does not count against the half owed.
    call_400(session, world, "2026-09-10 10:00:00", 3000)
    call_400(session, world, "2026-09-20 10:00:00", 10)          # 1.50
    [shortfall] = bill(session, world["acme"], month("2026-09")).minimum_spend
    # 16 to 30 September: 15 of 30 days, half of 375.
    assert (shortfall.due, shortfall.minutes, shortfall.shortfall) == (
        Decimal("187.50"), 10, Decimal("186.00"))


def test_a_term_not_renewed_owes_nothing_after_it(session, world):
    assert run_expiries(session, TERM_END, release_number) == ([], [POOL])
    assert minimum_lines(bill(session, world["acme"], month("2026-09"))) == []
    assert minimum_lines(bill(session, world["acme"], month("2026-10"))) == []


def test_a_number_released_mid_month_owes_the_days_it_was_held(session, world):
    renew_until(session, world, datetime(2026, 10, 1))
    release_number(session, world["number"], datetime(2026, 10, 7) - CST)  # 6 of 31 days
    [shortfall] = shortfalls(session, world["acme"], month("2026-10"))
    assert shortfall.due == Decimal("72.58")                   # 375 x 6 / 31, half-up
    assert minimum_lines(bill(session, world["acme"], month("2026-10"))) == [
        (f"MinimumSpend_400 {POOL}", "72.58", 1, "72.58", "0.00", "72.58")]


def test_a_number_released_for_missing_documents_never_owes_a_minimum(session, world):
    assert release_overdue(session, BOUGHT_AT + timedelta(days=8)) == [POOL]
    assert shortfalls(session, world["acme"], month("2026-06")) == []


def test_the_contract_discount_applies_to_the_shortfall(session, world):
    renew_until(session, world, datetime(2026, 11, 1))
    set_discount(session, world["acme"], "20", month("2026-10"))
    assert minimum_lines(bill(session, world["acme"], month("2026-10"))) == [
        (f"MinimumSpend_400 {POOL}", "375.00", 1, "375.00", "75.00", "300.00")]


def test_another_accounts_number_is_not_on_the_bill(session, world):
    renew_until(session, world, datetime(2026, 11, 1))
    other = create_account(session, "globex", "seat")
    assert shortfalls(session, other, month("2026-10")) == []
    assert minimum_lines(bill(session, other, month("2026-10"))) == []


def test_the_csv_and_the_json_carry_the_shortfall(session, world):
    renew_until(session, world, datetime(2026, 11, 1))
    result = bill(session, world["acme"], month("2026-10"))
    assert f"MinimumSpend_400 {POOL},375.00,CNY/number,1,number,375.00,0.00,375.00,375.00" \
        in bill_csv(result).splitlines()
    data = bill_dict(result)
    assert data["minimum_spend"] == [{
        "digits": POOL, "tier": "standard", "minimum_monthly_spend": "375.00", "due": "375.00",
        "minutes": 0, "spent": "0.00", "shortfall": "375.00"}]
    assert data["lines"][-1]["billing_item"] == f"MinimumSpend_400 {POOL}"
