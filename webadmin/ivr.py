"""IVR flows (F7) in the web admin: the list, the visual editor's page, versions, binding.

The editor's JSON calls (save draft, validate, publish, simulate) are in
``webadmin.ivr_api`` on the same blueprint. Every route loads its instance through
``webadmin.scope`` (another account's -> 404) and its flow through ``load_flow``.
"""
from __future__ import annotations

import json

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from sqlalchemy import select

from engine.agents.service import list_agents
from engine.audio.service import list_audio
from engine.errors import DomainError
from engine.ivr import service as ivr
from engine.ivr.models import IvrFlow, IvrFlowVersion
from engine.ivr.spec import MODULES, PRODUCT_SOUNDS
from engine.numbers.models import Number
from engine.numbers.service import list_numbers
from engine.skillgroups.service import list_skill_groups
from engine.uow import transaction
from webadmin.auth import csrf_token, login_required
from webadmin.scope import configurable_instances, load_instance

blueprint = Blueprint("ivr", __name__)
NEW_FLOW = {"format": 1, "nodes": [{"id": "start", "type": "start", "x": 60, "y": 40}],
            "edges": []}


def settings():
    return current_app.config["CCC_SETTINGS"]


def load_flow(db, instance_id: int, flow_id: int):
    """The instance and its flow; 404 unless both are the signed-in user's to configure."""
    instance = load_instance(db, instance_id)
    flow = db.get(IvrFlow, flow_id)
    if flow is None or flow.instance_id != instance.id:
        abort(404)
    return instance, flow


def published_versions(db, flow: IvrFlow) -> list[IvrFlowVersion]:
    """Numbered versions, oldest first (the service lists the draft after them)."""
    return [v for v in ivr.versions(db, flow) if v.version is not None]


def bound_numbers(db, flow: IvrFlow) -> list[str]:
    return list(db.scalars(select(Number.digits).where(Number.inbound_flow_id == flow.id)
                           .order_by(Number.digits)))


def flow_row(db, flow: IvrFlow) -> dict:
    latest = ivr.latest_version(db, flow)
    return {"id": flow.id, "name": flow.name,
            "state": "published" if latest else "draft",
            "latest": latest.version if latest else None,
            "unpublished_changes": bool(latest) and ivr.draft_of(db, flow) is not None,
            "numbers": bound_numbers(db, flow)}


@blueprint.route("/ivr")
@login_required
def index():
    with transaction(settings()) as db:
        return render_template("ivr/index.html", instances=configurable_instances(db))


def _flows_page(db, instance, errors=None, form=None, status=200):
    flows = ivr.list_flows(db, instance)
    # Only a published flow may take calls: the others are not offered.
    bindable = [f for f in flows if ivr.latest_version(db, f) is not None]
    numbers = [{"id": n.id, "digits": n.digits, "type": n.type.value,
                "flow_id": n.inbound_flow_id} for n in list_numbers(db, instance_id=instance.id)]
    return render_template("ivr/flows.html", instance=instance,
                           flows=[flow_row(db, f) for f in flows], bindable=bindable,
                           numbers=numbers, errors=errors or {}, form=form or {}), status


@blueprint.route("/instances/<int:instance_id>/flows")
@login_required
def flows(instance_id: int):
    with transaction(settings()) as db:
        return _flows_page(db, load_instance(db, instance_id))


@blueprint.route("/instances/<int:instance_id>/flows", methods=["POST"])
@login_required
def create(instance_id: int):
    name = request.form.get("name", "").strip()
    with transaction(settings()) as db:
        instance = load_instance(db, instance_id)
        try:
            flow = ivr.create_flow(db, instance, name, json.loads(json.dumps(NEW_FLOW)))
        except DomainError as error:
            db.rollback()
            return _flows_page(db, instance, {"name": str(error)}, {"name": name}, 400)
        flow_id = flow.id
    return redirect(url_for("ivr.editor", instance_id=instance_id, flow_id=flow_id))


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


