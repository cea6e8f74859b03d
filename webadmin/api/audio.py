"""/api/v1/instances/<id>/audio: an instance's audio library for token holders.

The same operations as the audio page (webadmin/audio), through the same service: list,
upload (multipart with ``file`` and optional ``name``/``replace`` fields, or the WAV as
the raw body with ``?name=``), download, rename, delete (409 while a published flow
plays it). Configuration only: every route needs a role that may configure the instance.
"""
from __future__ import annotations

from flask import Response, current_app, jsonify, request

from engine.audio import service as audio
from engine.errors import Invalid
from webadmin.access import configurable_instance, work
from webadmin.api import body
from webadmin.api.registry import route

PATH = "/instances/<int:instance_id>/audio"
CHANGES = (401, 403, 404)
AUDIO = {"type": "object", "properties": {
    "name": {"type": "string"}, "duration_ms": {"type": "integer"},
    "size_bytes": {"type": "integer"}}}
UPLOAD = {"type": "object", "properties": {
    "file": {"type": "string", "format": "binary", "description": "a WAV, at most 5 MB"},
    "name": {"type": "string", "description": "default: from the file name"},
    "replace": {"type": "boolean", "description": "replace an audio file of the same name"}}}
RENAME = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}


def _settings():
    return current_app.config["CCC_SETTINGS"]


def audio_json(found) -> dict:
    return {"name": found.name, "duration_ms": found.duration_ms, "size_bytes": found.size_bytes}


def _upload_source() -> tuple[str, object]:
    """(name, stream) from a multipart form or from a raw body with ?name=."""
    sent = request.files.get("file")
    if sent is not None:
        name = request.form.get("name", "").strip() or audio.name_from_filename(
            sent.filename or "")
        return name, sent.stream
    name = request.args.get("name", "").strip()
    if not name:
        raise Invalid("send the WAV as the 'file' field of a form, or as the body with ?name=",
                      fields={"name": "required with a raw body"})
    return name, request.stream


def _flag(text: str | None) -> bool:
    return (text or "").lower() in ("1", "true", "yes", "on")


@route(PATH, "GET", "The instance's audio library", response={"type": "array", "items": AUDIO},
       errors=CHANGES)
def list_audio(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        return jsonify([audio_json(a) for a in audio.list_audio(db, instance)])


@route(PATH, "POST", "Upload a WAV (multipart, or the raw body with ?name=)", request=UPLOAD,
       response=AUDIO, status=201, content_type="multipart/form-data", errors=CHANGES + (409,))
def upload_audio(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        name, stream = _upload_source()
        replace = _flag(request.form.get("replace") or request.args.get("replace"))
        found = audio.upload(db, _settings(), instance, name, stream, replace=replace)
        return jsonify(audio_json(found)), 201


@route(PATH + "/<name>.wav", "GET", "The WAV as uploaded (audio/wav)", errors=CHANGES)
def download_audio(instance_id: int, name: str):
    with work() as db:
        data = audio.read(db, _settings(), configurable_instance(db, instance_id), name)
    return Response(data, mimetype="audio/wav",
                    headers={"Content-Disposition": f'attachment; filename="{name}.wav"'})


@route(PATH + "/<name>", "PATCH", "Rename an audio file (409 while a published flow plays it)",
       request=RENAME, response=AUDIO, errors=CHANGES + (409,))
def rename_audio(instance_id: int, name: str):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        audio.get_audio(db, instance, name)  # 404 before looking at the body
        found = audio.rename(db, _settings(), instance, name, body(RENAME)["name"])
        return jsonify(audio_json(found))


@route(PATH + "/<name>", "DELETE", "Delete an audio file (409 while a published flow plays it)",
       status=204, errors=CHANGES + (409,))
def delete_audio(instance_id: int, name: str):
    with work() as db:
        audio.delete(db, _settings(), configurable_instance(db, instance_id), name)
    return "", 204
