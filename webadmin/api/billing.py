"""/api/v1/billing: the account's monthly bill, payments, usage-detail exports.

The owner's only, as in the web admin (403 for the other roles); the account is the
token's. Amounts are JSON strings ("12.34"), so no client ever rounds them as floats.
"""
from __future__ import annotations

from flask import jsonify, send_file

from engine.billing.bills import BILL_COLUMNS, bill, bill_dict, pay
from engine.billing.export import list_exports
from engine.billing.money import show
from engine.billing.models import Item, UsageExport
from webadmin.access import work
from webadmin.api import body
from webadmin.api.registry import route
from webadmin.billing import (exports_path, month_of, own_export, require_owner, run_export,
                              the_account)

MONEY = {"type": "string", "description": "CNY, e.g. 12.34"}
MONTH = {"type": "string", "description": "YYYY-MM on the billing clock", "examples": ["2026-11"]}
LINE = {"type": "object", "properties": {
    name: MONEY if name in ("unit_price", "original_price", "discount", "amount_payable",
                            "amount_unpaid") else
    {"type": "integer"} if name == "usage" else {"type": "string"} for name in BILL_COLUMNS}}
SHORTFALL = {"type": "object", "properties": {
    "digits": {"type": "string"}, "tier": {"type": "string"}, "minimum_monthly_spend": MONEY,
    "due": MONEY, "minutes": {"type": "integer"}, "spent": MONEY, "shortfall": MONEY}}
PURCHASE = {"type": "object", "properties": {
    "digits": {"type": "string"}, "tier": {"type": "string"}, "minimum_monthly_spend": MONEY,
    "months": {"type": "integer"}, "amount": MONEY,
    "purchased_at": {"type": "string", "format": "date-time"}}}
BILL = {"type": "object", "properties": {
    "account": {"type": "string"}, "month": MONTH, "plan": {"type": "string"},
    "discount_percent": {"type": "string"}, "lines": {"type": "array", "items": LINE},
    "original_price": MONEY, "discount": MONEY, "amount_payable": MONEY, "paid": MONEY,
    "amount_unpaid": MONEY, "minimum_spend": {
        "type": "array", "description": "each pool 400 number held in the month after its "
        "prepaid term: its tier's minimum, prorated to the time held (due), what its calls "
        "came to (spent), and the shortfall its MinimumSpend_400 line charges",
        "items": SHORTFALL},
    "number_purchases": {
        "type": "array", "description": "each pool 400 number bought in the month (billing "
        "clock): its tier's minimum for the prepaid months, charged once by its Purchase_400 "
        "line; a number given back because its handler's documents were not in on time is "
        "not charged and not listed", "items": PURCHASE}}}
EXPORT_FILTERS = {"type": "object", "required": ["month"], "properties": {
    "month": MONTH, "instance_id": {"type": "integer", "description": "one of the account's"},
    "item": {"type": "string", "enum": [i.value for i in Item]}}}
EXPORT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "month": MONTH, "instance_id": {"type": ["integer", "null"]},
    "item": {"type": ["string", "null"]}, "rows": {"type": "integer"},
    "size": {"type": "integer", "description": "bytes"}, "sha256": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"}}}
PAYMENT_IN = {"type": "object", "required": ["month", "amount"], "properties": {
    "month": MONTH, "amount": MONEY, "reference": {"type": "string", "maxLength": 64}}}
PAYMENT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "month": MONTH, "amount": MONEY, "reference": {"type": "string"},
    "paid_at": {"type": "string", "format": "date-time"}, "bill": BILL}}
OWNER = (401, 403, 404)


def export_json(record: UsageExport) -> dict:
    return {"id": record.id, "month": record.month, "instance_id": record.instance_id,
            "item": record.item, "rows": record.rows, "size": record.size,
            "sha256": record.sha256, "created_at": record.created_at.isoformat() + "Z"}


@route("/billing/bills/<month>", "GET", "The account's bill for a month (rated first if "
       "it never was)", response=BILL, errors=(401, 403, 422))
def get_bill(month: str):
    require_owner()
    with work() as db:
        return jsonify(bill_dict(bill(db, the_account(db), month_of(month))))


@route("/billing/payments", "POST", "Record a payment against a month's bill",
       request=PAYMENT_IN, response=PAYMENT, status=201, errors=(401, 403))
def create_payment():
    require_owner()
    with work() as db:
        data = body(PAYMENT_IN)
        account, month = the_account(db), month_of(data["month"])
        payment = pay(db, account, month, data["amount"], data.get("reference") or "")
        row = {"id": payment.id, "month": payment.month, "amount": show(payment.amount),
               "reference": payment.reference,
               "paid_at": payment.paid_at.isoformat() + "Z",
               "bill": bill_dict(bill(db, account, month))}
    return jsonify(row), 201


@route("/billing/exports", "POST", "Export the usage detail of a month (filtered); the "
       "export is kept", request=EXPORT_FILTERS, response=EXPORT, status=201, errors=(401, 403))
def create_export():
    require_owner()
    with work() as db:
        data = body(EXPORT_FILTERS)
        row = export_json(run_export(db, data["month"], data.get("instance_id"),
                                     data.get("item")))
    return jsonify(row), 201


@route("/billing/exports", "GET", "The account's past usage exports",
       response={"type": "array", "items": EXPORT}, errors=(401, 403))
def list_exports_():
    require_owner()
    with work() as db:
        return jsonify([export_json(e) for e in list_exports(db, the_account(db))])


@route("/billing/exports/<int:export_id>/download", "GET",
       "An earlier export, byte for byte (text/csv)", errors=OWNER)
def download_export(export_id: int):
    require_owner()
    with work() as db:
        name = own_export(db, export_id).file_name
    return send_file(exports_path() / name, mimetype="text/csv", as_attachment=True,
                     download_name=name)
