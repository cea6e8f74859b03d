"""The agent's calls from the workbench page: dial, hang up, transfer, history.

Thin: every rule is in engine/callcontrol/service.py. The page never names a channel
or another agent's call: the engine finds the acting agent's own call.
"""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from engine.agents.models import Agent
from engine.ami.client import AmiError
from engine.callcontrol import service
from engine.errors import DomainError, Invalid
from engine.uow import transaction
from webadmin.workbench import blueprint
from webadmin.workbench.answers import error_answer
from webadmin.workbench.session import agent_required


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _act(work):
    try:
        with transaction(current_app.config["CCC_SETTINGS"]) as db:
            return work(db, db.get(Agent, g.agent.id))
    except (DomainError, AmiError) as error:
        return error_answer(error)


@blueprint.route("/calls")
@agent_required
def calls(domain: str):
    """The numbers the agent may call out with, and its own call history."""
    def work(db, agent):
        records = service.history(db, agent)
        notes = service.notes_of(db, agent, [r.pbx_call_id for r in records])
        return jsonify({
            "caller_ids": service.caller_ids(db, agent),
            "history": [{"start": r.started_at.isoformat() + "Z", "direction": r.direction.value,
                         "caller": r.caller, "callee": r.callee, "disposition": r.disposition,
                         "seconds": r.billable_seconds, "call_id": r.pbx_call_id,
                         "notes": notes.get(r.pbx_call_id, [])}
                        for r in records]})
    return _act(work)


@blueprint.route("/calls/dial", methods=["POST"])
@agent_required
def dial(domain: str):
    body = _body()

    def work(db, agent):
        shown = service.make_call(db, current_app.config["CCC_SETTINGS"], agent,
                                  body.get("number"), body.get("caller_id"),
                                  "web" if body.get("device") == "web" else "sip")
        return jsonify({"caller_id": shown})
    return _act(work)


@blueprint.route("/calls/hangup", methods=["POST"])
@agent_required
def hang_up(domain: str):
    def work(db, agent):
        service.release_call(current_app.config["CCC_SETTINGS"], agent)
        return jsonify({})
    return _act(work)


@blueprint.route("/calls/transfer", methods=["POST"])
@agent_required
def transfer(domain: str):
    """{"kind", "target", "mode": "blind" | "attended" | "conference"}."""
    body = _body()
    operations = {"blind": service.blind_transfer, "attended": service.start_attended_transfer,
                  "conference": service.start_conference}

    def work(db, agent):
        operation = operations.get(body.get("mode", "blind"))
        if operation is None:
            raise Invalid("mode must be blind, attended or conference",
                          fields={"mode": "blind, attended or conference"})
        operation(db, current_app.config["CCC_SETTINGS"], agent, body.get("kind"),
                  body.get("target"))
        return jsonify({})
    return _act(work)


@blueprint.route("/calls/transfer/complete", methods=["POST"])
@agent_required
def complete_transfer(domain: str):
    def work(db, agent):
        service.complete_attended_transfer(current_app.config["CCC_SETTINGS"], agent)
        return jsonify({})
    return _act(work)


@blueprint.route("/calls/transfer/cancel", methods=["POST"])
@agent_required
def cancel_transfer(domain: str):
    def work(db, agent):
        service.cancel_attended_transfer(current_app.config["CCC_SETTINGS"], agent)
        return jsonify({})
    return _act(work)


@blueprint.route("/calls/current")
@agent_required
def current(domain: str):
    """The pop-up of the ringing or current call."""
    def work(db, agent):
        info = service.call_info(db, current_app.config["CCC_SETTINGS"], agent)
        return jsonify({"call_id": info.pbx_call_id,
                        "caller": info.caller, "dialled": info.dialled,
                        "waited_seconds": info.waited_seconds, "ivr_path": info.ivr_path,
                        "ivr_variables": info.ivr_variables,
                        "earlier": [{"start": r.started_at.isoformat() + "Z",
                                     "disposition": r.disposition,
                                     "agent": r.agent_extension} for r in info.earlier]})
    return _act(work)


@blueprint.route("/calls/notes", methods=["POST"])
@agent_required
def note(domain: str):
    """A note on the agent's current call or one of its recorded calls."""
    body = _body()

    def work(db, agent):
        service.add_note(db, current_app.config["CCC_SETTINGS"], agent,
                         body.get("call_id"), body.get("text"))
        return jsonify({}), 201
    return _act(work)


@blueprint.route("/calls/hold", methods=["POST"])
@agent_required
def hold(domain: str):
    def work(db, agent):
        service.hold_call(current_app.config["CCC_SETTINGS"], agent)
        return jsonify({})
    return _act(work)


@blueprint.route("/calls/retrieve", methods=["POST"])
@agent_required
def retrieve(domain: str):
    def work(db, agent):
        service.retrieve_call(current_app.config["CCC_SETTINGS"], agent)
        return jsonify({})
    return _act(work)
