"""/api/v1/instances/<id>/agents/<id>/calls: an agent's calls on the live PBX.

The same operations as the workbench, for integrations (a CRM's click-to-dial): the
agent itself or the instance's administrators act; the engine finds the agent's own
call, checks every target against the instance, and answers 409 when there is no call.
"""
from __future__ import annotations

from flask import current_app, jsonify

from engine.agents.models import Agent
from engine.callcontrol import service
from engine.recording import control as recording
from engine.instances.models import Instance
from webadmin.access import load, work
from webadmin.api import body
from webadmin.api.agentstates import ERRORS, PATH, agent_to_act_on
from webadmin.api.registry import route

CALLS = PATH + "/<int:agent_id>/calls"
MAKE_CALL = {"type": "object", "required": ["number"], "properties": {
    "number": {"type": "string", "description": "3-20 digits, an optional leading +"},
    "caller_id": {"type": "string", "description": "one of the agent's outbound numbers"},
    "device": {"type": "string", "enum": ["sip", "web"],
               "description": "which of the agent's phones rings first"}}}
TRANSFER = {"type": "object", "required": ["kind", "target"], "properties": {
    "kind": {"type": "string", "enum": list(service.TRANSFER_KINDS)},
    "target": {"type": ["string", "integer"],
               "description": "an extension, a skill group id, or a number"}}}
CALL = {"type": "object", "properties": {
    "start": {"type": "string"}, "direction": {"type": "string"},
    "caller": {"type": "string"}, "callee": {"type": "string"},
    "disposition": {"type": "string"}, "billable_seconds": {"type": "integer"}}}


def _settings():
    return current_app.config["CCC_SETTINGS"]


@route(CALLS, "GET", "The agent's own calls, newest first",
       response={"type": "array", "items": CALL}, operation_id="ListAgentCalls")
def list_agent_calls(instance_id: int, agent_id: int):
    with work() as db:
        load(db, Instance, instance_id)
        agent = load(db, Agent, agent_id, instance_id)
        return jsonify([{"start": r.started_at.isoformat() + "Z",
                         "direction": r.direction.value, "caller": r.caller,
                         "callee": r.callee, "disposition": r.disposition,
                         "billable_seconds": r.billable_seconds}
                        for r in service.history(db, agent)])


@route(CALLS, "POST", "Click-to-dial: ring the agent's phone, then call the number",
       request=MAKE_CALL, response={"type": "object", "properties": {
           "caller_id": {"type": "string"}}}, status=202, errors=ERRORS,
       operation_id="MakeCall")
def make_call(instance_id: int, agent_id: int):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        data = body(MAKE_CALL)
        shown = service.make_call(db, _settings(), agent, data.get("number"),
                                  data.get("caller_id"), data.get("device", "sip"))
        return jsonify({"caller_id": shown}), 202


@route(CALLS + "/answer", "POST", "Answer the call ringing the agent's phone", status=204,
       errors=ERRORS, operation_id="AnswerCall")
def answer_call(instance_id: int, agent_id: int):
    with work() as db:
        service.answer_call(_settings(), agent_to_act_on(db, instance_id, agent_id))
    return "", 204


@route(CALLS + "/release", "POST", "Hang up the agent's call", status=204, errors=ERRORS,
       operation_id="ReleaseCall")
def release_call(instance_id: int, agent_id: int):
    with work() as db:
        service.release_call(_settings(), agent_to_act_on(db, instance_id, agent_id))
    return "", 204


@route(CALLS + "/transfer", "POST",
       "Blind transfer: the other party goes to an agent, a skill group or a number",
       request=TRANSFER, status=204, errors=ERRORS, operation_id="BlindTransfer")
def blind_transfer(instance_id: int, agent_id: int):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        data = body(TRANSFER)
        service.blind_transfer(db, _settings(), agent, data.get("kind"), data.get("target"))
    return "", 204


