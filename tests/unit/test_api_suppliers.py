"""/api/v1/suppliers: every account reads the platform's suppliers and their policies,
but sees only its own numbers among a supplier's."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.numbers.models import Number
from engine.suppliers.models import Supplier
from engine.suppliers.portal import publish_agreement, update_policy
from engine.suppliers.service import create_supplier, set_number_supplier
from engine.uow import transaction
from tests.unit.webadmin_world import bearer, pdf_bytes, sqlite_world, world

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


def test_an_account_reads_what_the_supplier_published_in_its_portal(api, sqlite_world):
    """The agreement's words, the offer and the policy; the PDF only on its own route."""
    pdf = pdf_bytes("Metro's agreement")
    with transaction(sqlite_world.settings) as db:
        metro = db.get(Supplier, sqlite_world.metro_id)
        update_policy(db, None, metro, {"number_types": ["landline", "400"],
                                        "virtual_mobile_batch": 10})
        publish_agreement(db, None, metro, {
            "company_name": "Metro Telecom Co.", "usage_scenarios": "Customer care",
            "restrictions": "No calls at night", "price_description": "0.1 CNY a minute"},
            pdf)
    response = api.get(f"{API}/suppliers", headers=bearer(sqlite_world, "mallory"))
    assert b"%PDF" not in response.data
    metro = next(s for s in response.get_json() if s["name"] == "metro")
    agreement = metro.pop("agreement")
    assert agreement.pop("updated_at")[:4].isdigit()
    assert agreement == {"company_name": "Metro Telecom Co.",
                         "usage_scenarios": "Customer care",
                         "restrictions": "No calls at night",
                         "price_description": "0.1 CNY a minute", "has_file": True}
    assert (metro["number_types"], metro["virtual_mobile_batch"],
            metro["virtual_mobile_concurrency"], metro["barred_industries"]) == (
        ["landline", "400"], 10, 3, [])
    assert metro["blocked_regions"] == ["Xinjiang"] and metro["calls_per_day"] == 1
    one = api.get(f"{API}/suppliers/{sqlite_world.metro_id}",
                  headers=bearer(sqlite_world)).get_json()
    assert one["agreement"]["company_name"] == "Metro Telecom Co."
    document = api.get(f"{API}/suppliers/{sqlite_world.metro_id}/agreement/file",
                       headers=bearer(sqlite_world))
    assert (document.status_code, document.mimetype, document.data) == (
        200, "application/pdf", pdf)
    assert api.get(f"{API}/suppliers/{sqlite_world.metro_id}/agreement/file").status_code \
        == 401


def test_a_supplier_that_published_nothing_has_no_agreement(api, sqlite_world):
    metro = api.get(f"{API}/suppliers/{sqlite_world.metro_id}",
                    headers=bearer(sqlite_world)).get_json()
    assert metro["agreement"] is None and metro["number_types"] == []
    for supplier in (sqlite_world.metro_id, 999):
        assert api.get(f"{API}/suppliers/{supplier}/agreement/file",
                       headers=bearer(sqlite_world)).status_code == 404


def test_the_published_fields_are_in_the_openapi_document(api):
    paths = api.get(f"{API}/openapi.json").get_json()["paths"]
    listed = paths[f"{API}/suppliers"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["items"]["properties"]
    assert {"number_types", "barred_industries", "virtual_mobile_batch", "agreement",
            "calling_hours", "blocked_regions"} <= set(listed)
    assert set(listed["agreement"]["properties"]) == {
        "company_name", "usage_scenarios", "restrictions", "price_description", "has_file",
        "updated_at"}
    assert paths[f"{API}/suppliers/{{supplier_id}}/agreement/file"]["get"]["operationId"] \
        == "GetSupplierPublishedAgreementFile"
