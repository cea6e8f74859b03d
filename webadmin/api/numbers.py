"""/api/v1/numbers: the account's numbers; bind one to a published flow and to skill groups;
route it, renew it; the reminders of terms about to end."""
from __future__ import annotations

from flask import abort, g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engine.numbers.models import Number, NumberRental
from engine.db import utcnow
from engine.numbers.reminders import dismiss, reminder_json, reminders
from engine.numbers.rentals import check_renew, rental_json, set_auto_renew
from engine.ivr.service import bindable_flows
from engine.numbers.service import bind_number, check_route, set_marketing, set_routing
from webadmin.access import (current_user, load, pbx_report, require_account_role,
                             require_configure, work)
from webadmin.api import body
from webadmin.api.registry import route

NUMBER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "digits": {"type": "string"}, "type": {"type": "string"},
    "instance_id": {"type": ["integer", "null"]},
    "inbound_flow_id": {"type": ["integer", "null"]},
    "supplier_id": {"type": ["integer", "null"],
                    "description": "whose restriction policy its outbound calls follow"},
    "skill_groups": {"type": "array", "items": {"type": "integer"}},
    "marketing": {"type": "boolean",
                  "description": "makes marketing calls: its supplier's industry limits apply"},
    "bindable_flows": {"type": "array", "items": {"type": "object"},
                       "description": "the instance's published flows"}}}
UPDATE = {"type": "object", "properties": {
    "inbound_flow_id": {"type": ["integer", "null"],
                        "description": "a published flow; null for none"},
    "skill_groups": {"type": "array", "items": {"type": "integer"},
                     "description": "skill group ids that call out with the number"},
    "marketing": {"type": "boolean"}}}
ROUTING = {"type": "object", "required": ["instance_id"], "properties": {
    "instance_id": {"type": "integer", "description": "the account's instance the "
                                                      "carrier's calls to it reach"}}}


def number_json(db, number: Number) -> dict:
    flows = bindable_flows(db, number.instance_id) if number.instance_id else []
    return {"id": number.id, "digits": number.digits, "type": number.type.value,
            "instance_id": number.instance_id, "inbound_flow_id": number.inbound_flow_id,
            "supplier_id": number.supplier_id,
            "skill_groups": [g.id for g in number.outbound_skill_groups],
            "marketing": number.marketing,
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
        if data.get("marketing") is not None:
            set_marketing(db, number, data["marketing"])
        row = number_json(db, number)
    return jsonify(row | {"pbx": pbx_report()})


@route("/numbers/<int:number_id>/routing", "PUT",
       "Route a number to an instance (a 400 number bought from the pool starts with none)",
       request=ROUTING, response=NUMBER, operation_id="SetNumberRouting",
       errors=(401, 403, 404, 422))
def set_number_routing(number_id: int):
    with work() as db:
        number, actor = load(db, Number, number_id), current_user(db)
        check_route(db, actor, number)  # a role refused is told so before its body is read
        set_routing(db, actor, number, body(ROUTING)["instance_id"])
        row = number_json(db, number)
    return jsonify(row | {"pbx": pbx_report()})


RENEWAL = {"type": "object", "required": ["auto_renew"], "properties": {
    "auto_renew": {"type": "boolean", "description": "renew the term a month at a time"}}}
RENTAL = {"type": "object", "properties": {
    "digits": {"type": "string"}, "starts_at": {"type": "string"},
    "ends_at": {"type": ["string", "null"], "description": "null: no term"},
    "auto_renew": {"type": "boolean"}, "reminded_at": {"type": ["string", "null"]}}}


@route("/numbers/<int:number_id>/rentals", "GET", "The number's rental periods, newest first",
       response={"type": "array", "items": RENTAL}, operation_id="ListNumberRentals",
       errors=(401, 403, 404))
def list_number_rentals(number_id: int):
    with work() as db:
        number = load(db, Number, number_id)
        require_account_role(_l("see number rentals"))
        return jsonify([rental_json(r) for r in db.scalars(
            select(NumberRental).where(NumberRental.number_id == number.id)
            .order_by(NumberRental.starts_at.desc(), NumberRental.id.desc()))])


@route("/numbers/<int:number_id>/renewal", "PUT", "Turn the number's auto-renewal on or off",
       request=RENEWAL, response=RENTAL, operation_id="SetNumberAutoRenewal",
       errors=(401, 403, 404, 422))
def set_number_renewal(number_id: int):
    with work() as db:
        number, actor = load(db, Number, number_id), current_user(db)
        check_renew(actor, number)  # a role refused is told so before its body is read
        rental = set_auto_renew(db, actor, number, body(RENEWAL)["auto_renew"])
        if rental is None:
            abort(404)
        return jsonify(rental_json(rental))


REMINDER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "digits": {"type": "string"},
    "ends_at": {"type": "string", "format": "date-time", "description": "the term's end"},
    "created_at": {"type": "string", "format": "date-time"},
    "dismissed_at": {"type": ["string", "null"], "format": "date-time"},
    "dismissed_by": {"type": ["string", "null"], "description": "the user who dismissed it"}}}


@route("/numbers/reminders", "GET", "The account's reminders of rental terms ending within a "
       "week without auto-renewal (one per term), soonest first; not dismissed ones unless "
       "?dismissed=all", response={"type": "array", "items": REMINDER},
       operation_id="ListNumberReminders", errors=(400, 401, 403),
       query=({"name": "dismissed", "schema": {"type": "string", "enum": ["all"]},
               "description": "all: the dismissed ones too"},))
def list_number_reminders():
    shown = request.args.get("dismissed")
    if shown not in (None, "all"):
        abort(400, "dismissed: all")
    with work() as db:
        return jsonify([reminder_json(r) for r in reminders(
            db, current_user(db), g.account_id, dismissed=shown == "all")])


@route("/numbers/reminders/<int:reminder_id>/dismiss", "POST",
       "Dismiss a reminder (for all the account's owners; again: no change)",
       response=REMINDER, operation_id="DismissNumberReminder", errors=(401, 403, 404))
def dismiss_number_reminder(reminder_id: int):
    with work() as db:
        return jsonify(reminder_json(dismiss(db, current_user(db), g.account_id, reminder_id,
                                             utcnow())))
