"""Dedicated agents of an instance: the customers whose calls ring one agent first.

Views of the agents area (registered on its blueprint in ``webadmin.agents``): the list
with its add form, and removing a tie. The rules are engine/agents/dedicated.py's.
"""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.agents import dedicated
from engine.agents.service import list_agents
from engine.errors import DomainError, NotFound
from engine.instances.models import Instance
from provisioning.render import RING_SECONDS
from webadmin.access import configurable_instance, flash_saved, load, may_configure, work
from webadmin.auth import login_required
from webadmin.forms import errors_of, int_or_none


def _page(db, instance: Instance, form, errors, error):
    options = [(a.id, f"{a.extension} {a.name}") for a in list_agents(db, instance)]
    return render_template("agents/dedicated.html", instance=instance,
                           ties=dedicated.list_ties(db, instance),
                           agent_options=options, ring_seconds=RING_SECONDS, form=form,
                           errors=errors,
                           error=error, may_configure=may_configure(db, instance)), \
        422 if errors or error else 200


@login_required
def index(instance_id: int):
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                instance = configurable_instance(db, instance_id)
                number = form.get("customer_number", "").strip()
                dedicated.tie(db, instance, number, int_or_none(form.get("agent_id")))
            flash_saved(_("Customer %(number)s now has a dedicated agent", number=number))
            return redirect(url_for("agents.dedicated", instance_id=instance_id))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        return _page(db, load(db, Instance, instance_id), form, errors, error)


@login_required
def delete(instance_id: int, customer_number: str):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        try:
            dedicated.untie(db, instance, customer_number)
        except NotFound:
            abort(404)
    flash_saved(_("Customer %(number)s no longer has a dedicated agent",
                  number=customer_number))
    return redirect(url_for("agents.dedicated", instance_id=instance_id))


def register(blueprint) -> None:
    """The area's routes for dedicated agents, on the agents blueprint."""
    blueprint.add_url_rule("/instances/<int:instance_id>/agents/dedicated", "dedicated",
                           index, methods=["GET", "POST"])
    blueprint.add_url_rule("/instances/<int:instance_id>/agents/dedicated/"
                           "<customer_number>/delete", "dedicated_delete", delete,
                           methods=["POST"])
