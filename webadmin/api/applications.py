"""/api/v1/applications: the account's third-party line applications (its owner's): apply
to a supplier with an approved qualification, follow the review and the delivery."""
from __future__ import annotations

from flask import g, jsonify

from engine.applications import service as applications
from webadmin.access import current_user, work
from webadmin.api import body
from webadmin.api.registry import route

CHANGES = (401, 403, 404)
HISTORY = {"type": "array", "items": {"type": "object", "properties": {
    "action": {"type": "string"}, "actor": {"type": "string"},
    "remark": {"type": ["string", "null"]}, "at": {"type": "string"}}}}
APPLICATION = {"type": "object", "properties": {
    "id": {"type": "integer"}, "account_id": {"type": "integer"},
    "qualification": {"type": "integer"}, "company_name": {"type": "string"},
    "supplier": {"type": "string"}, "supplier_id": {"type": "integer"},
    "instance": {"type": "integer"}, "number_type": {"type": "string"},
    "quantity": {"type": "integer"}, "note": {"type": "string"},
    "state": {"type": "string", "enum": ["submitted", "approved", "rejected", "delivered"]},
    "remark": {"type": ["string", "null"]},
    "numbers": {"type": "array", "items": {"type": "string"},
                "description": "the numbers delivered (now the account's)"},
    "created_at": {"type": "string"}, "history": HISTORY}}
APPLY = {"type": "object",
         "required": ["qualification", "supplier", "instance", "number_type", "quantity"],
         "properties": {
             "qualification": {"type": "integer", "description": "an approved one"},
             "supplier": {"type": "integer", "description": "one of the qualification's"},
             "instance": {"type": "integer", "description": "where the numbers go"},
             "number_type": {"type": "string",
                             "enum": ["landline", "95", "virtual_mobile", "international"]},
             "quantity": {"type": "integer", "description": "virtual mobile: at least the "
                                                             "supplier's batch"},
             "note": {"type": "string"}}}


@route("/applications", "GET", "The account's line applications",
       response={"type": "array", "items": APPLICATION},
       operation_id="ListLineApplications", errors=(401, 403))
def list_line_applications():
    with work() as db:
        return jsonify([applications.application_json(a) for a in
                        applications.list_applications(db, current_user(db), g.account_id)])


@route("/applications", "POST", "Apply for a third-party line", request=APPLY,
       response=APPLICATION, status=201, operation_id="ApplyForLine", errors=CHANGES)
def apply_for_line():
    data = body(APPLY)
    with work() as db:
        created = applications.apply_for_line(
            db, current_user(db), g.account_id, qualification_id=data["qualification"],
            supplier_id=data["supplier"], instance_id=data["instance"],
            number_type=data["number_type"], quantity=data["quantity"],
            note=data.get("note") or "")
        return jsonify(applications.application_json(created)), 201


@route("/applications/<int:application_id>", "GET", "One line application and its history",
       response=APPLICATION, operation_id="GetLineApplication", errors=CHANGES)
def get_line_application(application_id: int):
    with work() as db:
        found = applications.get_application(db, current_user(db), application_id)
        return jsonify(applications.application_json(found))
