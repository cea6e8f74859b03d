"""An instance's audio library: list, upload, play, download, rename, delete.

The rules (WAV by header, 5 MB, names, 'used by a published flow') are the audio
service's; this face maps its refusals to the form field they are about. The library is
configuration: every route needs a user who may configure the instance (404 for another
account's, 403 for a role that may not), as in the IVR area whose flows play it.
"""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _

from engine import validation
from engine.audio import service as audio
from engine.errors import Conflict, DomainError, NotFound
from webadmin.access import configurable_instance, work
from webadmin.auth import login_required
from webadmin.i18n import error_text

blueprint = Blueprint("audio", __name__, template_folder="templates")


def _settings():
    return current_app.config["CCC_SETTINGS"]


def _page(db, instance, errors=None, form=None, status=200):
    files = audio.list_audio(db, instance)
    return render_template("audio/index.html", instance=instance, files=files,
                           errors=errors or {}, form=form or {},
                           max_mb=audio.MAX_BYTES // (1024 * 1024)), status


@blueprint.route("/instances/<int:instance_id>/audio")
@login_required
def index(instance_id: int):
    with work() as db:
        return _page(db, configurable_instance(db, instance_id))


def _upload_error_field(error: DomainError) -> str:
    # The service names the field; a clash with another upload of the moment is the name's.
    return next(iter(error.fields), "name" if isinstance(error, Conflict) else "file")


@blueprint.route("/instances/<int:instance_id>/audio", methods=["POST"])
@login_required
def upload(instance_id: int):
    upload_file = request.files.get("file")
    form = {"name": request.form.get("name", "").strip(), "replace": "replace" in request.form}
    with work() as db:
        instance = configurable_instance(db, instance_id)
        if upload_file is None or not upload_file.filename:
            return _page(db, instance, {"file": _("Choose a WAV file.")}, form, 400)
        name = form["name"] or audio.name_from_filename(upload_file.filename)
        try:
            validation.audio_name(name)
        except DomainError as error:
            return _page(db, instance, {"name": error_text(error)}, form, 400)
        try:
            audio.upload(db, _settings(), instance, name, upload_file.stream,
                         replace=form["replace"])
        except DomainError as error:
            db.rollback()  # nothing of a refused upload is kept
            return _page(db, instance, {_upload_error_field(error): error_text(error)}, form, 400)
    flash(_("Audio %(name)s uploaded.", name=name))
    return redirect(url_for("audio.index", instance_id=instance_id))


@blueprint.route("/instances/<int:instance_id>/audio/<name>.wav")
@login_required
def download(instance_id: int, name: str):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        try:
            data = audio.read(db, _settings(), instance, name)
        except NotFound:
            abort(404)
    response = Response(data, mimetype="audio/wav")
    # Played in the page by default; ?download=1 saves it under its library name.
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}.wav"'
    return response


@blueprint.route("/instances/<int:instance_id>/audio/<name>/rename", methods=["POST"])
@login_required
def rename(instance_id: int, name: str):
    new = request.form.get("new_name", "").strip()
    with work() as db:
        instance = configurable_instance(db, instance_id)
        if audio.find_audio(db, instance, name) is None:
            abort(404)
        try:
            audio.rename(db, _settings(), instance, name, new)
        except DomainError as error:
            db.rollback()
            return _page(db, instance, {f"rename:{name}": error_text(error)},
                         {f"rename:{name}": new}, 400)
    flash(_("Audio %(name)s renamed to %(new)s.", name=name, new=new))
    return redirect(url_for("audio.index", instance_id=instance_id))


@blueprint.route("/instances/<int:instance_id>/audio/<name>/delete", methods=["POST"])
@login_required
def delete(instance_id: int, name: str):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        if audio.find_audio(db, instance, name) is None:
            abort(404)
        try:
            audio.delete(db, _settings(), instance, name)
        except DomainError as error:
            db.rollback()
            return _page(db, instance, {f"delete:{name}": error_text(error)}, None, 409)
    flash(_("Audio %(name)s deleted.", name=name))
    return redirect(url_for("audio.index", instance_id=instance_id))
