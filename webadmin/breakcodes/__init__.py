"""Break codes of an instance: the list, the form that adds one, removing one.

Everyone of the account may look; roles that configure the instance may change. The
rules are engine/agentstate/breakcodes.py's; a refused code or name is shown next to
its field with what was typed, and nothing is written.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.agentstate.breakcodes import add_break_code, break_codes, remove_break_code
from engine.errors import DomainError, NotFound
from engine.instances.models import Instance
from webadmin.access import configurable_instance, flash_saved, load, may_configure, work
from webadmin.auth import login_required
from webadmin.forms import errors_of

blueprint = Blueprint("breakcodes", __name__, template_folder="templates")
PATH = "/instances/<int:instance_id>/break-codes"


def _page(db, instance: Instance, form, errors, error):
    return render_template("breakcodes/index.html", instance=instance,
                           break_codes=break_codes(db, instance), form=form, errors=errors,
                           error=error, may_configure=may_configure(db, instance)), \
        422 if errors or error else 200


@blueprint.route(PATH, methods=["GET", "POST"])
@login_required
def index(instance_id: int):
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                instance = configurable_instance(db, instance_id)
                code = form.get("code", "").strip()
                add_break_code(db, instance, code, form.get("name", "").strip())
            flash_saved(_("Break code %(code)s added", code=code))
            return redirect(url_for("breakcodes.index", instance_id=instance_id))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        return _page(db, load(db, Instance, instance_id), form, errors, error)


@blueprint.route(PATH + "/<code>/delete", methods=["POST"])
@login_required
def delete(instance_id: int, code: str):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        try:
            remove_break_code(db, instance, code)
        except NotFound:
            abort(404)
    flash_saved(_("Break code %(code)s deleted", code=code))
    return redirect(url_for("breakcodes.index", instance_id=instance_id))
