"""/api/v1/instances/<id>/agents: list, create, show, update, delete, CSV import."""
from __future__ import annotations

from flask import jsonify, request

from engine.agents.importing import ImportRejected, import_agents
from engine.agents.models import Agent
from engine.agents.service import (agent_json, create_agent, delete_agent, list_agents,
                                   update_agent)
from engine.instances.models import Instance
from webadmin.access import configurable_instance, load, pbx_report, work
from webadmin.api import body
from webadmin.api.registry import PBX, route

LEVELS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1,
                                                     "maximum": 10},
          "description": "skill group name -> level (1 is the best)"}
AGENT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "extension": {"type": "string"}, "name": {"type": "string"},
    "sip_username": {"type": "string"}, "skill_groups": LEVELS}}
WITH_SECRET = {"type": "object", "properties": AGENT["properties"] | {
    "sip_password": {"type": "string"}, "pbx": PBX}}
CREATE = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string"}, "extension": {"type": "string"}, "skill_groups": LEVELS}}
UPDATE = {"type": "object", "properties": {"name": {"type": "string"}, "skill_groups": LEVELS}}
IMPORTED = {"type": "object", "properties": {
    "imported": {"type": "array", "items": WITH_SECRET}, "pbx": PBX}}
REJECTED = {"type": "object", "properties": {"error": {"type": "string"}, "rows": {
    "type": "array", "items": {"type": "object", "properties": {
        "line": {"type": "integer"}, "field": {"type": "string"},
        "message": {"type": "string"}}}}}}
PATH = "/instances/<int:instance_id>/agents"


@route(PATH, "GET", "The instance's agents", response={"type": "array", "items": AGENT})
def list_agents_(instance_id: int):
    with work() as db:
        return jsonify([agent_json(a) for a in list_agents(db, load(db, Instance, instance_id))])


@route(PATH, "POST", "Add an agent; the answer holds its SIP password", request=CREATE,
       response=WITH_SECRET, status=201, errors=(401, 403, 404, 409))
def create_agent_(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        data = body(CREATE)
        agent = create_agent(db, instance, data.get("name"),
                             data.get("extension"), data.get("skill_groups"))
        row = agent_json(agent, secret=True)
    return jsonify(row | {"pbx": pbx_report()}), 201


@route(PATH + "/<int:agent_id>", "GET", "One agent", response=AGENT)
def get_agent(instance_id: int, agent_id: int):
    with work() as db:
        load(db, Instance, instance_id)
        return jsonify(agent_json(load(db, Agent, agent_id, instance_id)))


@route(PATH + "/<int:agent_id>", "PATCH", "Rename an agent or set its skill groups",
       request=UPDATE, response=AGENT, errors=(401, 403, 404))
def update_agent_(instance_id: int, agent_id: int):
    with work() as db:
        configurable_instance(db, instance_id)
        agent = load(db, Agent, agent_id, instance_id)
        data = body(UPDATE)
        current = {m.skill_group.name: m.level for m in agent.memberships}
        update_agent(db, agent, data.get("name", agent.name), data.get("skill_groups", current))
        row = agent_json(agent)
    return jsonify(row | {"pbx": pbx_report()})


@route(PATH + "/<int:agent_id>", "DELETE", "Delete an agent", status=204,
       errors=(401, 403, 404))
def delete_agent_(instance_id: int, agent_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        delete_agent(db, instance, load(db, Agent, agent_id, instance_id).extension)
    return "", 204


@route(PATH + "/import", "POST", "Import agents from CSV (all rows or none)",
       request={"type": "string", "description": "CSV: name[,extension][,skill_groups]"},
       content_type="text/csv", response=IMPORTED, status=201, errors=(401, 403, 404))
def import_agents_(instance_id: int):
    try:
        with work() as db:
            created = import_agents(db, configurable_instance(db, instance_id), request.get_data())
            rows = [agent_json(a, secret=True) for a in created]
    except ImportRejected as rejected:
        return jsonify({"error": "nothing imported: correct these rows",
                        "rows": [vars(e) for e in rejected.errors]}), 422
    return jsonify({"imported": rows, "pbx": pbx_report()}), 201


PASSWORD = {"type": "object", "required": ["password"], "properties": {
    "password": {"type": "string", "description": "8-128 characters"}}}
INVITATION = {"type": "object", "properties": {
    "url": {"type": "string", "description": "one-time, valid 7 days"}}}


@route(PATH + "/<int:agent_id>/password", "PUT", "Set the agent's workbench password",
       request=PASSWORD, status=204, errors=(401, 403, 404))
def set_agent_password(instance_id: int, agent_id: int):
    from engine.agents.passwords import set_password
    with work() as db:
        configurable_instance(db, instance_id)
        set_password(load(db, Agent, agent_id, instance_id), body(PASSWORD).get("password"))
    return "", 204


@route(PATH + "/<int:agent_id>/invitation", "POST",
       "A one-time link with which the agent chooses a workbench password",
       response=INVITATION, status=201, errors=(401, 403, 404))
def invite_agent(instance_id: int, agent_id: int):
    from flask import current_app

    from engine.agents.passwords import invite
    with work() as db:
        instance = configurable_instance(db, instance_id)
        token = invite(db, load(db, Agent, agent_id, instance_id))
        domain = instance.domain
    base = current_app.config["CCC_SETTINGS"].public_web_url
    return jsonify({"url": f"{base}/w/{domain}/invitation/{token}"}), 201
