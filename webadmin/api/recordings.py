"""/api/v1/instances/<id>/recordings: an instance's call recordings for its administrators.

The same service as the recordings page: list (newest first), one recording, and its WAV.
Another account's instance, another instance's recording or an id that is none answers
404; a role that may not configure the instance, 403. No answer carries a server path.
"""
from __future__ import annotations

from flask import Response, current_app, jsonify

from engine.recording import service as recordings
from webadmin.access import configurable_instance, work
from webadmin.api.registry import route

PATH = "/instances/<int:instance_id>/recordings"
ERRORS = (401, 403, 404)
RECORDING = {"type": "object", "properties": {
    "id": {"type": "integer"}, "call_id": {"type": "string", "description": "the PBX's call id"},
    "start": {"type": ["string", "null"]}, "caller": {"type": "string"},
    "callee": {"type": "string"}, "agent": {"type": ["string", "null"]},
    "seconds": {"type": "integer"}, "size_bytes": {"type": "integer"}}}


def _settings():
    return current_app.config["CCC_SETTINGS"]


@route(PATH, "GET", "The instance's call recordings, newest first",
       response={"type": "array", "items": RECORDING}, errors=ERRORS,
       operation_id="ListRecordings")
def list_recordings(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        return jsonify([r.as_dict() for r in recordings.list_recordings(db, instance)])


@route(PATH + "/<int:recording_id>", "GET", "One call recording", response=RECORDING,
       errors=ERRORS, operation_id="GetRecording")
def get_recording(instance_id: int, recording_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        return jsonify(recordings.get_recording(db, instance, recording_id).as_dict())


@route(PATH + "/<int:recording_id>/audio", "GET", "The recording's WAV (audio/wav)",
       errors=ERRORS, operation_id="DownloadRecording")
def download_recording(instance_id: int, recording_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        row = recordings.get_recording(db, instance, recording_id)
        data = recordings.read(db, _settings(), instance, recording_id)
    return Response(data, mimetype="audio/wav", headers={
        "Content-Disposition": f'attachment; filename="{recordings.download_name(row)}"'})
