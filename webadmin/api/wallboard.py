"""/api/v1/instances/<id>/realtime: the wallboard (what is happening now, and today's
figures) of an instance, of one of its skill groups, and its agents.

The same snapshot as the web page and ``ccc wallboard`` (engine/wallboard/service.py):
the PBX's queues and channels now, and today's CallsOffered, CallsHandled,
CallsAbandoned and ServiceLevel as the historical report counts them for today.
Readable by the account's owner, the instance's administrators and its supervisors (a
supervisor without a seat in the instance: 404); 503 while the PBX does not answer.
"""
from __future__ import annotations

from flask import current_app, jsonify

from engine import access
from engine.instances.models import Instance
from engine.skillgroups.models import SkillGroup
from engine.wallboard.board import STATES, TODAY
from engine.wallboard.service import snapshot
from webadmin.access import current_user, load, work
from webadmin.api.registry import route

PATH = "/instances/<int:instance_id>/realtime"
COUNT = {"type": "integer", "minimum": 0}
SECONDS = {"type": ["integer", "null"], "minimum": 0}
FIGURE = {"type": ["number", "integer", "null"]}
STATE_COUNTS = {
    "WaitingCalls": COUNT, "LongestWaitingTime": COUNT, "TotalAgents": COUNT,
    "LoggedInAgents": COUNT,
    "AgentsByState": {"type": "object", "properties": {s: COUNT for s in STATES}},
    "BreakingAgentsByCode": {"type": "object", "additionalProperties": COUNT,
                             "description": "break code -> agents on that break"},
    **{name: FIGURE for name in TODAY}}
AGENT = {"type": "object", "properties": {
    "AgentId": COUNT, "Extension": {"type": "string"}, "Name": {"type": "string"},
    "State": {"type": "string", "enum": list(STATES)},
    "BreakCode": {"type": ["string", "null"]},
    "StateDuration": SECONDS,
    "SkillGroups": {"type": "array", "items": {"type": "string"}},
    "SignedInSkillGroups": {"type": "array", "items": {"type": "string"}},
    "Call": {"type": ["object", "null"], "properties": {
        "Caller": {"type": "string"}, "Seconds": COUNT, "Connected": {"type": "boolean"}}}}}
BOARD = {"type": "object", "properties": {
    "InstanceId": COUNT, "Domain": {"type": "string"}, "SkillGroupId": SECONDS,
    "At": {"type": "string", "format": "date-time"},
    "Day": {"type": "string", "format": "date", "description": "today on the site's clock"},
    "Summary": {"type": "object", "properties": STATE_COUNTS},
    "SkillGroups": {"type": "array", "items": {"type": "object", "properties": {
        "SkillGroupId": COUNT, "SkillGroupName": {"type": "string"},
        "ServiceLevelSeconds": COUNT, **STATE_COUNTS}}},
    "Agents": {"type": "array", "items": AGENT},
    "WaitingCallers": {"type": "array", "items": {"type": "object", "properties": {
        "SkillGroupName": {"type": "string"}, "Position": COUNT,
        "Caller": {"type": "string"}, "WaitingTime": COUNT}}}}}
ERRORS = (401, 403, 404, 503)


def _board(instance_id: int, group_id: int | None = None) -> dict:
    with work() as db:
        instance = load(db, Instance, instance_id)
        group = load(db, SkillGroup, group_id, instance.id) if group_id is not None else None
        access.check_see_wallboard(db, current_user(db), instance)
        return snapshot(db, current_app.config["CCC_SETTINGS"], instance, group)


@route(PATH, "GET", "The instance's wallboard now", response=BOARD, errors=ERRORS,
       operation_id="GetRealtimeInstanceStates")
def realtime_instance(instance_id: int):
    return jsonify(_board(instance_id))


@route(PATH + "/skillgroups/<int:group_id>", "GET", "A skill group's wallboard now",
       response=BOARD, errors=ERRORS, operation_id="GetRealtimeSkillGroupStates")
def realtime_skill_group(instance_id: int, group_id: int):
    return jsonify(_board(instance_id, group_id))


@route(PATH + "/agents", "GET", "The instance's agents now: state, call, its length",
       response={"type": "array", "items": AGENT}, errors=ERRORS,
       operation_id="ListRealtimeAgentStates")
def realtime_agents(instance_id: int):
    return jsonify(_board(instance_id)["Agents"])
