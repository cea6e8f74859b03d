"""/api/v1/instances: list, create (an instance ready to take calls in one step), show,
update."""
from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import select

from engine.accounts.models import Account
from engine.instances.models import Instance
from engine.instances.service import create_instance, instance_json, update_instance
from webadmin.access import load, pbx_report, require_configure, work
from webadmin.api import body
from webadmin.api.registry import PBX, route

INSTANCE = {"type": "object", "properties": {
    "id": {"type": "integer"}, "account": {"type": "string"}, "name": {"type": "string"},
    "domain": {"type": "string"},
    "description": {"type": "string"}, "access_address": {"type": "string"},
    "recording": {"enum": ["all", "none", "on-demand"]},
    "numbers": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "digits": {"type": "string"}, "type": {"type": "string"}}}}}}
CREATE = {"type": "object", "required": ["name", "domain", "number", "number_type"],
          "properties": {
              "name": {"type": "string"}, "domain": {"type": "string"},
              "description": {"type": "string"}, "number": {"type": "string"},
              "number_type": {"enum": ["landline", "400", "95", "virtual_mobile",
                                       "international"]},
              "admins": {"type": "array", "items": {"type": "string"},
                         "description": "existing users of the account"},
              "new_admin": {"type": "string", "description": "a user created on the spot"},
              "new_admin_password": {"type": "string"}}}
UPDATE = {"type": "object", "properties": {
    "name": {"type": "string"}, "description": {"type": "string"},
    "domain": {"type": "string", "description": "refused unless unchanged"},
    "recording": {"enum": ["all", "none", "on-demand"],
                  "description": "which calls are recorded (a skill group may say otherwise)"}}}
CREATED = INSTANCE | {"properties": INSTANCE["properties"] | {"pbx": PBX}}


@route("/instances", "GET", "The account's instances",
       response={"type": "array", "items": INSTANCE})
def list_instances():
    with work() as db:
        return jsonify([instance_json(db, i) for i in db.scalars(
            select(Instance).where(Instance.account_id == g.account_id).order_by(Instance.id))])


@route("/instances", "POST", "Create an instance ready to take calls", request=CREATE,
       response=CREATED, status=201, errors=(401, 403, 409))
def create_instance_():
    with work() as db:
        require_configure(db)
        data = body(CREATE)
        created = create_instance(
            db, db.get(Account, g.account_id), data.get("name"), data.get("domain"),
            data.get("number"), data.get("number_type"), data.get("new_admin"),
            data.get("description", ""), data.get("admins") or (),
            data.get("new_admin_password"))
        instance_id = created.instance.id
    with work() as db:
        return jsonify(instance_json(db, db.get(Instance, instance_id))
                       | {"pbx": pbx_report()}), 201


@route("/instances/<int:instance_id>", "GET", "One instance", response=INSTANCE)
def get_instance(instance_id: int):
    with work() as db:
        return jsonify(instance_json(db, load(db, Instance, instance_id)))


@route("/instances/<int:instance_id>", "PATCH",
       "Rename or redescribe an instance, or change which calls it records",
       request=UPDATE, response=INSTANCE, errors=(401, 403, 404, 409))
def update_instance_(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        require_configure(db, instance)
        data = body(UPDATE)
        update_instance(db, instance.domain, data.get("name"), data.get("description"),
                        data.get("domain"), recording=data.get("recording"))
        row = instance_json(db, instance)
    return jsonify(row)
