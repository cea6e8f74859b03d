"""/api/v1/instances/<id>/skillgroups: list, create, show, update (strategy, wait timeout,
agents with levels, outbound numbers), delete."""
from __future__ import annotations

from flask import jsonify

from engine.validation import number_text
from engine.instances.models import Instance
from engine.numbers.service import outbound_numbers, set_outbound_numbers
from engine.skillgroups.models import SkillGroup
from engine.skillgroups.service import (STRATEGIES, create_skill_group, delete_skill_group,
                                        list_skill_groups, members, set_members,
                                        update_skill_group)
from webadmin.access import configurable_instance, load, pbx_report, work
from webadmin.api import body
from webadmin.api.registry import PBX, route

FIELDS = {
    "name": {"type": "string"}, "strategy": {"enum": list(STRATEGIES)},
    "wait_timeout": {"type": "integer", "minimum": 10, "maximum": 3600},
    "service_level_seconds": {"type": "integer", "minimum": 1, "maximum": 3600,
                              "description": "answered within this counts in the service "
                                             "level (20 by default)"},
    "overflow_id": {"type": ["integer", "null"],
                    "description": "the group callers go to after the wait timeout"},
    "agents": {"type": "object", "additionalProperties": {"type": "integer"},
               "description": "agent id -> skill level (1 is the best)"},
    "numbers": {"type": "array", "items": {"type": "integer"},
                "description": "ids of the numbers the group calls out with"},
    "recording": {"enum": ["inherit", "all", "none", "on-demand"],
                  "description": "which of the group's calls are recorded"}}
GROUP = {"type": "object", "properties": FIELDS | {
    "id": {"type": "integer"}, "queue": {"type": "string"}}}
CREATE = {"type": "object", "required": ["name"], "properties": FIELDS}
UPDATE = {"type": "object", "properties": FIELDS}
PATH = "/instances/<int:instance_id>/skillgroups"


def group_json(db, group: SkillGroup) -> dict:
    return {"id": group.id, "name": group.name, "queue": group.queue_name,
            "strategy": group.strategy, "wait_timeout": group.wait_timeout,
            "overflow_id": group.overflow_id, "recording": group.recording.value,
            "service_level_seconds": group.service_level_seconds,
            "agents": {str(k): v for k, v in sorted(members(db, group).items())},
            "numbers": [n.id for n in outbound_numbers(db, group.id)]}


def _agent_levels(data: dict) -> dict[int, int]:
    # An agent id as the key; -1, which matches no agent, when it is not one.
    return {-1 if number_text(k) is None else number_text(k): v for k, v in data.items()}


def _apply(db, group: SkillGroup, data: dict) -> None:
    update_skill_group(db, group, data.get("name", group.name),
                       data.get("strategy", group.strategy),
                       data.get("wait_timeout", group.wait_timeout),
                       data.get("overflow_id", group.overflow_id),
                       recording=data.get("recording"),
                       service_level_seconds=data.get("service_level_seconds"))
    if "agents" in data:
        set_members(db, group, _agent_levels(data["agents"]))
    if "numbers" in data:
        set_outbound_numbers(db, group, data["numbers"])


@route(PATH, "GET", "The instance's skill groups", response={"type": "array", "items": GROUP})
def list_groups(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        return jsonify([group_json(db, g) for g in list_skill_groups(db, instance)])


@route(PATH, "POST", "Create a skill group", request=CREATE,
       response=GROUP | {"properties": GROUP["properties"] | {"pbx": PBX}}, status=201,
       errors=(401, 403, 404, 409))
def create_group(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        data = body(CREATE)
        group = create_skill_group(db, instance, data["name"],
                                   data.get("strategy", "rrmemory"),
                                   data.get("wait_timeout", 300))
        _apply(db, group, data)
        row = group_json(db, group)
    return jsonify(row | {"pbx": pbx_report()}), 201


@route(PATH + "/<int:group_id>", "GET", "One skill group", response=GROUP)
def get_group(instance_id: int, group_id: int):
    with work() as db:
        load(db, Instance, instance_id)
        return jsonify(group_json(db, load(db, SkillGroup, group_id, instance_id)))


@route(PATH + "/<int:group_id>", "PATCH", "Change a skill group", request=UPDATE,
       response=GROUP, errors=(401, 403, 404, 409))
def update_group(instance_id: int, group_id: int):
    with work() as db:
        configurable_instance(db, instance_id)
        group = load(db, SkillGroup, group_id, instance_id)
        data = body(UPDATE)
        _apply(db, group, data)
        row = group_json(db, group)
    return jsonify(row | {"pbx": pbx_report()})


@route(PATH + "/<int:group_id>", "DELETE", "Delete a skill group no published flow uses",
       status=204, errors=(401, 403, 404, 409))
def delete_group(instance_id: int, group_id: int):
    with work() as db:
        configurable_instance(db, instance_id)
        delete_skill_group(db, load(db, SkillGroup, group_id, instance_id))
    return "", 204
