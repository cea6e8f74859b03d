"""400 numbers from the pool: tiers and their prices, the three-month first purchase,
the documents due in seven days (the release job with an injected clock), routing
before a flow, and another account's purchase out of reach."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.accounts.service import create_account
from engine.db import utcnow
from engine.errors import Conflict, Invalid, NotFound
from engine.numbers.models import Number
from engine.numbers.pool import (DOCUMENTS_WITHIN, add_to_pool, available, buy, purchase_of,
                                 release_overdue, submit_documents, tiers)
from engine.numbers.service import bind_number, set_routing
from engine.jobs import _number_round
from tests.factories import add_account, add_instance

BOUGHT_AT = datetime(2026, 12, 7, 9, 30, 15)


@pytest.fixture
def pool(session):
    add_account(session)
    sales = add_instance(session).instance
    other = create_account(session, "globex", "payg")
    add_to_pool(session, "4008001001", "standard")
    add_to_pool(session, "4008001002", "gold")
    return {"sales": sales, "other": other}


def test_tiers_carry_their_minimum_monthly_spend(session):
    assert [(t.name, t.minimum_monthly_spend) for t in tiers(session)] == [
        ("standard", Decimal(375)), ("preferred", Decimal(750)), ("select", Decimal(1500)),
        ("gold", Decimal(2500)), ("platinum", Decimal(5000)), ("vip", Decimal(12500)),
        ("vvip", Decimal(20000))]


def test_the_first_purchase_covers_three_months_of_the_tier(session, pool):
    purchase = buy(session, pool["sales"].account_id, "4008001002", BOUGHT_AT)
    assert (purchase.tier, purchase.months, purchase.amount) == ("gold", 3, Decimal(7500))
    assert purchase.documents_due_at == BOUGHT_AT + timedelta(days=7)
    assert [p.digits for p in available(session)] == ["4008001001"]
    with pytest.raises(NotFound):  # held: nobody else can buy it
        buy(session, pool["other"].id, "4008001002", BOUGHT_AT)


def test_without_documents_the_number_goes_back_to_the_pool_on_time(session, pool):
    account = pool["sales"].account_id
    buy(session, account, "4008001001", BOUGHT_AT)
    due = BOUGHT_AT + DOCUMENTS_WITHIN
    assert release_overdue(session, due - timedelta(seconds=1)) == []  # not a second early
    assert session.scalar(select(Number).where(Number.digits == "4008001001")) is not None
    assert release_overdue(session, due) == ["4008001001"]
    assert session.scalar(select(Number).where(Number.digits == "4008001001")) is None
    assert "4008001001" in [p.digits for p in available(session)]
    assert release_overdue(session, due + timedelta(days=1)) == []  # once only
    # Bought again, by another account: a new purchase.
    assert buy(session, pool["other"].id, "4008001001", due).account_id == pool["other"].id


def test_documents_in_time_keep_the_number(session, pool):
    account = pool["sales"].account_id
    buy(session, account, "4008001001", BOUGHT_AT)
    submit_documents(session, purchase_of(session, account, "4008001001"),
                     BOUGHT_AT + timedelta(days=6))
    assert release_overdue(session, BOUGHT_AT + timedelta(days=30)) == []


def test_another_accounts_purchase_is_not_found(session, pool):
    buy(session, pool["sales"].account_id, "4008001001", BOUGHT_AT)
    with pytest.raises(NotFound):
        purchase_of(session, pool["other"].id, "4008001001")


def test_routing_comes_before_a_flow(session, pool):
    purchase = buy(session, pool["sales"].account_id, "4008001001", BOUGHT_AT)
    number = session.get(Number, purchase.number_id)
    with pytest.raises(Invalid) as error:
        bind_number(session, number, 1, [])
    assert "routing" in str(error.value.fields["inbound_flow"])
    with pytest.raises(NotFound):  # another account's instance
        set_routing(session, None, number, add_instance(
            session, account="globex", name="G", domain="g.globex", number="01087654321",
            admin="gina").instance.id)
    set_routing(session, None, number, pool["sales"].id)
    assert number.instance_id == pool["sales"].id


@pytest.mark.parametrize("digits, tier", [("4008001001", "standard"), ("01012345678", "gold"),
                                          ("4008009999", "diamond"), ("400800100\n", "gold")])
def test_bad_pool_entries_are_refused(session, pool, digits, tier):
    with pytest.raises((Conflict, Invalid)):
        add_to_pool(session, digits, tier)


def test_ccc_serves_schedule_releases_an_overdue_number_on_its_own(session, pool, settings):
    """The round `ccc serve` runs every minute, on the real clock: bought eight days ago
    without documents, the number is back in the pool."""
    buy(session, pool["sales"].account_id, "4008001001", utcnow() - timedelta(days=8))
    session.commit()
    _number_round(settings)
    session.expire_all()
    assert session.scalar(select(Number).where(Number.digits == "4008001001")) is None
    assert "4008001001" in [p.digits for p in available(session)]


def test_a_number_routed_nowhere_binds_to_nothing_only(session, pool):
    number = session.get(Number, buy(session, pool["sales"].account_id, "4008001001",
                                     BOUGHT_AT).number_id)
    assert bind_number(session, number, None, []).inbound_flow_id is None
    with pytest.raises(Invalid) as error:
        bind_number(session, number, None, [1])
    assert "routing" in str(error.value.fields["inbound_flow"])


def test_routing_and_auto_renewal_are_the_owners_in_the_engine(session, pool):
    """The engine refuses the other roles (Forbidden) and another account's users (not
    found) itself, whichever face asks; the owner and the operator (None) may."""
    from engine.accounts.models import Role
    from engine.accounts.service import find_or_create_user
    from engine.errors import Forbidden
    from engine.numbers.rentals import current, set_auto_renew
    acme = pool["sales"].account
    number = session.get(Number, buy(session, acme.id, "4008001001", BOUGHT_AT).number_id)
    sales = pool["sales"].id
    alice = find_or_create_user(session, acme, "alice", Role.INSTANCE_ADMIN)  # Sales's admin
    for role in (Role.INSTANCE_ADMIN, Role.SUPERVISOR, Role.AGENT, Role.REVIEWER):
        alice.role = role
        with pytest.raises(Forbidden):
            set_routing(session, alice, number, sales)
        with pytest.raises(Forbidden):
            set_auto_renew(session, alice, number, True)
    stranger = find_or_create_user(session, pool["other"], "mallory", Role.OWNER)
    with pytest.raises(NotFound):
        set_routing(session, stranger, number, sales)
    with pytest.raises(NotFound):
        set_auto_renew(session, stranger, number, True)
    assert (number.instance_id, current(session, number.id).auto_renew) == (None, False)
    owner = find_or_create_user(session, acme, "olivia", Role.OWNER)
    set_routing(session, owner, number, sales)
    assert set_auto_renew(session, owner, number, True).auto_renew is True
    assert number.instance_id == sales
