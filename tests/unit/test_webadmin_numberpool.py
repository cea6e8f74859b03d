"""The 400 numbers page: the owner sees tiers and the pool, buys, records documents;
an unknown number is refused at the field and nothing is bought; other roles get 403."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.numbers.pool import add_to_pool
from engine.numbers.pool_models import NumberPurchase
from engine.uow import transaction
from tests.unit.webadmin_world import post_form, signed_in, sqlite_world

__all__ = ["sqlite_world"]


def count(world) -> int:
    with transaction(world.settings) as db:
        return db.scalar(select(func.count()).select_from(NumberPurchase))


def test_the_owner_buys_a_pool_number_and_records_the_documents(sqlite_world):
    with transaction(sqlite_world.settings) as db:
        add_to_pool(db, "4008003001", "gold")
    client = signed_in(sqlite_world, "olivia")
    page = client.get("/numbers/pool?tier=gold").get_data(as_text=True)
    assert "4008003001" in page and "2500.00" in page
    before = count(sqlite_world)
    refused = post_form(client, "/numbers/pool/buy", {"digits": "4008003001\n"})
    assert refused.status_code == 422 and 'id="digits-error"' in refused.get_data(as_text=True)
    assert count(sqlite_world) == before
    bought = post_form(client, "/numbers/pool/buy", {"digits": "4008003001"},
                       follow_redirects=True)
    assert "7500.00" in bought.get_data(as_text=True)
    with transaction(sqlite_world.settings) as db:
        purchase = db.scalar(select(NumberPurchase).order_by(NumberPurchase.id.desc()))
        ident = purchase.id
    post_form(client, f"/numbers/purchases/{ident}/documents")
    with transaction(sqlite_world.settings) as db:
        assert db.get(NumberPurchase, ident).documents_submitted_at is not None


def test_other_roles_may_not_buy(sqlite_world):
    for user in ("alice", "andy"):
        client = signed_in(sqlite_world, user)
        assert client.get("/numbers/pool").status_code == 403
        assert post_form(client, "/numbers/pool/buy",
                         {"digits": "4008001001"}).status_code == 403
