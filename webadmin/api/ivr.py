"""/api/v1/instances/<id>/flows: IVR flows for token holders.

The same operations as the editor (webadmin/ivr), through the same services: list,
create, show (draft and latest version), save the draft (answers its problems),
validate, publish (422 with the problems when invalid), versions, bind a number,
simulate. Flows are configuration: every route needs a role that may configure the
instance, reads included, as in the web admin.
"""
from __future__ import annotations

import json

from flask import jsonify
from flask_babel import gettext as _

from engine.ivr import service as ivr
from engine.ivr.models import IvrFlow
from engine.numbers.models import Number
from webadmin.access import configurable_instance, load, work
from webadmin.api import body
from webadmin.api.registry import route
from webadmin.ivr import flow_row
from webadmin.ivr.editor import as_json, simulation_json

PATH = "/instances/<int:instance_id>/flows"
FLOW_PATH = PATH + "/<int:flow_id>"
CHANGES = (401, 403, 404)
DOCUMENT = {"type": "object", "description": "a flow document (engine/ivr/FORMAT.md)"}
PROBLEMS = {"type": "array", "items": {"type": "object", "properties": {
    "node": {"type": ["string", "null"]}, "code": {"type": "string"},
    "message": {"type": "string"}}}}
FLOW = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "state": {"enum": ["draft", "published"]}, "latest": {"type": ["integer", "null"]},
    "unpublished_changes": {"type": "boolean"},
    "numbers": {"type": "array", "items": {"type": "string"}}}}
VERSION = {"type": "object", "properties": {
    "version": {"type": "integer"}, "published_at": {"type": "string"},
    "document": DOCUMENT}}
CREATE = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string"}, "document": DOCUMENT | {"description": "the first draft"}}}
WITH_DOCUMENT = {"type": "object", "required": ["document"], "properties": {
    "document": DOCUMENT}}
PUBLISH = {"type": "object", "properties": {
    "document": DOCUMENT | {"description": "saved as the draft first; without it, the draft"}}}
BIND = {"type": "object", "required": ["number_id"], "properties": {
    "number_id": {"type": "integer", "description": "a number of the flow's instance"}}}
SIMULATE = {"type": "object", "properties": {
    "document": DOCUMENT | {"description": "without it, the draft or the latest version"},
    "digits": {"type": "string", "description": "keys pressed, e.g. '1,2'"},
    "at": {"type": "string", "description": "ISO time of the call (default now)"},
    "caller": {"type": "string"}}}
SIMULATION = {"type": "object", "properties": {
    "path": {"type": "array", "items": {"type": "string"}},
    "error": {"type": ["string", "null"]},
    "actions": {"type": "array", "items": {"type": "string"}}}}


def _flow(db, instance_id: int, flow_id: int) -> IvrFlow:
    configurable_instance(db, instance_id)
    return load(db, IvrFlow, flow_id, instance_id)


def version_json(found) -> dict:
    return {"version": found.version, "published_at": found.created_at.isoformat(),
            "document": json.loads(found.definition)}


@route(PATH, "GET", "The instance's IVR flows", response={"type": "array", "items": FLOW},
       errors=CHANGES)
