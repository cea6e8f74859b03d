"""/api/v1 number-tiers, number-pool, number-purchases and a number's routing, rentals
and renewal: the owner buys; other roles and other accounts are refused; bad bodies
get a 4xx naming the field and change nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.numbers.pool import add_to_pool
from engine.numbers.pool_models import NumberPurchase
from engine.uow import transaction
from tests.unit.webadmin_world import bearer, sqlite_world, world

__all__ = ["sqlite_world", "world"]
API = "/api/v1"


@pytest.fixture
def api(sqlite_world):
    with transaction(sqlite_world.settings) as db:
        add_to_pool(db, "4008002001", "vip")
    return sqlite_world.app().test_client()


def purchases(world) -> int:
    with transaction(world.settings) as db:
        return db.scalar(select(func.count()).select_from(NumberPurchase))


def test_the_owner_sees_tiers_and_the_pool_and_buys_three_months(api, sqlite_world):
    owner = bearer(sqlite_world)
    tiers = api.get(f"{API}/number-tiers", headers=owner).get_json()
    assert [(t["name"], t["minimum_monthly_spend"]) for t in tiers][:2] == [
        ("standard", "375.00"), ("preferred", "750.00")]
    assert [n["digits"] for n in api.get(f"{API}/number-pool?tier=vip",
                                         headers=owner).get_json()] == ["4008002001"]
    bought = api.post(f"{API}/number-purchases", json={"digits": "4008002001"}, headers=owner)
    assert bought.status_code == 201
    assert (bought.get_json()["months"], bought.get_json()["amount"]) == (3, "37500.00")
    again = api.post(f"{API}/number-purchases", json={"digits": "4008002001"},
                     headers=bearer(sqlite_world, "mallory"))
    assert again.status_code == 404  # held by acme now
    mine = api.get(f"{API}/number-purchases", headers=owner).get_json()
    assert sorted(p["digits"] for p in mine) == ["4008001001", "4008002001"]
    theirs = api.get(f"{API}/number-purchases", headers=bearer(sqlite_world, "mallory"))
    assert [p["digits"] for p in theirs.get_json()] == ["4008001002"]


def test_only_the_owner_buys(api, sqlite_world):
    before = purchases(sqlite_world)
    for user in ("alice", "andy"):
        response = api.post(f"{API}/number-purchases", json={"digits": "4008002001"},
                            headers=bearer(sqlite_world, user))
        assert response.status_code == 403
    assert purchases(sqlite_world) == before


@pytest.mark.parametrize("data, field", [
    ({}, "digits"), ({"digits": 4008002001}, "digits"), ({"digits": "4" * 501}, "digits"),
    ({"digits": "400800200\n"}, "digits"), ({"digits": None}, "digits")])
def test_a_bad_purchase_body_names_the_field_and_buys_nothing(api, sqlite_world, data, field):
    before = purchases(sqlite_world)
    response = api.post(f"{API}/number-purchases", json=data, headers=bearer(sqlite_world))
    assert response.status_code == 422 and field in response.get_json()["fields"]
    assert purchases(sqlite_world) == before


def test_a_body_that_is_not_json_is_400(api, sqlite_world):
    response = api.post(f"{API}/number-purchases", data=b"[[[[", headers=bearer(sqlite_world)
                        | {"Content-Type": "application/json"})
    assert response.status_code == 400


def test_routing_and_renewal_refuse_hostile_values(api, sqlite_world):
    owner = bearer(sqlite_world)
    [bought] = [n for n in api.get(f"{API}/numbers", headers=owner).get_json()
                if n["digits"] == "4008001001"]
    for value in (2 ** 70, -1, "1", True, None):
        response = api.put(f"{API}/numbers/{bought['id']}/routing", json={"instance_id": value},
                           headers=owner)
        assert response.status_code == 422 and "instance_id" in response.get_json()["fields"]
    other = api.put(f"{API}/numbers/{bought['id']}/routing",
                    json={"instance_id": sqlite_world.ids["globex_instance"]}, headers=owner)
    assert other.status_code == 404
    routed = api.put(f"{API}/numbers/{bought['id']}/routing",
                     json={"instance_id": sqlite_world.ids["acme_instance"]}, headers=owner)
    assert routed.status_code == 200 and routed.get_json()["instance_id"] == \
        sqlite_world.ids["acme_instance"]
    for value in ("yes", 1, None):
        response = api.put(f"{API}/numbers/{bought['id']}/renewal", json={"auto_renew": value},
                           headers=owner)
        assert response.status_code == 422 and "auto_renew" in response.get_json()["fields"]
    assert api.put(f"{API}/numbers/{bought['id']}/renewal", json={"auto_renew": True},
                   headers=owner).get_json()["auto_renew"] is True
    [rental] = api.get(f"{API}/numbers/{bought['id']}/rentals", headers=owner).get_json()
    assert rental["auto_renew"] is True and rental["ends_at"].startswith("2026-04-05")