@blueprint.route("/instances/<int:instance_id>/flows/<int:flow_id>")
@login_required
def editor(instance_id: int, flow_id: int):
    with transaction(settings()) as db:
        instance, flow = load_flow(db, instance_id, flow_id)
        document = ivr.current_document(db, flow)
        data = {
            "flow": {"id": flow.id, "name": flow.name}, "document": document,
            "problems": [{"node": p.node, "code": p.code, "message": p.message}
                         for p in ivr.problems(db, flow, document)],
            "resources": editor_resources(db, instance, flow),
            "outlets": {t: list(m.required + m.optional) for t, m in MODULES.items()},
            "urls": flow_urls(instance_id, flow_id), "csrf": csrf_token(),
        }
        return render_template("ivr/editor.html", instance=instance, flow=flow_row(db, flow),
                               data=data)


@blueprint.route("/instances/<int:instance_id>/flows/<int:flow_id>/versions")
@login_required
def versions(instance_id: int, flow_id: int):
    with transaction(settings()) as db:
        instance, flow = load_flow(db, instance_id, flow_id)
        return render_template("ivr/versions.html", instance=instance, flow=flow_row(db, flow),
                               versions=list(reversed(published_versions(db, flow))))


def _version(db, flow, number: int) -> IvrFlowVersion:
    version = next((v for v in published_versions(db, flow) if v.version == number), None)
    if version is None:
        abort(404)
    return version


@blueprint.route("/instances/<int:instance_id>/flows/<int:flow_id>/versions/<int:number>")
@login_required
def version(instance_id: int, flow_id: int, number: int):
    with transaction(settings()) as db:
        instance, flow = load_flow(db, instance_id, flow_id)
        found = _version(db, flow, number)
        text = json.dumps(json.loads(found.definition), indent=2, sort_keys=True)
        return render_template("ivr/version.html", instance=instance, flow=flow_row(db, flow),
                               version=found, text=text)


@blueprint.route("/instances/<int:instance_id>/flows/<int:flow_id>/versions/<int:number>/export")
@login_required
def export(instance_id: int, flow_id: int, number: int):
    with transaction(settings()) as db:
        _instance, flow = load_flow(db, instance_id, flow_id)
        text = json.dumps(json.loads(_version(db, flow, number).definition), indent=2,
                          sort_keys=True)
        filename = f"{flow.name}-v{number}.json"
    return Response(text + "\n", mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blueprint.route("/instances/<int:instance_id>/flows/<int:flow_id>/versions/<int:number>/restore",
                 methods=["POST"])
@login_required
def restore(instance_id: int, flow_id: int, number: int):
    """Make an old version the draft again (to publish it as the next version)."""
    with transaction(settings()) as db:
        _instance, flow = load_flow(db, instance_id, flow_id)
        ivr.save_draft(db, flow, json.loads(_version(db, flow, number).definition))
    flash(f"Version {number} is now the draft: publish it to make it live again.")
    return redirect(url_for("ivr.editor", instance_id=instance_id, flow_id=flow_id))


@blueprint.route("/instances/<int:instance_id>/bind", methods=["POST"])
@login_required
def bind(instance_id: int):
    form = {"number": request.form.get("number", ""), "flow": request.form.get("flow", "")}
    with transaction(settings()) as db:
        instance = load_instance(db, instance_id)
        if not form["number"] or not form["flow"]:
            return _flows_page(db, instance, {"bind": "Choose a number and a published flow."},
                               form, 400)
        number = next((n for n in list_numbers(db, instance_id=instance.id)
                       if str(n.id) == form["number"]), None)
        flow = next((f for f in ivr.list_flows(db, instance) if str(f.id) == form["flow"]), None)
        if number is None or flow is None:
            abort(404)  # not this instance's (the form only offers its own)
        if ivr.latest_version(db, flow) is None:
            return _flows_page(db, instance, {"bind": f"Flow {flow.name} is not published: "
                                              "publish it before binding a number."}, form, 400)
        try:
            ivr.bind_number(db, number, flow)
        except DomainError as error:
            db.rollback()
            return _flows_page(db, instance, {"bind": str(error)}, form, 400)
        message = f"{number.digits} now runs flow {flow.name} from its next call."
    flash(message)
    return redirect(url_for("ivr.flows", instance_id=instance_id))


from webadmin import ivr_api  # noqa: E402,F401  (its routes join this blueprint)
