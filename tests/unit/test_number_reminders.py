"""Reminders of rental terms about to end, for the account's owners: one per term,
written with the rental's reminded mark (so a second round writes none), listed until
an owner dismisses it, another account's not found, the other roles refused; in the
engine (SQLite and PostgreSQL), the web admin, the API and ``ccc``."""
from __future__ import annotations

import html
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.accounts.models import Role
from engine.accounts.service import create_account, find_or_create_user
from engine.db import utcnow
from engine.errors import Forbidden, NotFound
from engine.numbers.models import Number, NumberReminder, NumberRental
from engine.numbers.pool import add_to_pool, buy
from engine.numbers.reminders import dismiss, remind, reminder_json, reminders
from engine.numbers.rentals import REMIND_BEFORE, set_auto_renew
from engine.uow import transaction
from tests.factories import add_account
from tests.unit.webadmin_world import (
    bearer,
    buy_pool_number,
    post_form,
    signed_in,
    sqlite_world,
)

__all__ = ["sqlite_world"]
POOL = "4008001001"
WORLD_POOL = "4008007002"   # the web world has 4008001001 already
BOUGHT_AT = datetime(2026, 6, 16)
TERM_END = datetime(2026, 9, 16)
DUE = TERM_END - REMIND_BEFORE


@pytest.fixture
def acme(session):
    account = add_account(session)
    add_to_pool(session, POOL, "standard")
    buy(session, account.id, POOL, BOUGHT_AT)
    return account


def test_one_reminder_per_term_written_with_the_rentals_mark(session, acme):
    assert remind(session, DUE - timedelta(seconds=1)) == []
    [made] = remind(session, DUE)
    assert (made.account_id, made.digits, made.ends_at, made.created_at) == (
        acme.id, POOL, TERM_END, DUE)
    rental = session.get(NumberRental, made.rental_id)
    assert rental.reminded_at == DUE
    # The next rounds (a restarted ccc serve's too) write none.
    assert remind(session, DUE + timedelta(minutes=1)) == []
    assert remind(session, TERM_END - timedelta(seconds=1)) == []
    assert session.scalar(select(func.count()).select_from(NumberReminder)) == 1


def test_a_term_set_to_renew_gets_none(session, acme):
    number = session.scalar(select(Number).where(Number.digits == POOL))
    set_auto_renew(session, None, number, True)
    assert remind(session, DUE) == []


def test_listed_until_dismissed_by_an_owner_once(session, acme):
    [made] = remind(session, DUE)
    owner = find_or_create_user(session, acme, "olivia", Role.OWNER)
    assert reminders(session, owner, acme.id) == [made]
    assert reminders(session, None, acme.id) == [made]       # the operator's ccc
    dismissed = dismiss(session, owner, acme.id, made.id, DUE + timedelta(hours=1))
    assert (dismissed.dismissed_at, dismissed.dismissed_by) == (
        DUE + timedelta(hours=1), "olivia")
    assert reminders(session, owner, acme.id) == []
    assert reminders(session, owner, acme.id, dismissed=True) == [made]
    again = dismiss(session, None, acme.id, made.id, DUE + timedelta(hours=2))
    assert (again.dismissed_at, again.dismissed_by) == (DUE + timedelta(hours=1), "olivia")
    assert reminder_json(made) == {
        "id": made.id, "digits": POOL, "ends_at": "2026-09-16T00:00:00Z",
        "created_at": "2026-09-09T00:00:00Z", "dismissed_at": "2026-09-09T01:00:00Z",
        "dismissed_by": "olivia"}


def test_other_roles_and_accounts_are_refused(session, acme):
    [made] = remind(session, DUE)
    agent = find_or_create_user(session, acme, "andy", Role.AGENT)
    globex = create_account(session, "globex", "payg")
    stranger = find_or_create_user(session, globex, "mallory", Role.OWNER)
    with pytest.raises(Forbidden):
        reminders(session, agent, acme.id)
    with pytest.raises(Forbidden):
        dismiss(session, agent, acme.id, made.id, DUE)
    with pytest.raises(NotFound):
        reminders(session, stranger, acme.id)
    with pytest.raises(NotFound):   # its own account, another's reminder
        dismiss(session, stranger, globex.id, made.id, DUE)
    for bad in (0, -1, 2 ** 70, "1", True, None):
        with pytest.raises(NotFound):
            dismiss(session, None, acme.id, bad, DUE)
    assert session.get(NumberReminder, made.id).dismissed_at is None


