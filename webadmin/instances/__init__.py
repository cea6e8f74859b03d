"""Instances: the one-minute creation form, the instance page with its access address, editing."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.access import administrators
from engine.accounts.models import Account, User
from engine.errors import DomainError
from engine.instances.models import Instance
from engine.instances.service import create_instance, update_instance
from engine.numbers.service import list_numbers
from webadmin.access import flash_saved, load, may_configure, require_configure, work
from webadmin.auth import login_required
from webadmin.forms import errors_of
from webadmin.labels import number_type_options, recording_options

blueprint = Blueprint("instances", __name__, template_folder="templates")


def _users(db) -> list[str]:
    return list(db.scalars(select(User.name).where(User.account_id == g.account_id)
                           .order_by(User.name)))


@blueprint.route("/instances/new", methods=["GET", "POST"])
@login_required
def new():
    form, errors, error = request.form, {}, None
    with work() as db:
        require_configure(db)
        users = _users(db)
    if request.method == "POST":
        try:
            with work() as db:
                created = create_instance(
                    db, db.get(Account, g.account_id), form.get("name", "").strip(),
                    form.get("domain", "").strip(), form.get("number", "").strip(),
                    form.get("number_type", ""), form.get("new_admin", "").strip() or None,
                    form.get("description", ""), form.getlist("admins"),
                    form.get("new_admin_password") or None)
                instance_id = created.instance.id
            flash_saved(_("Instance %(name)s created", name=form.get("name", "").strip()))
            return redirect(url_for("instances.show", instance_id=instance_id))
        except DomainError as failure:
            errors, error = errors_of(failure)
    return render_template("instances/new.html", form=form, errors=errors, error=error,
                           users=users, chosen=form.getlist("admins"),
                           number_types=number_type_options()), 422 if errors or error else 200


@blueprint.route("/instances/<int:instance_id>")
@login_required
def show(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        numbers = list_numbers(db, instance_id=instance.id)
        admins = administrators(db, instance)
        return render_template("instances/show.html", instance=instance, numbers=numbers,
                               admins=admins, may_configure=may_configure(db, instance))


@blueprint.route("/instances/<int:instance_id>/edit", methods=["GET", "POST"])
@login_required
def edit(instance_id: int):
    errors, error = {}, None
    with work() as db:
        instance = load(db, Instance, instance_id)
        require_configure(db, instance)
        form = request.form if request.method == "POST" else {
            "name": instance.name, "description": instance.description,
            "recording": instance.recording.value}
        domain = instance.domain
    if request.method == "POST":
        try:
            with work() as db:
                update_instance(db, domain, form.get("name", "").strip(),
                                form.get("description", ""),
                                recording=form.get("recording") or None)
            flash_saved(_("Instance saved"))
            return redirect(url_for("instances.show", instance_id=instance_id))
        except DomainError as failure:
            errors, error = errors_of(failure)
    return render_template("instances/edit.html", instance=instance, form=form, errors=errors,
                           error=error, recordings=recording_options()), \
        422 if errors or error else 200
