"""An instance's call recordings: searched (newest first), played in the page,
downloaded; the account's retention period and storage, for its owner.

Recordings are the instance's administrators' business (404 for another account's
instance or another instance's recording, 403 for a role that may not configure it).
The page names a recording by its id; where the file is kept never leaves the server.
A recording the PBX is still writing is refused (409) until it is whole.
"""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, g, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from engine.accounts.models import Account
from engine.agents.service import list_agents
from engine.errors import Conflict, DomainError, NotFound
from engine.recording import retention
from engine.recording import service as recordings
from engine.skillgroups.service import list_skill_groups
from webadmin.access import configurable_instance, current_user, flash_saved, work
from webadmin.auth import login_required
from webadmin.forms import errors_of

blueprint = Blueprint("recordings", __name__, template_folder="templates")
SEARCH_FIELDS = ("from", "to", "number", "agent", "skill_group")


def _settings():
    return current_app.config["CCC_SETTINGS"]


@blueprint.route("/instances/<int:instance_id>/recordings")
@login_required
def index(instance_id: int):
    form = {name: request.args.get(name, "").strip() for name in SEARCH_FIELDS}
    errors, error, found = {}, None, []
    with work() as db:
        instance = configurable_instance(db, instance_id)
        try:
            search = recordings.parse_search(
                db, instance, _settings().billing_utc_offset_minutes, from_day=form["from"],
                to_day=form["to"], number=form["number"], agent=form["agent"],
                skill_group_id=form["skill_group"])
            found = recordings.list_recordings(db, instance, search)
        except DomainError as failure:
            errors, error = errors_of(failure)
        return render_template(
            "recordings/index.html", instance=instance, recordings=found, form=form,
            errors=errors, error=error, searched=any(form.values()),
            agents=[(a.extension, f"{a.extension} {a.name}") for a in list_agents(db, instance)],
            groups=[(group.id, group.name) for group in list_skill_groups(db, instance)],
            storage=retention.storage(db, instance.account, instance)), \
            422 if errors or error else 200


@blueprint.route("/instances/<int:instance_id>/recordings/<int:recording_id>.wav")
@login_required
def audio(instance_id: int, recording_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        try:
            row = recordings.get_recording(db, instance, recording_id)
            data = recordings.read(db, _settings(), instance, recording_id)
        except NotFound:
            abort(404)
        except Conflict:
            abort(409, _("This recording is still being written; it can be played once its "
                         "call has ended."))
    response = Response(data, mimetype="audio/wav")
    # Played in the page by default; ?download=1 saves it under the call's id.
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = \
        f'{disposition}; filename="{recordings.download_name(row)}"'
    return response


@blueprint.route("/recordings", methods=["GET", "POST"])
@login_required
def account():
    """The account's retention period (its owner changes it) and storage by instance."""
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                text = form.get("recording_retention_days", "").strip() or "0"
                # ASCII digits only: anything else reaches the service as text, refused.
                days = int(text) if text.isascii() and text.isdigit() else text
                retention.set_retention(db, db.get(Account, g.account_id),
                                        days, current_user(db))
            flash_saved(_("Retention period saved"))
            return redirect(url_for("recordings.account"))
        except DomainError as failure:
            errors, error = errors_of(failure)
            if "recording_retention_days" in errors:
                errors["recording_retention_days"] = _(
                    "A number of days from 0 (kept until deleted) to %(most)d.",
                    most=retention.MAX_RETENTION_DAYS)
    with work() as db:
        try:
            found = retention.account_recordings(db, db.get(Account, g.account_id),
                                                 current_user(db))
        except DomainError:
            abort(403, _("Only the account's owner manages its recordings."))
        if request.method != "POST":
            form = {"recording_retention_days": found["recording_retention_days"] or 0}
        return render_template("recordings/account.html", found=found, form=form,
                               errors=errors, error=error), 422 if errors or error else 200
