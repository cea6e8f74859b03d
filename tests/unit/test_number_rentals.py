"""Number rental periods with an injected clock: a term reminds before it expires,
renews a month at a time when set to, or ends and the number goes back to the pool."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.numbers.models import Number, NumberRental
from engine.numbers.pool import add_to_pool, available, buy, release_number
from engine.numbers.rentals import (REMIND_BEFORE, add_months, reminders_due, run_expiries,
                                    set_auto_renew)
from tests.factories import add_account

BOUGHT_AT = datetime(2026, 11, 30, 10, 0)
TERM_END = datetime(2027, 2, 28, 10, 0)  # three months on; February is short


@pytest.fixture
def number(session):
    account = add_account(session)
    add_to_pool(session, "4008001001", "standard")
    purchase = buy(session, account.id, "4008001001", BOUGHT_AT)
    return session.get(Number, purchase.number_id)


def periods(session) -> list[tuple]:
    return [(r.starts_at, r.ends_at, r.auto_renew) for r in session.scalars(
        select(NumberRental).order_by(NumberRental.starts_at))]


def test_months_are_added_on_the_calendar():
    assert add_months(BOUGHT_AT, 3) == TERM_END
    assert add_months(datetime(2026, 12, 15), 1) == datetime(2027, 1, 15)


def test_the_first_purchase_is_a_three_month_period(session, number):
    assert periods(session) == [(BOUGHT_AT, TERM_END, False)]


def test_a_reminder_goes_out_once_a_week_before_expiry(session, number):
    assert reminders_due(session, TERM_END - REMIND_BEFORE - timedelta(seconds=1)) == []
    [due] = reminders_due(session, TERM_END - REMIND_BEFORE)
    assert due.digits == "4008001001"
    assert reminders_due(session, TERM_END - timedelta(days=1)) == []


def test_auto_renewal_adds_a_month_and_sends_no_reminder(session, number):
    set_auto_renew(session, None, number, True)
    assert reminders_due(session, TERM_END - timedelta(days=1)) == []
    assert run_expiries(session, TERM_END - timedelta(seconds=1), release_number) == ([], [])
    assert run_expiries(session, TERM_END, release_number) == (["4008001001"], [])
    assert periods(session)[-1] == (TERM_END, datetime(2027, 3, 28, 10, 0), True)
    assert run_expiries(session, TERM_END + timedelta(days=1), release_number) == ([], [])


def test_a_term_not_renewed_ends_and_the_number_goes_back_to_the_pool(session, number):
    assert run_expiries(session, TERM_END, release_number) == ([], ["4008001001"])
    assert session.scalar(select(Number).where(Number.digits == "4008001001")) is None
    assert [p.digits for p in available(session)] == ["4008001001"]
    assert periods(session) == [(BOUGHT_AT, TERM_END, False)]  # the rent stays with it


def test_the_account_is_warned_of_a_term_within_the_reminder_window(session, number):
    from engine.numbers.rentals import expiring
    assert expiring(session, number.account_id, TERM_END - REMIND_BEFORE -
                    timedelta(seconds=1)) == []
    [soon] = expiring(session, number.account_id, TERM_END - REMIND_BEFORE)
    assert (soon.digits, soon.auto_renew) == ("4008001001", False)
    set_auto_renew(session, None, number, True)  # still listed: the page says it renews
    assert [r.auto_renew for r in expiring(session, number.account_id,
                                           TERM_END - timedelta(days=1))] == [True]
    assert expiring(session, number.account_id + 1, TERM_END - timedelta(days=1)) == []
    run_expiries(session, TERM_END, release_number)  # renewed: the new term is a month off
    assert expiring(session, number.account_id, TERM_END) == []
