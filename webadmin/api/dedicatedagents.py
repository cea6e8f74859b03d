"""/api/v1/instances/<id>/dedicated-agents: customers' numbers tied to an agent.

A tied customer's inbound calls ring that agent first while it is READY, then go on
through the flow (engine/agents/dedicated.py). Everyone of the account may look; only
roles that configure the instance may tie or untie.
"""
from __future__ import annotations

from flask import jsonify

from engine.agents import dedicated
from engine.instances.models import Instance
from webadmin.access import configurable_instance, load, work
from webadmin.api import body
from webadmin.api.registry import route

PATH = "/instances/<int:instance_id>/dedicated-agents"
TIE = {"type": "object", "properties": {
    "customer_number": {"type": "string", "description": "as the carrier presents it"},
    "agent_id": {"type": "integer"}, "extension": {"type": "string"},
    "agent_name": {"type": "string"}}}
CREATE = {"type": "object", "required": ["customer_number", "agent_id"], "properties": {
    "customer_number": {"type": "string",
                        "description": "3 to 20 digits, with an optional leading +"},
    "agent_id": {"type": "integer", "description": "an agent of this instance"}}}


@route(PATH, "GET", "Customers with a dedicated agent", response={"type": "array",
                                                                  "items": TIE})
def list_dedicated_agents(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        return jsonify([dedicated.as_dict(t) for t in dedicated.list_ties(db, instance)])


@route(PATH, "POST", "Tie a customer's number to an agent, rung first when READY",
       request=CREATE, response=TIE, status=201, errors=(401, 403, 404, 409))
def create_dedicated_agent(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        data = body(CREATE)
        found = dedicated.tie(db, instance, data["customer_number"], data["agent_id"])
        return jsonify(dedicated.as_dict(found)), 201


@route(PATH + "/<customer_number>", "DELETE", "Remove a customer's dedicated agent",
       status=204, errors=(401, 403, 404))
def delete_dedicated_agent(instance_id: int, customer_number: str):
    with work() as db:
        dedicated.untie(db, configurable_instance(db, instance_id), customer_number)
    return "", 204
