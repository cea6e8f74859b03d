"""/api/v1/instances/<id>/supervision: listen to, whisper to, barge into and take over
agents' live calls, the calls that may be supervised, and the supervision log.

Who may, and from which seat, is the engine's rule (engine/access.may_supervise): an
instance the user may not supervise answers 404, as does an agent of another instance.
"""
from __future__ import annotations

from flask import current_app, jsonify

from engine import access
from engine.callcontrol import supervision as service
from engine.instances.models import Instance
from webadmin.access import current_user, load, work
from webadmin.api import body
from webadmin.api.registry import route

PATH = "/instances/<int:instance_id>/supervision"
ACT = {"type": "object", "required": ["agent", "supervisor"], "properties": {
    "agent": {"type": "string", "description": "the extension of the agent on the call"},
    "supervisor": {"type": "string",
                   "description": "the supervisor's seat (extension) in the instance"},
    "device": {"type": "string", "enum": list(service.DEVICES),
               "description": "which of the supervisor's phones rings (default sip)"}}}
LOG_ROW = {"type": "object", "properties": {
    "id": {"type": "integer"}, "user": {"type": ["string", "null"]},
    "supervisor": {"type": "string"}, "agent": {"type": "string"},
    "call_id": {"type": "string"},
    "mode": {"type": "string", "enum": list(service.MODES)},
    "requested_at": {"type": "string"}, "started_at": {"type": ["string", "null"]},
    "ended_at": {"type": ["string", "null"]},
    "duration_seconds": {"type": ["integer", "null"]},
    "end_found": {"type": "boolean", "description": "the end was not reported by the "
                  "supervisor's leg: ended_at is when it was found gone from the PBX"}}}
LIVE_CALL = {"type": "object", "properties": {
    "agent": {"type": "string"}, "agent_name": {"type": "string"},
    "caller": {"type": "string"}, "seconds": {"type": "integer"},
    "device": {"type": "string"}}}
ERRORS = (401, 403, 404, 409, 422, 503)


def _settings():
    return current_app.config["CCC_SETTINGS"]


@route(PATH + "/calls", "GET", "The instance's agents' live calls that may be supervised",
       response={"type": "array", "items": LIVE_CALL}, errors=(401, 404, 503),
       operation_id="ListLiveCalls")
def list_live_calls(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        calls = service.live_calls(db, _settings(), current_user(db), instance)
        return jsonify([service.live_call_as_dict(c) for c in calls])


@route(PATH + "/log", "GET", "Every act of supervision, newest first",
       response={"type": "array", "items": LOG_ROW}, errors=(401, 404),
       operation_id="ListSupervisionLog")
def list_supervision_log(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        rows = service.supervision_log(db, current_user(db), instance)
        return jsonify([service.log_as_dict(r) for r in rows])


def _act(mode: str, summary: str, operation_id: str):
    def act(instance_id: int):
        with work() as db:
            instance = load(db, Instance, instance_id)
            user = current_user(db)
            access.check_supervise(db, user, instance)  # before the body says anything
            data = body(ACT)
            row = service.supervise(db, _settings(), user, instance, mode,
                                    data.get("agent"), data.get("supervisor"),
                                    data.get("device", "sip"))
            return jsonify(service.log_as_dict(row)), 202
    act.__name__ = f"{mode}_call"
    route(f"{PATH}/{mode}", "POST", summary, request=ACT, response=LOG_ROW, status=202,
          errors=ERRORS, operation_id=operation_id)(act)


_act("listen", "Listen to an agent's call: nobody hears the supervisor", "ListenCall")
_act("whisper", "Whisper (coach): only the agent hears the supervisor", "WhisperCall")
_act("barge", "Barge in: the caller and the agent both hear the supervisor", "BargeInCall")
_act("takeover", "Take over: the caller goes to the supervisor; the agent is dropped",
     "TakeOverCall")