def list_flows(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        return jsonify([flow_row(db, f) for f in ivr.list_flows(db, instance)])


@route(PATH, "POST", "Create a flow (a draft)", request=CREATE, response=FLOW, status=201,
       errors=CHANGES + (409,))
def create_flow(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        data = body(CREATE)
        flow = ivr.create_flow(db, instance, data["name"], data.get("document"))
        return jsonify(flow_row(db, flow)), 201


@route(FLOW_PATH, "GET", "A flow: its draft and its latest published version",
       response=FLOW | {"properties": FLOW["properties"] | {
           "draft": DOCUMENT | {"type": ["object", "null"]},
           "latest_version": VERSION | {"type": ["object", "null"]}}}, errors=CHANGES)
def get_flow(instance_id: int, flow_id: int):
    with work() as db:
        flow = _flow(db, instance_id, flow_id)
        draft, latest = ivr.draft_of(db, flow), ivr.latest_version(db, flow)
        return jsonify(flow_row(db, flow) | {
            "draft": json.loads(draft.definition) if draft else None,
            "latest_version": version_json(latest) if latest else None})


@route(FLOW_PATH + "/draft", "PUT", "Save the draft, valid or not; answers its problems",
       request=WITH_DOCUMENT, response={"type": "object", "properties": {"problems": PROBLEMS}},
       errors=CHANGES)
def save_draft(instance_id: int, flow_id: int):
    with work() as db:
        flow = _flow(db, instance_id, flow_id)
        return jsonify(problems=as_json(ivr.save_draft(db, flow, body(WITH_DOCUMENT)["document"])))


@route(FLOW_PATH + "/validate", "POST", "A document's problems as this flow (nothing saved)",
       request=WITH_DOCUMENT, response={"type": "object", "properties": {"problems": PROBLEMS}},
       errors=CHANGES)
def validate_flow(instance_id: int, flow_id: int):
    with work() as db:
        flow = _flow(db, instance_id, flow_id)
        return jsonify(problems=as_json(ivr.problems(db, flow, body(WITH_DOCUMENT)["document"])))


@route(FLOW_PATH + "/publish", "POST", "Publish the draft as the next version (422 with the "
       "problems while invalid; the draft is kept either way)", request=PUBLISH,
       response=VERSION, status=201, errors=CHANGES + (409,))
def publish_flow(instance_id: int, flow_id: int):
    with work() as db:
        flow = _flow(db, instance_id, flow_id)
        version, problems = ivr.save_and_publish(db, flow, body(PUBLISH).get("document"))
        if version is None:  # the sent draft is kept all the same
            return jsonify(error=_("not published: the draft has problems"),
                           problems=as_json(problems)), 422
        return jsonify(version_json(version)), 201


@route(FLOW_PATH + "/versions", "GET", "The flow's published versions, oldest first",
       response={"type": "array", "items": VERSION}, errors=CHANGES)
def list_versions(instance_id: int, flow_id: int):
    with work() as db:
        flow = _flow(db, instance_id, flow_id)
        return jsonify([version_json(v) for v in ivr.versions(db, flow)
                        if v.version is not None])


@route(FLOW_PATH + "/versions/<int:version>", "GET", "One published version", response=VERSION,
       errors=CHANGES)
def get_version(instance_id: int, flow_id: int, version: int):
    with work() as db:
        flow = _flow(db, instance_id, flow_id)
        found = next((v for v in ivr.versions(db, flow) if v.version == version), None)
        if found is None:
            ivr.document_of(db, flow, version)  # raises NotFound, with its message
        return jsonify(version_json(found))


@route(FLOW_PATH + "/bind", "POST", "Calls to a number run this (published) flow",
       request=BIND, response=FLOW, errors=CHANGES)
def bind_flow(instance_id: int, flow_id: int):
    with work() as db:
        flow = _flow(db, instance_id, flow_id)
        number = load(db, Number, body(BIND)["number_id"])  # another account's: 404
        ivr.bind_number(db, number, flow)
        return jsonify(flow_row(db, flow))


@route(FLOW_PATH + "/simulate", "POST", "Simulate a call: the path and the actions",
       request=SIMULATE, response=SIMULATION, errors=CHANGES)
def simulate_flow(instance_id: int, flow_id: int):
    with work() as db:
        flow = _flow(db, instance_id, flow_id)
        data = body(SIMULATE)
        document = data.get("document") or ivr.current_document(db, flow)
        result = ivr.simulate(db, flow.instance, document, data.get("digits", ""),
                              data.get("at"), data.get("caller", ""), flow_name=flow.name)
        return jsonify(simulation_json(result))
