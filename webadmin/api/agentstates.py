"""/api/v1/instances/<id>/agents/.../state: agents' states and the instance's break codes.

An agent's state is changed on the PBX by the engine (engine/agentstate/service.py);
who may act on which agent is the engine's rule too (engine/access.agent_to_act_on).
"""
from __future__ import annotations

from flask import current_app, jsonify

from engine import access
from engine.agents.models import Agent
from engine.agentstate import breakcodes, service
from engine.instances.models import Instance
from webadmin.access import configurable_instance, current_user, load, work
from webadmin.api import body
from webadmin.api.registry import route

PATH = "/instances/<int:instance_id>/agents"
STATE = {"type": "object", "properties": {
    "agent_id": {"type": "integer"}, "extension": {"type": "string"},
    "state": {"type": "string", "enum": ["OFFLINE", "READY", "BREAK", "DIALING", "RINGING",
                                         "TALKING", "WORKING"]},
    "break_code": {"type": ["string", "null"]},
    "queues": {"type": "array", "items": {"type": "string"}},
    "interface": {"type": ["string", "null"]},
    "since": {"type": ["string", "null"], "description": "when it was logged (UTC)"}}}
SIGN_IN = {"type": "object", "properties": {
    "skill_groups": {"type": "array", "items": {"type": "string"},
                     "description": "the agent's groups to take calls from (default: all)"},
    "device": {"type": "string", "enum": ["web", "sip"]}}}
BREAK = {"type": "object", "required": ["break_code"], "properties": {
    "break_code": {"type": "string"}}}
BREAK_CODE = {"type": "object", "required": ["code", "name"], "properties": {
    "code": {"type": "string"}, "name": {"type": "string"}}}
ERRORS = (401, 403, 404, 409, 503)


def _settings():
    return current_app.config["CCC_SETTINGS"]


def agent_to_act_on(db, instance_id: int, agent_id: int) -> Agent:
    """The agent the engine lets the token's user act on (404 or 403 otherwise)."""
    return access.agent_to_act_on(db, current_user(db), instance_id, agent_id)


def _answer(agent: Agent, presence) -> dict:
    return {"agent_id": agent.id, "extension": agent.extension, **presence.as_dict(),
            "since": None}


@route(PATH + "/states", "GET", "Every agent's state as last logged",
       response={"type": "array", "items": STATE}, operation_id="ListAgentStates")
def list_agent_states(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        logged = service.latest_changes(db, instance.id)
        rows = []
        for agent in sorted(instance_agents(db, instance), key=lambda a: a.extension):
            rows.append(_logged(agent, logged.get(agent.id)))
    return jsonify(rows)


def _logged(agent: Agent, change) -> dict:
    return {"agent_id": agent.id, "extension": agent.extension,
            **service.logged_presence(change).as_dict(),
            "since": change.at.isoformat() + "Z" if change else None}


def instance_agents(db, instance: Instance) -> list[Agent]:
    from engine.agents.service import list_agents
    return list_agents(db, instance)


@route(PATH + "/<int:agent_id>/state", "GET", "The agent's state as last logged",
       response=STATE, operation_id="GetAgentState")
def get_agent_state(instance_id: int, agent_id: int):
    with work() as db:
        load(db, Instance, instance_id)
        agent = load(db, Agent, agent_id, instance_id)
        change = service.latest_changes(db, instance_id, agent.id).get(agent.id)
        return jsonify(_logged(agent, change))


@route(PATH + "/<int:agent_id>/state/signin", "POST",
       "Sign the agent in to skill groups on a device; READY at once", request=SIGN_IN,
       response=STATE, errors=ERRORS, operation_id="SignInGroup")
def sign_in_group(instance_id: int, agent_id: int):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        data = body(SIGN_IN)
        names = data.get("skill_groups", [m.skill_group.name for m in agent.memberships])
        presence = service.sign_in(_settings(), agent, names, data.get("device", "web"))
        return jsonify(_answer(agent, presence))


@route(PATH + "/<int:agent_id>/state/ready", "POST", "End a break or after-call work",
       response=STATE, errors=ERRORS, operation_id="ReadyForService")
def ready_for_service(instance_id: int, agent_id: int):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        return jsonify(_answer(agent, service.ready(_settings(), agent)))


@route(PATH + "/<int:agent_id>/state/break", "POST",
       "Take a break with one of the instance's break codes", request=BREAK, response=STATE,
       errors=ERRORS, operation_id="TakeBreak")
def take_break(instance_id: int, agent_id: int):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        presence = service.take_break(db, _settings(), agent, body(BREAK).get("break_code"))
        return jsonify(_answer(agent, presence))


@route(PATH + "/<int:agent_id>/state/signout", "POST", "Leave every skill group (OFFLINE)",
       response=STATE, errors=ERRORS, operation_id="SignOutGroup")
def sign_out_group(instance_id: int, agent_id: int):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        return jsonify(_answer(agent, service.sign_out(_settings(), agent)))


BREAK_CODES = "/instances/<int:instance_id>/break-codes"


@route(BREAK_CODES, "GET", "The instance's break codes",
       response={"type": "array", "items": BREAK_CODE}, operation_id="ListBreakCodes")
def list_break_codes(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        return jsonify([breakcodes.as_dict(b) for b in breakcodes.break_codes(db, instance)])


@route(BREAK_CODES, "POST", "Add a break code", request=BREAK_CODE, response=BREAK_CODE,
       status=201, errors=(401, 403, 404, 409), operation_id="CreateBreakCode")
def create_break_code(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        data = body(BREAK_CODE)
        found = breakcodes.add_break_code(db, instance, data.get("code"), data.get("name"))
        return jsonify(breakcodes.as_dict(found)), 201


@route(BREAK_CODES + "/<code>", "DELETE", "Remove a break code", status=204,
       errors=(401, 403, 404), operation_id="DeleteBreakCode")
def delete_break_code(instance_id: int, code: str):
    with work() as db:
        breakcodes.remove_break_code(db, configurable_instance(db, instance_id), code)
    return "", 204