# ---- faces -------------------------------------------------------------------------

@pytest.fixture
def reminded(sqlite_world):
    """acme bought a pool number whose term ends in 3 days; ccc serve's round reminded."""
    number_id = buy_pool_number(sqlite_world, WORLD_POOL)
    with transaction(sqlite_world.settings) as db:
        [made] = remind(db, utcnow())
        return {"number_id": number_id, "reminder_id": made.id}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def dismissed_at(world, reminder_id):
    with transaction(world.settings) as db:
        return db.get(NumberReminder, reminder_id).dismissed_at


def test_the_owner_sees_it_on_the_overview_and_numbers_pages_and_dismisses_it(
        sqlite_world, reminded):
    owner = signed_in(sqlite_world)
    for path in ("/", "/numbers"):
        page = text(owner.get(path))
        assert "Number reminders" in page, path
        assert "its rental ends on" in page and "auto-renewal off" in page
        assert f'href="/numbers/{reminded["number_id"]}/edit">{WORLD_POOL}</a>' in page
    chinese = text(owner.get("/", headers={"Accept-Language": "zh-CN"}))
    assert "号码到期提醒" in chinese and "关闭提醒" in chinese
    done = post_form(owner, f"/numbers/reminders/{reminded['reminder_id']}/dismiss",
                     {"back": "overview"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/")
    assert dismissed_at(sqlite_world, reminded["reminder_id"]) is not None
    page = text(owner.get("/"))
    assert "Number reminders" not in page and f"Reminder for {WORLD_POOL} dismissed" in page
    assert "Number reminders" not in text(owner.get("/numbers"))


def test_other_roles_and_accounts_neither_see_nor_dismiss_it(sqlite_world, reminded):
    alice = signed_in(sqlite_world, "alice")
    mallory = signed_in(sqlite_world, "mallory", account="globex")
    for client in (alice, mallory):
        for path in ("/", "/numbers"):
            assert "Number reminders" not in text(client.get(path))
    path = f"/numbers/reminders/{reminded['reminder_id']}/dismiss"
    assert post_form(alice, path).status_code == 403
    assert post_form(mallory, path).status_code == 404
    assert dismissed_at(sqlite_world, reminded["reminder_id"]) is None


def test_the_api_lists_and_dismisses_it(sqlite_world, reminded):
    api = sqlite_world.app().test_client()
    ident = reminded["reminder_id"]
    listed = api.get("/api/v1/numbers/reminders", headers=bearer(sqlite_world))
    assert listed.status_code == 200
    assert [(r["id"], r["digits"], r["dismissed_at"]) for r in listed.get_json()] == [
        (ident, WORLD_POOL, None)]
    assert api.get("/api/v1/numbers/reminders?dismissed=no",
                   headers=bearer(sqlite_world)).status_code == 400
    assert api.get("/api/v1/numbers/reminders",
                   headers=bearer(sqlite_world, "andy")).status_code == 403
    assert api.get("/api/v1/numbers/reminders",
                   headers=bearer(sqlite_world, "mallory")).get_json() == []
    assert api.post(f"/api/v1/numbers/reminders/{ident}/dismiss",
                    headers=bearer(sqlite_world, "mallory")).status_code == 404
    assert api.post(f"/api/v1/numbers/reminders/{ident}/dismiss",
                    headers=bearer(sqlite_world, "andy")).status_code == 403
    done = api.post(f"/api/v1/numbers/reminders/{ident}/dismiss", headers=bearer(sqlite_world))
    assert done.status_code == 200 and done.get_json()["dismissed_by"] == "olivia"
    assert api.get("/api/v1/numbers/reminders", headers=bearer(sqlite_world)).get_json() == []
    assert [r["id"] for r in api.get("/api/v1/numbers/reminders?dismissed=all",
                                     headers=bearer(sqlite_world)).get_json()
            if r["digits"] == WORLD_POOL] == [ident]