@route(CALLS + "/attended-transfer", "POST",
       "Attended transfer: the other party waits on hold while the agent consults the target",
       request=TRANSFER, status=204, errors=ERRORS, operation_id="InitiateAttendedTransfer")
def initiate_attended_transfer(instance_id: int, agent_id: int):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        data = body(TRANSFER)
        service.start_attended_transfer(db, _settings(), agent, data.get("kind"),
                                        data.get("target"))
    return "", 204


@route(CALLS + "/attended-transfer/complete", "POST",
       "Complete the attended transfer: the other party and the target talk", status=204,
       errors=ERRORS, operation_id="CompleteAttendedTransfer")
def complete_attended_transfer(instance_id: int, agent_id: int):
    with work() as db:
        service.complete_attended_transfer(_settings(),
                                           agent_to_act_on(db, instance_id, agent_id))
    return "", 204


@route(CALLS + "/attended-transfer/cancel", "POST",
       "Cancel the attended transfer: the agent is back with the other party", status=204,
       errors=ERRORS, operation_id="CancelAttendedTransfer")
def cancel_attended_transfer(instance_id: int, agent_id: int):
    with work() as db:
        service.cancel_attended_transfer(_settings(),
                                         agent_to_act_on(db, instance_id, agent_id))
    return "", 204


@route(CALLS + "/conference", "POST", "Three-way conference: add the target to the call",
       request=TRANSFER, status=204, errors=ERRORS, operation_id="StartConference")
def start_conference(instance_id: int, agent_id: int):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        data = body(TRANSFER)
        service.start_conference(db, _settings(), agent, data.get("kind"), data.get("target"))
    return "", 204


@route(CALLS + "/hold", "POST", "Put the other party on hold (music on hold)", status=204,
       errors=ERRORS, operation_id="HoldCall")
def hold_call(instance_id: int, agent_id: int):
    with work() as db:
        service.hold_call(_settings(), agent_to_act_on(db, instance_id, agent_id))
    return "", 204


@route(CALLS + "/retrieve", "POST", "Take the party on hold back", status=204,
       errors=ERRORS, operation_id="RetrieveCall")
def retrieve_call(instance_id: int, agent_id: int):
    with work() as db:
        service.retrieve_call(_settings(), agent_to_act_on(db, instance_id, agent_id))
    return "", 204


RECORDING_STATE = {"type": "object", "properties": {
    "policy": {"enum": ["all", "none", "on-demand"]},
    "recording": {"type": "boolean"}, "paused": {"type": "boolean"}}}


@route(CALLS + "/recording", "GET", "The recording of the agent's current call",
       response=RECORDING_STATE, errors=ERRORS, operation_id="GetCallRecording")
def get_call_recording(instance_id: int, agent_id: int):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        return jsonify(recording.recording_state(_settings(), agent).as_dict())


def _record(instance_id: int, agent_id: int, action: str):
    with work() as db:
        agent = agent_to_act_on(db, instance_id, agent_id)
        return jsonify(recording.ACTIONS[action](_settings(), agent).as_dict())


@route(CALLS + "/recording/start", "POST", "Start recording the agent's current call",
       response=RECORDING_STATE, errors=ERRORS, operation_id="StartRecording")
def start_recording(instance_id: int, agent_id: int):
    return _record(instance_id, agent_id, "start")


@route(CALLS + "/recording/pause", "POST",
       "Pause the recording (silence is recorded until it resumes)",
       response=RECORDING_STATE, errors=ERRORS, operation_id="PauseRecording")
def pause_recording(instance_id: int, agent_id: int):
    return _record(instance_id, agent_id, "pause")


@route(CALLS + "/recording/resume", "POST", "Resume the paused recording",
       response=RECORDING_STATE, errors=ERRORS, operation_id="ResumeRecording")
def resume_recording(instance_id: int, agent_id: int):
    return _record(instance_id, agent_id, "resume")
