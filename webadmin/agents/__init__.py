"""Agents of an instance: list, create, edit (skill groups with levels), delete, CSV import.

Every POST runs its checks and writes in one transaction; a broken rule rolls it all
back, and the form is shown again with each field's message and what was typed.
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.agents.importing import COLUMNS, ImportRejected, import_agents
from engine.agents.models import Agent
from engine.agents.service import create_agent, delete_agent, list_agents, update_agent
from engine.errors import DomainError
from engine.instances.models import Instance
from engine.messages import N_
from engine.skillgroups.service import DEFAULT, list_skill_groups
from webadmin.access import configurable_instance, flash_saved, load, may_configure, work
from webadmin.auth import login_required
from webadmin.forms import errors_of, levels_from
from webadmin.i18n import error_text

blueprint = Blueprint("agents", __name__, template_folder="templates")
LEVEL = "level_"  # form field prefix: level_<skill group id>


def _levels_by_name(db, instance: Instance, form) -> dict[str, int]:
    """The form's ``level_<group id>`` selects -> {group name: level} for the service."""
    names = {str(g.id): g.name for g in list_skill_groups(db, instance)}
    # An id that is not one of the instance's groups is passed on as such, to be refused.
    return {names.get(key, f"#{key}"): level for key, level in levels_from(form, LEVEL).items()}


def _form_page(db, instance: Instance, form, errors, error, agent: Agent | None = None):
    return render_template("agents/form.html", instance=instance, agent=agent, form=form,
                           errors=errors, error=error, groups=list_skill_groups(db, instance),
                           level=LEVEL), 422 if errors or error else 200


@blueprint.route("/instances/<int:instance_id>/agents")
@login_required
def index(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        return render_template("agents/index.html", instance=instance,
                               agents=list_agents(db, instance),
                               may_configure=may_configure(db, instance))


@blueprint.route("/instances/<int:instance_id>/agents/new", methods=["GET", "POST"])
@login_required
def new(instance_id: int):
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                instance = configurable_instance(db, instance_id)
                agent = create_agent(db, instance, form.get("name", "").strip(),
                                     form.get("extension", "").strip() or None,
                                     _levels_by_name(db, instance, form))
                agent_id, extension = agent.id, agent.extension
            flash_saved(_("Agent %(extension)s created", extension=extension))
            return redirect(url_for("agents.edit", instance_id=instance_id, agent_id=agent_id))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        instance = configurable_instance(db, instance_id)
        if request.method == "GET":  # a new seat takes calls at once: default, level 1
            form = {f"{LEVEL}{g.id}": 1 for g in list_skill_groups(db, instance)
                    if g.name == DEFAULT}
        return _form_page(db, instance, form, errors, error)


@blueprint.route("/instances/<int:instance_id>/agents/<int:agent_id>/edit",
                 methods=["GET", "POST"])
@login_required
def edit(instance_id: int, agent_id: int):
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                instance = configurable_instance(db, instance_id)
                agent = load(db, Agent, agent_id, instance_id)
                update_agent(db, agent, form.get("name", "").strip(),
                             _levels_by_name(db, instance, form))
                extension = agent.extension
            flash_saved(_("Agent %(extension)s saved", extension=extension))
            return redirect(url_for("agents.index", instance_id=instance_id))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        instance = configurable_instance(db, instance_id)
        agent = load(db, Agent, agent_id, instance_id)
        if request.method == "GET":
            form = {"name": agent.name, "extension": agent.extension} | {
                f"{LEVEL}{m.skill_group_id}": m.level for m in agent.memberships}
        return _form_page(db, instance, form, errors, error, agent)


@blueprint.route("/instances/<int:instance_id>/agents/<int:agent_id>/password",
                 methods=["POST"])
@login_required
def password(instance_id: int, agent_id: int):
    """Set the agent's workbench password, or make a one-time invitation link."""
    from flask import current_app, flash

    from engine.agents import passwords
    errors, error = {}, None
    try:
        with work() as db:
            instance = configurable_instance(db, instance_id)
            agent = load(db, Agent, agent_id, instance_id)
            extension, domain = agent.extension, instance.domain
            if request.form.get("invite"):
                token = passwords.invite(db, agent)
            else:
                token = None
                passwords.set_password(agent, request.form.get("password", ""))
    except DomainError as failure:
        errors, error = errors_of(failure)
        with work() as db:
            instance = configurable_instance(db, instance_id)
            agent = load(db, Agent, agent_id, instance_id)
            form = {"name": agent.name} | {f"{LEVEL}{m.skill_group_id}": m.level
                                           for m in agent.memberships}
            return _form_page(db, instance, form, errors, error, agent)
    if token:
        base = current_app.config["CCC_SETTINGS"].public_web_url
        flash(_("Send agent %(extension)s this link (valid 7 days, once): %(link)s",
                extension=extension, link=f"{base}/w/{domain}/invitation/{token}"))
    else:
        flash(_("Agent %(extension)s signs in to the workbench with the new password.",
                extension=extension))
    return redirect(url_for("agents.edit", instance_id=instance_id, agent_id=agent_id))


@blueprint.route("/instances/<int:instance_id>/agents/<int:agent_id>/delete", methods=["POST"])
@login_required
def delete(instance_id: int, agent_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        agent = load(db, Agent, agent_id, instance_id)
        extension = agent.extension
        delete_agent(db, instance, extension)
    flash_saved(_("Agent %(extension)s deleted", extension=extension))
    return redirect(url_for("agents.index", instance_id=instance_id))


@blueprint.route("/instances/<int:instance_id>/agents/import", methods=["GET", "POST"])
@login_required
def import_csv(instance_id: int):
    report, error = [], None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise DomainError(N_("choose a CSV file to import"))
            with work() as db:
                created = import_agents(db, configurable_instance(db, instance_id), upload.read())
                count = len(created)
            flash_saved(_("%(count)s agent(s) imported", count=count))
            return redirect(url_for("agents.index", instance_id=instance_id))
        except ImportRejected as rejected:
            report, error = rejected.errors, _("Nothing was imported: correct these rows "
                                               "and send the whole file again.")
        except DomainError as failure:
            error = error_text(failure)
    with work() as db:
        instance = configurable_instance(db, instance_id)
        return render_template("agents/import.html", instance=instance, report=report,
                               error=error, columns=COLUMNS), 422 if error else 200
