"""/api/v1/billing: the bill, payments, usage exports, with the token's account.

Configured: the world of tests/unit/test_webadmin_billing.py (November 2026 calls of
acme's Sales and Hotline, and of globex's Support). Observed: JSON in and out, amounts
as strings, each refusal a 422 naming its field with nothing written, the export's
download exactly the usage-detail CSV, another account's export 404, other roles 403.
"""
from __future__ import annotations

import csv
import io

import pytest

from engine.billing.detail import USAGE_HEADER
from engine.billing.models import Payment, UsageExport
from engine.billing.money import show
from tests.unit.test_webadmin_billing import NOVEMBER, count, engine_bill, world
from tests.unit.webadmin_world import bearer, sqlite_world

__all__ = ["sqlite_world", "world"]
BILLING = "/api/v1/billing"


@pytest.fixture
def api(world):
    return world.app().test_client()


def test_the_bill_of_a_month(api, world):
    response = api.get(f"{BILLING}/bills/{NOVEMBER}", headers=bearer(world))
    assert response.status_code == 200
    data, expected = response.get_json(), engine_bill(world)
    assert (data["month"], data["plan"], data["discount_percent"]) == (NOVEMBER, "payg", "0")
    assert [line["billing_item"] for line in data["lines"]] == [
        line.billing_item for line in expected.lines]
    outbound = next(line for line in data["lines"] if line["billing_item"] == "Landline_Outbound")
    assert outbound == {"billing_item": "Landline_Outbound", "unit_price": "0.15",
                        "price_unit": "CNY/minute", "usage": 2, "usage_unit": "minute",
                        "original_price": "0.30", "discount": "0.00", "amount_payable": "0.30",
                        "amount_unpaid": "0.30"}
    assert (data["amount_payable"], data["amount_unpaid"]) == (show(expected.payable),) * 2


def test_a_pool_purchase_is_a_line_and_in_the_breakdown(api, world):
    from datetime import datetime

    from sqlalchemy import select

    from engine.models import Account
    from engine.numbers.pool import add_to_pool, buy
    from engine.uow import transaction
    assert api.get(f"{BILLING}/bills/{NOVEMBER}", headers=bearer(world)).get_json()[
        "number_purchases"] == []
    with transaction(world.settings) as db:
        acme = db.scalar(select(Account).where(Account.name == "acme"))
        add_to_pool(db, "4008009011", "standard")
        buy(db, acme.id, "4008009011", datetime(2026, 11, 20, 4))
    data = api.get(f"{BILLING}/bills/{NOVEMBER}", headers=bearer(world)).get_json()
    assert data["number_purchases"] == [{
        "digits": "4008009011", "tier": "standard", "minimum_monthly_spend": "375.00",
        "months": 3, "amount": "1125.00", "purchased_at": "2026-11-20T04:00:00Z"}]
    line = next(line for line in data["lines"] if line["billing_item"].startswith("Purchase"))
    assert (line["billing_item"], line["usage"], line["amount_payable"]) == (
        "Purchase_400 4008009011", 3, "1125.00")
    schema = api.get("/api/v1/openapi.json").get_json()
    bill_schema = schema["paths"]["/api/v1/billing/bills/{month}"]["get"]
    assert "number_purchases" in str(bill_schema)


@pytest.mark.parametrize("month, message", [("2026-13", "invalid month"),
                                            ("2999-01", "has not started yet")])
def test_a_bad_month_is_a_422_on_the_month_field(api, world, month, message):
    response = api.get(f"{BILLING}/bills/{month}", headers=bearer(world))
    assert response.status_code == 422 and message in response.get_json()["fields"]["month"]


def test_a_payment(api, world):
    response = api.post(f"{BILLING}/payments", headers=bearer(world),
                        json={"month": NOVEMBER, "amount": "10.00", "reference": "bank 7"})
    assert response.status_code == 201
    data = response.get_json()
    assert (data["month"], data["amount"], data["reference"]) == (NOVEMBER, "10.00", "bank 7")
    assert data["bill"]["paid"] == "10.00"
    assert data["bill"]["amount_unpaid"] == show(engine_bill(world).unpaid)


