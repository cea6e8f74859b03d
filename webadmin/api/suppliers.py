"""/api/v1/suppliers: the platform's number suppliers and the restrictions they put on
outbound calls, which every account may read (its numbers follow them). They are
created and changed by the platform's operators with ``ccc supplier``."""
from __future__ import annotations

from flask import abort, g, jsonify
from sqlalchemy import select

from engine.numbers.models import Number
from engine.suppliers.models import Supplier
from engine.suppliers.service import list_suppliers, supplier_json
from webadmin.access import work
from webadmin.api.registry import route

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


def _row(db, supplier: Supplier) -> dict:
    # Only the asking account's numbers: another account's are none of its business.
    numbers = list(db.scalars(select(Number.digits).where(
        Number.supplier_id == supplier.id, Number.account_id == g.account_id)
        .order_by(Number.digits)))
    return supplier_json(supplier, numbers)


@route("/suppliers", "GET", "The number suppliers and their restriction policies",
       response={"type": "array", "items": SUPPLIER}, operation_id="ListSuppliers",
       errors=(401,))
def list_suppliers_():
    with work() as db:
        return jsonify([_row(db, s) for s in list_suppliers(db)])


@route("/suppliers/<int:supplier_id>", "GET", "One supplier and its restriction policy",
       response=SUPPLIER, operation_id="GetSupplier")
def get_supplier_(supplier_id: int):
    with work() as db:
        supplier = db.get(Supplier, supplier_id)
        if supplier is None:
            abort(404)
        return jsonify(_row(db, supplier))
