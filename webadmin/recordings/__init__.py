"""An instance's call recordings: listed newest first, played in the page, downloaded.

Recordings are the instance's administrators' business (404 for another account's
instance or another instance's recording, 403 for a role that may not configure it).
The page names a recording by its id; where the file is kept never leaves the server.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request

from engine.errors import NotFound
from engine.recording import service as recordings
from webadmin.access import configurable_instance, work
from webadmin.auth import login_required

blueprint = Blueprint("recordings", __name__, template_folder="templates")


@blueprint.route("/instances/<int:instance_id>/recordings")
@login_required
def index(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        return render_template("recordings/index.html", instance=instance,
                               recordings=recordings.list_recordings(db, instance))


@blueprint.route("/instances/<int:instance_id>/recordings/<int:recording_id>.wav")
@login_required
def audio(instance_id: int, recording_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        try:
            row = recordings.get_recording(db, instance, recording_id)
            data = recordings.read(db, current_app.config["CCC_SETTINGS"], instance,
                                   recording_id)
        except NotFound:
            abort(404)
    response = Response(data, mimetype="audio/wav")
    # Played in the page by default; ?download=1 saves it under the call's id.
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = \
        f'{disposition}; filename="{recordings.download_name(row)}"'
    return response