@pytest.mark.parametrize("payload, field, message", [
    ({"month": NOVEMBER, "amount": "0"}, "amount", "more than nothing"),
    ({"month": NOVEMBER, "amount": "-5"}, "amount", "zero or more"),
    ({"month": NOVEMBER, "amount": "999999"}, "amount", "exceeds the unpaid"),
    ({"month": NOVEMBER, "amount": 5}, "amount", "must be a JSON string"),
    ({"month": NOVEMBER}, "amount", "required"),
    ({"month": "2026-13", "amount": "1"}, "month", "invalid month"),
    ({"month": NOVEMBER, "amount": "1", "reference": "r" * 65}, "reference", "at most 64")])
def test_a_bad_payment_is_a_422_on_its_field_and_writes_nothing(api, world, payload, field,
                                                                message):
    response = api.post(f"{BILLING}/payments", headers=bearer(world), json=payload)
    assert response.status_code == 422
    assert message in response.get_json()["fields"][field]
    assert count(world, Payment) == 0


def test_an_export_with_filters_is_listed_and_downloads_again(api, world):
    hotline = world.ids["acme_hotline"]
    response = api.post(f"{BILLING}/exports", headers=bearer(world),
                        json={"month": NOVEMBER, "instance_id": hotline, "item": "Inbound_400"})
    assert response.status_code == 201
    record = response.get_json()
    assert (record["month"], record["instance_id"], record["item"], record["rows"]) == (
        NOVEMBER, hotline, "Inbound_400", 1)
    listed = api.get(f"{BILLING}/exports", headers=bearer(world)).get_json()
    assert [e["id"] for e in listed] == [world.ids["acme_export"], record["id"]]
    download = api.get(f"{BILLING}/exports/{record['id']}/download", headers=bearer(world))
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert len(download.get_data()) == record["size"]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert tuple(rows[0]) == USAGE_HEADER and len(rows) == 2


@pytest.mark.parametrize("payload, field, message", [
    ({"month": "2026-13"}, "month", "invalid month"),
    ({}, "month", "required"),
    ({"month": NOVEMBER, "instance_id": "globex"}, "instance_id", "must be a JSON integer"),
    ({"month": NOVEMBER, "instance_id": 999999}, "instance", "no instance 999999 in acme"),
    ({"month": NOVEMBER, "item": "Minutes"}, "item", "one of CallCenterSoftware")])
def test_bad_export_filters_are_a_422_on_their_field_and_write_nothing(api, world, payload,
                                                                      field, message):
    response = api.post(f"{BILLING}/exports", headers=bearer(world), json=payload)
    assert response.status_code == 422
    assert message in response.get_json()["fields"][field]
    assert count(world, UsageExport) == 2


def test_another_accounts_instance_and_export_are_not_found(api, world):
    response = api.post(f"{BILLING}/exports", headers=bearer(world),
                        json={"month": NOVEMBER, "instance_id": world.ids["globex_instance"]})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "instance": f"no instance {world.ids['globex_instance']} in acme"}
    other = api.get(f"{BILLING}/exports/{world.ids['globex_export']}/download",
                    headers=bearer(world))
    assert other.status_code == 404 and other.get_json() == {
        "error": f"no usage export {world.ids['globex_export']}"}
    listed = api.get(f"{BILLING}/exports", headers=bearer(world, "mallory")).get_json()
    assert [e["id"] for e in listed] == [world.ids["globex_export"]]


@pytest.mark.parametrize("user", ["alice", "andy"])
def test_only_the_owner_reaches_billing(api, world, user):
    for method, path, payload in (
            ("GET", f"/bills/{NOVEMBER}", None), ("GET", "/exports", None),
            ("GET", f"/exports/{world.ids['acme_export']}/download", None),
            ("POST", "/exports", {"month": NOVEMBER}),
            ("POST", "/payments", {"month": NOVEMBER, "amount": "1"})):
        response = api.open(BILLING + path, method=method, json=payload,
                            headers=bearer(world, user))
        assert response.status_code == 403, (user, path)
        assert "may not see or pay the account's bills" in response.get_json()["error"]
    assert count(world, Payment) == 0 and count(world, UsageExport) == 2


def test_the_billing_routes_are_in_the_openapi_document(api):
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths[f"{BILLING}/exports"]) == {"get", "post"}
    assert paths[f"{BILLING}/bills/{{month}}"]["get"]["parameters"][0]["name"] == "month"
    assert paths[f"{BILLING}/payments"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["required"] == ["month", "amount"]
    assert "422" in paths[f"{BILLING}/exports"]["post"]["responses"]
