"""/api/v1/suppliers: every account reads the platform's suppliers and their policies,
but sees only its own numbers among a supplier's."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.numbers.models import Number
from engine.suppliers.service import create_supplier, set_number_supplier
from engine.uow import transaction
from tests.unit.webadmin_world import bearer, sqlite_world, world

__all__ = ["sqlite_world", "world"]
API = "/api/v1"


@pytest.fixture
def api(sqlite_world):
    with transaction(sqlite_world.settings) as db:
        metro = create_supplier(db, "metro", "Asia/Shanghai", calls_per_day=1,
                                calling_hours="mon-fri 09:00-20:00",
                                blocked_regions=["Xinjiang"])
        for digits in ("01012345678", "02087654321"):  # acme's, then globex's
            set_number_supplier(db, db.scalar(select(Number).where(Number.digits == digits)),
                                metro)
        sqlite_world.metro_id = metro.id
    return sqlite_world.app().test_client()


def test_an_account_reads_suppliers_with_only_its_own_numbers(api, sqlite_world):
    listed = api.get(f"{API}/suppliers", headers=bearer(sqlite_world)).get_json()
    assert [s["name"] for s in listed] == ["metro", "telecom", "unicom"]  # the world's too
    metro = api.get(f"{API}/suppliers/{sqlite_world.metro_id}",
                    headers=bearer(sqlite_world)).get_json()
    assert metro["numbers"] == ["01012345678"]
    assert metro["calling_hours"] == "mon,tue,wed,thu,fri 09:00-20:00"
    assert (metro["calls_per_day"], metro["concurrency"]) == (1, 20)
    assert metro["blocked_regions"] == ["Xinjiang"]
    theirs = api.get(f"{API}/suppliers/{sqlite_world.metro_id}",
                     headers=bearer(sqlite_world, "mallory")).get_json()
    assert theirs["numbers"] == ["02087654321"]
    numbers = api.get(f"{API}/numbers", headers=bearer(sqlite_world)).get_json()
    assert {n["digits"]: n["supplier_id"] for n in numbers}["01012345678"] == metro["id"]


def test_an_unknown_supplier_is_404_and_a_token_is_needed(api, sqlite_world):
    assert api.get(f"{API}/suppliers/999", headers=bearer(sqlite_world)).status_code == 404
    assert api.get(f"{API}/suppliers").status_code == 401


def test_the_operations_are_in_the_openapi_document(api):
    paths = api.get(f"{API}/openapi.json").get_json()["paths"]
    assert paths[f"{API}/suppliers"]["get"]["operationId"] == "ListSuppliers"
    assert paths[f"{API}/suppliers/{{supplier_id}}"]["get"]["operationId"] == "GetSupplier"
