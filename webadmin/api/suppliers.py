"""/api/v1/suppliers: the platform's number suppliers, the restrictions they put on
outbound calls, their offer and the service agreement they publish in their portal,
which every account may read (its numbers follow them; it chooses suppliers by them).
They are created by the platform's operators with ``ccc supplier``."""
from __future__ import annotations

from flask import abort, g, jsonify
from sqlalchemy import select

from engine.numbers.models import Number
from engine.suppliers.models import Supplier
from engine.suppliers.portal import published_file, published_json
from engine.suppliers.service import list_suppliers
from webadmin.access import work
from webadmin.api.registry import route
from webadmin.uploads import send_document

NULLABLE_COUNT = {"type": ["integer", "null"], "description": "no cap when null"}
SUPPLIER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "time_zone": {"type": "string", "description": "IANA name: the clock of the hours "
                                                  "and of the calendar days"},
    "calling_hours": {"type": "string", "description": "e.g. 'mon,tue 09:00-20:00'; "
                                                       "empty: any hour"},
    "calling_hours_windows": {"type": "array", "items": {"type": "object", "properties": {
        "weekdays": {"type": "array", "items": {"type": "integer"},
                     "description": "0 = Monday"},
        "start": {"type": "string"}, "end": {"type": "string",
                                             "description": "at or before start: "
                                                            "runs past midnight"}}}},
    "calls_per_day": NULLABLE_COUNT, "calls_per_24h": NULLABLE_COUNT,
    "calls_per_48h": NULLABLE_COUNT,
    "blocked_regions": {"type": "array", "items": {"type": "string"}},
    "concurrency": {"type": "integer", "description": "outbound calls at once per number"},
    "refused_industries": {"type": "array", "items": {"type": "string"},
                           "description": "industries not served on marketing numbers"},
    "numbers": {"type": "array", "items": {"type": "string"},
                "description": "the account's numbers this supplier provides"}}}
OFFER = {
    "number_types": {"type": "array", "items": {"type": "string", "enum": [
        "landline", "400", "95", "virtual_mobile", "international"]},
        "description": "the number types the supplier offers"},
    "barred_industries": {"type": "array", "items": {"type": "string"},
                          "description": "industries its marketing numbers do not serve"},
    "virtual_mobile_batch": {"type": "integer", "description": "virtual-mobile caller IDs "
                                                               "come this many at least"},
    "virtual_mobile_concurrency": {"type": "integer", "description": "calls at once per "
                                                                     "virtual-mobile number"}}
PUBLISHED_AGREEMENT = {
    "type": ["object", "null"], "description": "the service agreement published in the "
    "supplier's portal; null until it has one", "properties": {
        "company_name": {"type": "string"}, "usage_scenarios": {"type": "string"},
        "restrictions": {"type": "string"}, "price_description": {"type": "string"},
        "has_file": {"type": "boolean", "description": "its PDF is at "
                                                      "/suppliers/{supplier_id}/agreement/file"},
        "updated_at": {"type": "string", "format": "date-time"}}}
PUBLISHED = {"type": "object", "properties": SUPPLIER["properties"] | OFFER | {
    "agreement": PUBLISHED_AGREEMENT}}


def _row(db, supplier: Supplier) -> dict:
    # Only the asking account's numbers: another account's are none of its business.
    numbers = list(db.scalars(select(Number.digits).where(
        Number.supplier_id == supplier.id, Number.account_id == g.account_id)
        .order_by(Number.digits)))
    return published_json(db, supplier, numbers)


def _supplier(db, supplier_id: int) -> Supplier:
    supplier = db.get(Supplier, supplier_id)
    if supplier is None:
        abort(404)
    return supplier


@route("/suppliers", "GET", "The number suppliers: restriction policies, offers and "
       "published agreements", response={"type": "array", "items": PUBLISHED},
       operation_id="ListSuppliers", errors=(401,))
def list_suppliers_():
    with work() as db:
        return jsonify([_row(db, s) for s in list_suppliers(db)])


@route("/suppliers/<int:supplier_id>", "GET", "One supplier: restriction policy, offer and "
       "published agreement", response=PUBLISHED, operation_id="GetSupplier")
def get_supplier_(supplier_id: int):
    with work() as db:
        return jsonify(_row(db, _supplier(db, supplier_id)))


@route("/suppliers/<int:supplier_id>/agreement/file", "GET", "The PDF of the agreement the "
       "supplier published", content_type="application/pdf",
       operation_id="GetSupplierPublishedAgreementFile")
def get_supplier_agreement_file_(supplier_id: int):
    with work() as db:
        return send_document(db, published_file(db, _supplier(db, supplier_id)),
                             "agreement.pdf")
