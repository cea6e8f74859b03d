"""The editor's JSON calls: save draft, validate, publish, simulate.

Each takes ``{"document": ...}`` (with the CSRF token in the ``X-CSRF-Token`` header)
and answers JSON; problems come back as ``{"node", "code", "message"}`` so the editor
can show each on its node.
"""
from __future__ import annotations

from flask import jsonify, request

from engine.errors import DomainError
from engine.ivr import service as ivr
from engine.uow import transaction
from webadmin.auth import login_required
from webadmin.ivr import blueprint, load_flow, settings

FLOW = "/instances/<int:instance_id>/flows/<int:flow_id>"


def as_json(problems) -> list[dict]:
    return [{"node": p.node, "code": p.code, "message": p.message} for p in problems]


def posted_document():
    """The posted document, or an error answer when there is none to speak of."""
    body = request.get_json(silent=True)
    document = body.get("document") if isinstance(body, dict) else None
    if not isinstance(document, dict):
        return None, (jsonify(error="Send a JSON object with a flow document in 'document'."),
                      400)
    return document, None


@blueprint.route(f"{FLOW}/draft", methods=["POST"])
@login_required
def draft(instance_id: int, flow_id: int):
    document, refused = posted_document()
    with transaction(settings()) as db:
        _instance, flow = load_flow(db, instance_id, flow_id)
        if refused:
            return refused
        try:
            problems = ivr.save_draft(db, flow, document)
        except DomainError as error:  # not a flow document at all: nothing is saved
            db.rollback()
            return jsonify(error=str(error)), 400
        return jsonify(saved=True, problems=as_json(problems))


@blueprint.route(f"{FLOW}/validate", methods=["POST"])
@login_required
def validate(instance_id: int, flow_id: int):
    document, refused = posted_document()
    with transaction(settings()) as db:
        _instance, flow = load_flow(db, instance_id, flow_id)
        if refused:
            return refused
        try:
            return jsonify(problems=as_json(ivr.problems(db, flow, document)))
        except DomainError as error:
            return jsonify(error=str(error)), 400


@blueprint.route(f"{FLOW}/publish", methods=["POST"])
@login_required
def publish(instance_id: int, flow_id: int):
    """Save and publish: the draft is kept either way, a version only when it is valid."""
    document, refused = posted_document()
    with transaction(settings()) as db:
        _instance, flow = load_flow(db, instance_id, flow_id)
        if refused:
            return refused
        try:
            ivr.save_draft(db, flow, document)
            db.commit()  # a refused publish still keeps what the user built
            version = ivr.publish(db, flow)
        except ivr.FlowInvalid as invalid:
            return jsonify(error="Not published: fix the problems first.",
                           problems=as_json(invalid.problems)), 422
        except DomainError as error:
            db.rollback()
            return jsonify(error=str(error)), 400
        return jsonify(version=version.version, problems=[])


@blueprint.route(f"{FLOW}/simulate", methods=["POST"])
@login_required
def simulate(instance_id: int, flow_id: int):
    """Run the editor's document through the interpreter: the path and the actions."""
    document, refused = posted_document()
    body = request.get_json(silent=True) or {}
    with transaction(settings()) as db:
        instance, flow = load_flow(db, instance_id, flow_id)
        if refused:
            return refused
        try:
            result = ivr.simulate(db, instance, document, str(body.get("digits", "")),
                                  str(body.get("at") or "") or None, str(body.get("caller", "")),
                                  {}, [], [], flow.name)
        except DomainError as error:
            return jsonify(error=str(error)), 400
        steps = result.as_dict()["steps"]
        return jsonify(path=list(result.path), error=result.error, actions=[
            f"[{s['node']}] {s['action']}" + (f" <- {s['answer']}" if s["answer"] else "")
            for s in steps])
