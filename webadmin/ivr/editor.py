"""The visual editor's page and its JSON calls: save draft, validate, publish, simulate.

The calls take ``{"document": ...}`` and answer JSON; problems come back as
``{"node", "code", "message"}`` so the editor shows each on its node. They use the
session, not an API token, so each carries the CSRF token in the ``X-CSRF-Token``
header (checked in webadmin.auth for every JSON POST). The REST API offers the same
operations to token holders (webadmin/api/ivr.py), through the same services.
"""
from __future__ import annotations

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext as _

from engine.agents.service import list_agents
from engine.audio.service import list_audio
from engine.errors import DomainError
from engine.ivr import service as ivr
from engine.ivr.spec import MODULES, PRODUCT_SOUNDS
from engine.skillgroups.service import list_skill_groups
from webadmin.access import work
from webadmin.auth import csrf_token, login_required
from webadmin.i18n import error_text, translate
from webadmin.ivr import blueprint, flow_row, load_flow

FLOW = "/instances/<int:instance_id>/flows/<int:flow_id>"


def as_json(problems) -> list[dict]:
    """The problems for the editor and the API, their messages in the request's language."""
    return [p.as_dict() | {"message": translate(p.message)} for p in problems]


def editor_resources(db, instance, flow) -> dict:
    """The instance's own things a node may name, for the editor's selects."""
    others = [f.name for f in ivr.list_flows(db, instance)
              if f.id != flow.id and ivr.latest_version(db, f) is not None]
    return {
        "audio": [a.name for a in list_audio(db, instance)],
        "builtin": sorted(PRODUCT_SOUNDS),
        "skill_groups": [g.name for g in list_skill_groups(db, instance)],
        "agents": [{"value": a.extension, "text": f"{a.extension} {a.name}"}
                   for a in list_agents(db, instance)],
        "flows": others,
    }


def flow_urls(instance_id: int, flow_id: int) -> dict:
    return {name: url_for(f"ivr.{name}", instance_id=instance_id, flow_id=flow_id)
            for name in ("draft", "validate", "publish", "simulate", "versions")}


@blueprint.route(FLOW)
@login_required
def editor(instance_id: int, flow_id: int):
    with work() as db:
        instance, flow = load_flow(db, instance_id, flow_id)
        document = ivr.current_document(db, flow)
        data = {
            "flow": {"id": flow.id, "name": flow.name}, "document": document,
            "problems": as_json(ivr.problems(db, flow, document)),
            "resources": editor_resources(db, instance, flow),
            "outlets": {t: list(m.required + m.optional) for t, m in MODULES.items()},
            "urls": flow_urls(instance_id, flow_id), "csrf": csrf_token(),
        }
        return render_template("ivr/editor.html", instance=instance, flow=flow_row(db, flow),
                               data=data)


def posted_document():
    """The posted document, or an error answer when there is none to speak of."""
    body = request.get_json(silent=True)
    document = body.get("document") if isinstance(body, dict) else None
    if not isinstance(document, dict):
        return None, (jsonify(error=_("Send a JSON object with a flow document in 'document'.")),
                      400)
    return document, None


@blueprint.route(f"{FLOW}/draft", methods=["POST"])
@login_required
def draft(instance_id: int, flow_id: int):
    document, refused = posted_document()
    with work() as db:
        _instance, flow = load_flow(db, instance_id, flow_id)  # 404/403 before 400
        if refused:
            return refused
        try:
            problems = ivr.save_draft(db, flow, document)
        except DomainError as error:  # not a flow document at all: nothing is saved
            db.rollback()
            return jsonify(error=error_text(error)), 400
        return jsonify(saved=True, problems=as_json(problems))


@blueprint.route(f"{FLOW}/validate", methods=["POST"])
@login_required
def validate(instance_id: int, flow_id: int):
    document, refused = posted_document()
    with work() as db:
        _instance, flow = load_flow(db, instance_id, flow_id)
        if refused:
            return refused
        try:
            return jsonify(problems=as_json(ivr.problems(db, flow, document)))
        except DomainError as error:
            return jsonify(error=error_text(error)), 400


@blueprint.route(f"{FLOW}/publish", methods=["POST"])
@login_required
def publish(instance_id: int, flow_id: int):
    """Save and publish: the draft is kept either way, a version only when it is valid."""
    document, refused = posted_document()
    with work() as db:
        _instance, flow = load_flow(db, instance_id, flow_id)
        if refused:
            return refused
        try:
            version, problems = ivr.save_and_publish(db, flow, document)
        except DomainError as error:  # not a flow document at all: nothing is saved
            db.rollback()
            return jsonify(error=error_text(error)), 400
        if version is None:  # what the user built is kept as the draft all the same
            return jsonify(error=_("Not published: fix the problems first."),
                           problems=as_json(problems)), 422
        return jsonify(version=version.version, problems=[])


def simulation_json(result) -> dict:
    """The path and the actions of a simulated call, one line per step."""
    return {"path": list(result.path), "error": translate(result.error), "actions": [
        f"[{s['node']}] {s['action']}" + (f" <- {s['answer']}" if s["answer"] else "")
        for s in result.as_dict()["steps"]]}


@blueprint.route(f"{FLOW}/simulate", methods=["POST"])
@login_required
def simulate(instance_id: int, flow_id: int):
    """Run the editor's document through the interpreter: the path and the actions."""
    document, refused = posted_document()
    body = request.get_json(silent=True) or {}
    with work() as db:
        instance, flow = load_flow(db, instance_id, flow_id)
        if refused:
            return refused
        try:
            result = ivr.simulate(db, instance, document, str(body.get("digits", "")),
                                  str(body.get("at") or "") or None, str(body.get("caller", "")),
                                  flow_name=flow.name)
        except DomainError as error:
            return jsonify(error=error_text(error)), 400
        return jsonify(simulation_json(result))
