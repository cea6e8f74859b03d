"""/api/v1/numbers: the account's numbers; bind one to a published flow and to skill groups."""
from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import select

from engine.numbers.models import Number
from engine.ivr.service import bindable_flows
from engine.numbers.service import bind_number
from webadmin.access import load, pbx_report, require_configure, work
from webadmin.api import body
from webadmin.api.registry import route

NUMBER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "digits": {"type": "string"}, "type": {"type": "string"},
    "instance_id": {"type": ["integer", "null"]},
    "inbound_flow_id": {"type": ["integer", "null"]},
    "supplier_id": {"type": ["integer", "null"],
                    "description": "whose restriction policy its outbound calls follow"},
    "skill_groups": {"type": "array", "items": {"type": "integer"}},
    "bindable_flows": {"type": "array", "items": {"type": "object"},
                       "description": "the instance's published flows"}}}
UPDATE = {"type": "object", "properties": {
    "inbound_flow_id": {"type": ["integer", "null"],
                        "description": "a published flow; null for none"},
    "skill_groups": {"type": "array", "items": {"type": "integer"},
                     "description": "skill group ids that call out with the number"}}}


def number_json(db, number: Number) -> dict:
    flows = bindable_flows(db, number.instance_id) if number.instance_id else []
    return {"id": number.id, "digits": number.digits, "type": number.type.value,
            "instance_id": number.instance_id, "inbound_flow_id": number.inbound_flow_id,
            "supplier_id": number.supplier_id,
            "skill_groups": [g.id for g in number.outbound_skill_groups],
            "bindable_flows": [{"id": f.id, "name": f.name} for f in flows]}


@route("/numbers", "GET", "The account's numbers", response={"type": "array", "items": NUMBER})
def list_numbers_():
    with work() as db:
        return jsonify([number_json(db, n) for n in db.scalars(
            select(Number).where(Number.account_id == g.account_id).order_by(Number.digits))])


@route("/numbers/<int:number_id>", "GET", "One number", response=NUMBER)
def get_number(number_id: int):
    with work() as db:
        return jsonify(number_json(db, load(db, Number, number_id)))


@route("/numbers/<int:number_id>", "PATCH", "Bind a number to a flow and skill groups",
       request=UPDATE, response=NUMBER, errors=(401, 403, 404))
def update_number(number_id: int):
    with work() as db:
        number = load(db, Number, number_id)
        require_configure(db, number.instance)
        data = body(UPDATE)
        bind_number(db, number, data.get("inbound_flow_id", number.inbound_flow_id),
                    data.get("skill_groups", [g.id for g in number.outbound_skill_groups]))
        row = number_json(db, number)
    return jsonify(row | {"pbx": pbx_report()})
