"""A number's page beyond binding: routing (the instance its calls go to), the marketing
flag and auto-renewal, each bad input refused on its field with nothing changed, each
step checked against the account and the role; and the numbers page's notice of rental
terms about to end, with their auto-renewal, in English and Chinese."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from engine.numbers.models import Number, NumberRental
from engine.uow import transaction
from tests.unit.webadmin_world import (
    buy_pool_number,
    field_errors,
    post_form,
    signed_in,
    sqlite_world,
)

__all__ = ["sqlite_world"]
POOL = "4008007001"


@pytest.fixture
def bought(sqlite_world):
    """acme's owner bought a pool 400 number: routed nowhere, its term ends in 3 days."""
    return buy_pool_number(sqlite_world, POOL)


def state(world, number_id: int) -> tuple:
    with transaction(world.settings) as db:
        number = db.get(Number, number_id)
        rental = db.scalar(select(NumberRental).where(NumberRental.number_id == number_id))
        return number.instance_id, number.marketing, rental.auto_renew


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_numbers_page_warns_of_terms_about_to_end(sqlite_world, bought):
    owner = signed_in(sqlite_world)
    page = text(owner.get("/numbers"))
    assert "Rentals ending within 7 days" in page
    assert "auto-renewal off: the number is then given back" in page
    assert f'href="/numbers/{bought}/edit">{POOL}</a>' in page  # routed nowhere: the owner's
    chinese = text(owner.get("/numbers", headers={"Accept-Language": "zh-CN"}))
    assert "7 天内到期的号码租期" in chinese and "自动续费已关闭" in chinese
    assert "Rentals ending" not in text(signed_in(sqlite_world, "alice").get("/numbers"))
    assert POOL not in text(signed_in(sqlite_world, "mallory", account="globex").get("/numbers"))


def test_routing_refuses_bad_input_on_its_field_and_routes(sqlite_world, bought):
    owner, ids = signed_in(sqlite_world), sqlite_world.ids
    page = text(owner.get(f"/numbers/{bought}/edit"))
    assert "Not routed yet" in page and "Routing" in page and "Auto-renewal" in page
    for value in ("", "abc", "-1", str(2 ** 70), str(ids["globex_instance"])):
        refused = post_form(owner, f"/numbers/{bought}/routing", {"instance_id": value})
        assert refused.status_code == 422, value
        assert "instance" in field_errors(text(refused))["instance_id"], value
    assert state(sqlite_world, bought) == (None, False, False)
    routed = post_form(owner, f"/numbers/{bought}/routing",
                       {"instance_id": str(ids["acme_instance"])})
    assert routed.status_code == 302
    assert state(sqlite_world, bought)[0] == ids["acme_instance"]


def test_the_marketing_flag_is_saved_with_the_binding(sqlite_world, bought):
    owner = signed_in(sqlite_world)
    saved = post_form(owner, f"/numbers/{bought}/edit", {"inbound_flow": "",
                                                          "marketing": "on"})
    assert saved.status_code == 302 and state(sqlite_world, bought)[1] is True
    assert 'id="marketing" name="marketing" checked' in text(owner.get(f"/numbers/{bought}/edit"))
    post_form(owner, f"/numbers/{bought}/edit", {"inbound_flow": ""})
    assert state(sqlite_world, bought)[1] is False


def test_auto_renewal_refuses_bad_input_and_shows_on_the_notice(sqlite_world, bought):
    owner = signed_in(sqlite_world)
    for value in ("", "maybe", "true"):
        refused = post_form(owner, f"/numbers/{bought}/renewal", {"auto_renew": value})
        assert refused.status_code == 422, value
        assert "true or false" in field_errors(text(refused))["auto_renew"]
    assert state(sqlite_world, bought)[2] is False
    assert post_form(owner, f"/numbers/{bought}/renewal",
                     {"auto_renew": "on"}).status_code == 302
    assert state(sqlite_world, bought)[2] is True
    assert "auto-renewal on: it renews for a month" in text(owner.get("/numbers"))
    assert "renews a month at a time" in text(owner.get(f"/numbers/{bought}/edit"))


def test_other_roles_and_other_accounts_are_refused(sqlite_world, bought):
    ids = sqlite_world.ids
    alice = signed_in(sqlite_world, "alice")  # Sales's administrator, not the account's
    mallory = signed_in(sqlite_world, "mallory", account="globex")
    for client, code in ((alice, 403), (mallory, 404)):
        assert post_form(client, f"/numbers/{bought}/routing",
                         {"instance_id": str(ids["acme_instance"])}).status_code == code
        assert post_form(client, f"/numbers/{bought}/renewal",
                         {"auto_renew": "on"}).status_code == code
        assert post_form(client, f"/numbers/{bought}/edit",
                         {"marketing": "on"}).status_code == code
    assert state(sqlite_world, bought) == (None, False, False)
    # On a number of its own instance, alice binds, but neither routes nor renews.
    page = text(alice.get(f"/numbers/{ids['acme_number']}/edit"))
    assert "Used for marketing calls" in page and "Route the number" not in page
    assert "Save auto-renewal" not in page
