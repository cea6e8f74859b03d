"""A pool 400 number's first purchase on the bill: one Purchase_400 line of three months
of its tier's minimum, in the month it was bought (mid-month too, whole), on a bill
shown before the purchase as well, not charged when the number went back for want of
its documents, with the minimum-spend rule after the term as it was; SQLite and
PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from engine.billing.bills import bill, bill_csv, bill_dict, pay
from engine.billing.contracts import set_discount
from engine.billing.export import usage_query
from engine.billing.purchases import purchases_billed
from engine.numbers.models import Number
from engine.numbers.pool import (add_to_pool, buy, purchase_of, release_number,
                                 release_overdue, submit_documents)
from engine.numbers.rentals import run_expiries, set_auto_renew
from tests.factories import add_account, add_instance
from tests.unit.billing_support import CST, add_call, lines, month

POOL = "4008001001"
BOUGHT_AT = datetime(2026, 6, 16, 15, 30) - CST     # 16 June 15:30 on the billing clock
LINE = (f"Purchase_400 {POOL}", "375.00", 3, "1125.00", "0.00", "1125.00")


@pytest.fixture
def acme(session):
    account = add_account(session)
    add_instance(session)
    add_to_pool(session, POOL, "standard")      # 375 CNY a month
    return account


def purchase_lines(result) -> list[tuple]:
    return [line for line in lines(result) if line[0].startswith("Purchase_400")]


def test_a_mid_month_purchase_charges_its_three_months_whole_in_that_month(session, acme):
    buy(session, acme.id, POOL, BOUGHT_AT)
    june = bill(session, acme, month("2026-06"))
    assert purchase_lines(june) == [LINE]
    line = next(line for line in june.lines if line.billing_item.startswith("Purchase_400"))
    assert (line.price_unit, line.usage_unit) == ("CNY/month", "month")
    # Neither the months before nor those of the term after carry it again.
    for key in ("2026-05", "2026-07", "2026-08", "2026-09"):
        assert purchase_lines(bill(session, acme, month(key))) == []
    [charge] = june.number_purchases
    assert (charge.digits, charge.tier, charge.months, charge.amount) == (
        POOL, "standard", 3, Decimal("1125.00"))


def test_the_purchase_month_follows_the_billing_clock(session, acme):
    # 30 June 17:00 UTC is 1 July 01:00 in Beijing: a July purchase.
    buy(session, acme.id, POOL, datetime(2026, 6, 30, 17))
    assert purchase_lines(bill(session, acme, month("2026-06"))) == []
    assert purchase_lines(bill(session, acme, month("2026-07"))) == [LINE]


def test_a_bill_shown_before_the_purchase_carries_it_next_time(session, acme):
    sales = add_instance(session, account=acme.name, name="Other", domain="other.acme",
                         number="01055556666", admin="olga").instance
    add_call(session, sales, "2026-06-10 10:00:00", 60, number="01055556666")
    before = bill(session, acme, month("2026-06"))     # rated here, with its one call
    assert purchase_lines(before) == []
    buy(session, acme.id, POOL, BOUGHT_AT)
    after = bill(session, acme, month("2026-06"))      # no call since: nothing to rate
    assert purchase_lines(after) == [LINE]
    # Its number's rent is on it too, though no call came in to rate the month again.
    assert ("NumberRent 400", "100.0000", 1, "100.00", "0.00", "100.00") in lines(after)
    assert after.payable == before.payable + Decimal("1125.00") + Decimal("100.00")


def test_a_number_given_back_for_missing_documents_is_not_charged(session, acme):
    purchase = buy(session, acme.id, POOL, BOUGHT_AT)
    assert purchase_lines(bill(session, acme, month("2026-06"))) == [LINE]
    assert release_overdue(session, purchase.documents_due_at) == [POOL]
    june = bill(session, acme, month("2026-06"))
    assert purchase_lines(june) == [] and june.number_purchases == []
    # Bought again by the same account, with its documents in: that purchase is charged.
    again = buy(session, acme.id, POOL, BOUGHT_AT + timedelta(days=8))
    submit_documents(session, again, BOUGHT_AT + timedelta(days=9))
    assert release_overdue(session, BOUGHT_AT + timedelta(days=30)) == []
    assert purchase_lines(bill(session, acme, month("2026-06"))) == [LINE]


def test_released_after_the_documents_came_or_at_the_terms_end_it_stays_charged(session, acme):
    buy(session, acme.id, POOL, BOUGHT_AT)
    submit_documents(session, purchase_of(session, acme.id, POOL), BOUGHT_AT + timedelta(days=2))
    term_end = datetime(2026, 9, 16, 15, 30) - CST
    assert run_expiries(session, term_end, release_number) == ([], [POOL])
    assert purchase_lines(bill(session, acme, month("2026-06"))) == [LINE]


def test_a_purchase_released_next_month_leaves_its_paid_bill_in_credit(session, acme):
    # Bought on 28 June: its documents were due on 5 July, after June's bill was paid.
    purchase = buy(session, acme.id, POOL, datetime(2026, 6, 28) - CST)
    june = month("2026-06")
    paid = bill(session, acme, june).payable
    pay(session, acme, june, str(paid))
    release_overdue(session, purchase.documents_due_at)
    after = bill(session, acme, june)
    assert purchase_lines(after) == []
    assert after.unpaid == -Decimal("1125.00")   # what it paid for the purchase, back


def test_the_contract_discount_applies_to_the_purchase(session, acme):
    set_discount(session, acme, "20", month("2026-06"))
    buy(session, acme.id, POOL, BOUGHT_AT)
    assert purchase_lines(bill(session, acme, month("2026-06"))) == [
        (f"Purchase_400 {POOL}", "375.00", 3, "1125.00", "225.00", "900.00")]


def test_the_minimum_spend_after_the_term_is_unchanged(session, acme):
    purchase = buy(session, acme.id, POOL, BOUGHT_AT)
    set_auto_renew(session, None, session.get(Number, purchase.number_id), True)
    run_expiries(session, datetime(2026, 9, 16, 15, 30) - CST, release_number)
    run_expiries(session, datetime(2026, 10, 16, 15, 30) - CST, release_number)
    october = bill(session, acme, month("2026-10"))
    assert purchase_lines(october) == []
    assert [line for line in lines(october) if line[0].startswith("MinimumSpend_400")] == [
        (f"MinimumSpend_400 {POOL}", "375.00", 1, "375.00", "0.00", "375.00")]
    june = bill(session, acme, month("2026-06"))
    assert june.minimum_spend == [] and purchase_lines(june) == [LINE]


def test_the_csv_the_json_and_the_export_filter(session, acme):
    buy(session, acme.id, POOL, BOUGHT_AT)
    result = bill(session, acme, month("2026-06"))
    assert f"Purchase_400 {POOL},375.00,CNY/month,3,month,1125.00,0.00,1125.00,1125.00" \
        in bill_csv(result).splitlines()
    data = bill_dict(result)
    assert data["number_purchases"] == [{
        "digits": POOL, "tier": "standard", "minimum_monthly_spend": "375.00", "months": 3,
        "amount": "1125.00", "purchased_at": "2026-06-16T07:30:00Z"}]
    assert any(line["billing_item"] == f"Purchase_400 {POOL}" for line in data["lines"])
    # No call is a purchase: filtering the usage detail on it exports nothing.
    assert session.execute(usage_query(acme, month("2026-06"), item="Purchase_400")).all() == []


def test_another_accounts_purchase_is_not_on_the_bill(session, acme):
    buy(session, acme.id, POOL, BOUGHT_AT)
    other = add_account(session, "globex")
    assert purchases_billed(session, other, month("2026-06")) == []
    assert purchase_lines(bill(session, other, month("2026-06"))) == []
