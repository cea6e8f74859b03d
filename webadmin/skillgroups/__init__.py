"""Skill groups of an instance: routing strategy, wait timeout, agents with levels,
outbound numbers."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.agents.service import list_agents
from engine.errors import DomainError, Invalid
from engine.instances.models import Instance
from engine.numbers.service import list_numbers, outbound_numbers, set_outbound_numbers
from engine.skillgroups.models import SkillGroup
from engine.skillgroups.service import (STRATEGIES, create_skill_group, delete_skill_group,
                                        list_skill_groups, members, set_members,
                                        update_skill_group)
from webadmin.access import configurable_instance, flash_saved, load, may_configure, work
from webadmin.auth import login_required
from engine.validation import number_text
from webadmin.forms import errors_of, ids, int_or_none, int_or_text, levels_from, row_id
from webadmin.i18n import error_text
from webadmin.labels import recording_options

blueprint = Blueprint("skillgroups", __name__, template_folder="templates")
MEMBER = "agent_"  # form field prefix: agent_<agent id> -> level


def save_group(db, group: SkillGroup, form) -> None:
    """Every part of the form, each through its service; all fields' errors at once."""
    fields: dict[str, str] = {}
    steps = (
        lambda: update_skill_group(db, group, form.get("name", "").strip(),
                                   form.get("strategy", ""), int_or_text(form.get("wait_timeout")),
                                   int_or_none(form.get("overflow")),
                                   recording=form.get("recording") or None),
        lambda: set_members(db, group, {row_id(k): v for k, v in
                                        levels_from(form, MEMBER).items()}),
        lambda: set_outbound_numbers(db, group, ids(form.getlist("numbers"))),
    )
    for step in steps:
        try:
            step()
        except DomainError as error:
            fields |= error.fields or {"form": error.message}
    if fields:  # raised, so the transaction rolls back the steps that did succeed
        raise Invalid("; ".join(fields.values()), fields=fields)


def _form_page(db, instance: Instance, form, errors, error, group: SkillGroup | None = None):
    return render_template(
        "skillgroups/form.html", instance=instance, group=group, form=form, errors=errors,
        error=error or errors.get("form"), strategies=[(s, s) for s in STRATEGIES],
        agents=list_agents(db, instance), numbers=list_numbers(db, instance_id=instance.id),
        overflows=[(g.id, g.name) for g in list_skill_groups(db, instance) if g is not group],
        member=MEMBER, chosen=_chosen(form), recordings=recording_options(True)), \
        422 if errors or error else 200


def _chosen(form) -> list[int]:
    """The checked numbers: from the sent form, or from the database on a first GET."""
    if hasattr(form, "getlist"):
        return [row_id(v) for v in form.getlist("numbers") if number_text(v) is not None]
    return list(form.get("numbers", []))


@blueprint.route("/instances/<int:instance_id>/skillgroups")
@login_required
def index(instance_id: int):
    with work() as db:
        instance = load(db, Instance, instance_id)
        groups = [(g, len(members(db, g)), [n.digits for n in outbound_numbers(db, g.id)],
                   g.overflow.name if g.overflow else "")
                  for g in list_skill_groups(db, instance)]
        return render_template("skillgroups/index.html", instance=instance, groups=groups,
                               may_configure=may_configure(db, instance))


@blueprint.route("/instances/<int:instance_id>/skillgroups/new", methods=["GET", "POST"])
@login_required
def new(instance_id: int):
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                instance = configurable_instance(db, instance_id)
                group = create_skill_group(db, instance, form.get("name", "").strip(),
                                           form.get("strategy", ""),
                                           int_or_text(form.get("wait_timeout")),
                                           int_or_none(form.get("overflow")))
                save_group(db, group, form)
                name = group.name
            flash_saved(_("Skill group %(name)s created", name=name))
            return redirect(url_for("skillgroups.index", instance_id=instance_id))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        instance = configurable_instance(db, instance_id)
        if request.method == "GET":
            form = {"strategy": "rrmemory", "wait_timeout": 300, "numbers": [],
                    "recording": "inherit"}
        return _form_page(db, instance, form, errors, error)


@blueprint.route("/instances/<int:instance_id>/skillgroups/<int:group_id>/edit",
                 methods=["GET", "POST"])
@login_required
def edit(instance_id: int, group_id: int):
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                configurable_instance(db, instance_id)
                group = load(db, SkillGroup, group_id, instance_id)
                save_group(db, group, form)
                name = group.name
            flash_saved(_("Skill group %(name)s saved", name=name))
            return redirect(url_for("skillgroups.index", instance_id=instance_id))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        instance = configurable_instance(db, instance_id)
        group = load(db, SkillGroup, group_id, instance_id)
        if request.method == "GET":
            form = {"name": group.name, "strategy": group.strategy,
                    "wait_timeout": group.wait_timeout, "overflow": group.overflow_id or "",
                    "recording": group.recording.value,
                    "numbers": [n.id for n in outbound_numbers(db, group.id)]} | {
                f"{MEMBER}{agent_id}": level for agent_id, level in members(db, group).items()}
        return _form_page(db, instance, form, errors, error, group)


@blueprint.route("/instances/<int:instance_id>/skillgroups/<int:group_id>/delete",
                 methods=["POST"])
@login_required
def delete(instance_id: int, group_id: int):
    try:
        with work() as db:
            configurable_instance(db, instance_id)
            group = load(db, SkillGroup, group_id, instance_id)
            name = group.name
            delete_skill_group(db, group)
        flash_saved(_("Skill group %(name)s deleted", name=name))
    except DomainError as failure:
        flash(error_text(failure), "error")
    return redirect(url_for("skillgroups.index", instance_id=instance_id))
