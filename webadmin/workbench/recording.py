"""The recording of the agent's current call from the workbench: show, start, pause,
resume. Thin: the rules are in engine/recording/control.py, which finds the acting
agent's own call; the page never names a call."""
from __future__ import annotations

from flask import abort, current_app, jsonify

from engine.recording import control
from webadmin.workbench import blueprint
from webadmin.workbench.calls import _act
from webadmin.workbench.session import agent_required


@blueprint.route("/calls/recording")
@agent_required
def recording(domain: str):
    return _act(lambda db, agent: jsonify(
        control.recording_state(current_app.config["CCC_SETTINGS"], agent).as_dict()))


@blueprint.route("/calls/recording/<action>", methods=["POST"])
@agent_required
def record(domain: str, action: str):
    if action not in control.ACTIONS:
        abort(404)
    return _act(lambda db, agent: jsonify(
        control.ACTIONS[action](current_app.config["CCC_SETTINGS"], agent).as_dict()))
