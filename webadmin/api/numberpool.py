"""/api/v1/number-pool, /number-tiers, /number-purchases: 400 numbers from the
platform's pool by tier, bought by the account's owner (three months of the tier's
minimum spend first); the handler's documents are due within seven days."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engine.numbers import pool
from engine.numbers.pool_models import NumberPurchase, PoolNumber
from webadmin.access import load, require_account_role, work
from webadmin.api import body
from webadmin.api.registry import route

TIER = {"type": "object", "properties": {
    "name": {"type": "string"},
    "minimum_monthly_spend": {"type": "string", "description": "CNY a month"}}}
POOL_NUMBER = {"type": "object", "properties": {
    "digits": {"type": "string"}, "tier": {"type": "string"},
    "minimum_monthly_spend": {"type": "string"}}}
PURCHASE = {"type": "object", "properties": {
    "id": {"type": "integer"}, "digits": {"type": "string"}, "tier": {"type": "string"},
    "minimum_monthly_spend": {"type": "string"},
    "months": {"type": "integer", "description": "months the first payment covers"},
    "amount": {"type": "string", "description": "CNY charged for them"},
    "purchased_at": {"type": "string"}, "documents_due_at": {"type": "string"},
    "documents_submitted_at": {"type": ["string", "null"]},
    "released_at": {"type": ["string", "null"],
                    "description": "back in the pool: the documents came too late"}}}
BUY = {"type": "object", "required": ["digits"], "properties": {
    "digits": {"type": "string", "description": "a free number of the pool"}}}
MANAGE = _l("buy numbers")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _row(db, purchase: NumberPurchase) -> dict:
    return pool.purchase_json(purchase, db.get(PoolNumber, purchase.pool_number_id).digits)


@route("/number-tiers", "GET", "The 400 number tiers and their minimum monthly spend",
       response={"type": "array", "items": TIER}, operation_id="ListNumberTiers",
       errors=(401,))
def list_number_tiers():
    with work() as db:
        return jsonify([{"name": t.name, "minimum_monthly_spend": str(t.minimum_monthly_spend)}
                        for t in pool.tiers(db)])


@route("/number-pool", "GET", "The pool's free 400 numbers",
       response={"type": "array", "items": POOL_NUMBER}, operation_id="ListPoolNumbers",
       errors=(401, 422), query=({"name": "tier", "schema": {"type": "string"},
                                  "description": "only this tier"},))
def list_pool_numbers():
    with work() as db:
        spend = {t.name: str(t.minimum_monthly_spend) for t in pool.tiers(db)}
        return jsonify([{"digits": p.digits, "tier": p.tier, "minimum_monthly_spend": spend[p.tier]}
                        for p in pool.available(db, request.args.get("tier"))])


@route("/number-purchases", "GET", "The account's 400 number purchases",
       response={"type": "array", "items": PURCHASE}, operation_id="ListNumberPurchases",
       errors=(401, 403))
def list_number_purchases():
    require_account_role(MANAGE)
    with work() as db:
        return jsonify([_row(db, p) for p in db.scalars(
            select(NumberPurchase).where(NumberPurchase.account_id == g.account_id)
            .order_by(NumberPurchase.id))])


@route("/number-purchases", "POST", "Buy a free pool number (three months charged)",
       request=BUY, response=PURCHASE, status=201, operation_id="BuyPoolNumber",
       errors=(401, 403, 404, 422))
def buy_pool_number():
    require_account_role(MANAGE)
    with work() as db:
        data = body(BUY)
        row = _row(db, pool.buy(db, g.account_id, data["digits"], _now()))
    return jsonify(row), 201


@route("/number-purchases/<int:purchase_id>", "GET", "One 400 number purchase",
       response=PURCHASE, operation_id="GetNumberPurchase", errors=(401, 403, 404))
def get_number_purchase(purchase_id: int):
    with work() as db:
        purchase = load(db, NumberPurchase, purchase_id)
        require_account_role(MANAGE)
        return jsonify(_row(db, purchase))


@route("/number-purchases/<int:purchase_id>/documents", "POST",
       "The handler's documents are in: the number is kept", response=PURCHASE,
       operation_id="SubmitNumberDocuments", errors=(401, 403, 404))
def submit_number_documents(purchase_id: int):
    with work() as db:
        purchase = load(db, NumberPurchase, purchase_id)
        require_account_role(MANAGE)
        row = _row(db, pool.submit_documents(db, purchase, _now()))
    return jsonify(row)
