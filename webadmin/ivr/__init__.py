"""IVR flows in the web admin: an instance's flows, creating one, binding a number.

The editor's page and its JSON calls are in ``editor.py``, the published versions in
``versions.py``; both add their routes to this blueprint (imported at the end). Flows
are configuration, so every route, even a read, needs a user who may configure the
instance (``access.configurable_instance``: another account's answers 404, a role that
may not configure it 403), like the editor itself.
"""
from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import DomainError
from engine.ivr import service as ivr
from engine.ivr.models import IvrFlow
from engine.numbers.models import Number
from engine.numbers.service import list_numbers
from webadmin.access import configurable_instance, load, work
from webadmin.auth import login_required
from webadmin.forms import row_id
from webadmin.i18n import error_text

blueprint = Blueprint("ivr", __name__, template_folder="templates")
NEW_FLOW = {"format": 1, "nodes": [{"id": "start", "type": "start", "x": 60, "y": 40}],
            "edges": []}


def load_flow(db, instance_id: int, flow_id: int):
    """The instance and its flow: 404 unless both are the account's, 403 unless the user
    may configure the instance."""
    instance = configurable_instance(db, instance_id)
    return instance, load(db, IvrFlow, flow_id, instance_id)


def flow_row(db, flow: IvrFlow) -> dict:
    """A flow as the lists show it (the web page and the API)."""
    latest = ivr.latest_version(db, flow)
    return {"id": flow.id, "name": flow.name,
            "state": "published" if latest else "draft",
            "latest": latest.version if latest else None,
            "unpublished_changes": bool(latest) and ivr.draft_of(db, flow) is not None,
            "numbers": ivr.bound_numbers(db, flow)}


def _index_page(db, instance, errors=None, form=None, status=200):
    flows = ivr.list_flows(db, instance)
    # Only a published flow may take calls: the others are not offered.
    bindable = [f for f in flows if ivr.latest_version(db, f) is not None]
    numbers = [{"id": n.id, "digits": n.digits, "type": n.type,
                "flow_id": n.inbound_flow_id} for n in list_numbers(db, instance_id=instance.id)]
    return render_template("ivr/index.html", instance=instance,
                           flows=[flow_row(db, f) for f in flows], bindable=bindable,
                           numbers=numbers, errors=errors or {}, form=form or {}), status


@blueprint.route("/instances/<int:instance_id>/flows")
@login_required
def index(instance_id: int):
    with work() as db:
        return _index_page(db, configurable_instance(db, instance_id))


@blueprint.route("/instances/<int:instance_id>/flows", methods=["POST"])
@login_required
def create(instance_id: int):
    name = request.form.get("name", "").strip()
    with work() as db:
        instance = configurable_instance(db, instance_id)
        try:
            flow = ivr.create_flow(db, instance, name, json.loads(json.dumps(NEW_FLOW)))
        except DomainError as error:
            db.rollback()
            return _index_page(db, instance, {"name": error_text(error)}, {"name": name}, 400)
        flow_id = flow.id
    return redirect(url_for("ivr.editor", instance_id=instance_id, flow_id=flow_id))


def _own_id(text: str) -> int:
    return row_id(text)  # -1 matches no row: 404


@blueprint.route("/instances/<int:instance_id>/bind", methods=["POST"])
@login_required
def bind(instance_id: int):
    form = {"number": request.form.get("number", ""), "flow": request.form.get("flow", "")}
    with work() as db:
        instance = configurable_instance(db, instance_id)
        if not form["number"] or not form["flow"]:
            return _index_page(db, instance, {"bind": _("Choose a number and a published flow.")},
                               form, 400)
        # Both of this instance, or 404: the form only offers its own.
        number = load(db, Number, _own_id(form["number"]), instance_id)
        flow = load(db, IvrFlow, _own_id(form["flow"]), instance_id)
        if ivr.latest_version(db, flow) is None:
            return _index_page(db, instance, {"bind": _(
                "Flow %(flow)s is not published: publish it before binding a number.",
                flow=flow.name)}, form, 400)
        try:
            ivr.bind_number(db, number, flow)
        except DomainError as error:
            db.rollback()
            return _index_page(db, instance, {"bind": error_text(error)}, form, 400)
        message = _("%(number)s now runs flow %(flow)s from its next call.",
                    number=number.digits, flow=flow.name)
    flash(message)
    return redirect(url_for("ivr.index", instance_id=instance_id))


# The other pages of the area join this blueprint (explicitly, here, not by discovery).
from webadmin.ivr import editor, versions  # noqa: E402,F401
