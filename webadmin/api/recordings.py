"""/api/v1/instances/<id>/recordings: an instance's call recordings for its administrators;
/api/v1/account/recordings: the account's retention period and storage, for its owner.

The same services as the recordings pages: search (newest first), one recording, and its
WAV (409 while the PBX is still writing it). Another account's instance, another
instance's recording or an id that is none answers 404; a role that may not configure
the instance (or, for the account's, that is not its owner), 403. No answer carries a
server path.
"""
from __future__ import annotations

from flask import Response, current_app, g, jsonify, request

from engine.accounts.models import Account, User
from engine.recording import retention
from engine.recording import service as recordings
from webadmin.access import configurable_instance, work
from webadmin.api import body
from webadmin.api.registry import route

PATH = "/instances/<int:instance_id>/recordings"
ERRORS = (401, 403, 404)
RECORDING = {"type": "object", "properties": {
    "id": {"type": "integer"}, "call_id": {"type": "string", "description": "the PBX's call id"},
    "start": {"type": ["string", "null"]}, "caller": {"type": "string"},
    "callee": {"type": "string"}, "agent": {"type": ["string", "null"]},
    "seconds": {"type": "integer"}, "size_bytes": {"type": "integer"}}}


SEARCH = (
    {"name": "from", "schema": {"type": "string", "format": "date"},
     "description": "first day covered (YYYY-MM-DD, the site's clock), by the call's start"},
    {"name": "to", "schema": {"type": "string", "format": "date"},
     "description": "first day not covered"},
    {"name": "number", "schema": {"type": "string", "pattern": r"^\+?[0-9]{1,32}$"},
     "description": "the caller's or the dialled number, or a part of one"},
    {"name": "agent", "schema": {"type": "string", "pattern": r"^[1-9][0-9]{2,5}$"},
     "description": "the extension of the agent who took the call"},
    {"name": "skill_group", "schema": {"type": "integer"},
     "description": "a skill group's id: calls that waited in its queue"})
STORAGE = {"type": "object", "properties": {
    "recordings": {"type": "integer"}, "size_bytes": {"type": "integer"},
    "seconds": {"type": "integer"},
    "minutes": {"type": "integer", "description": "the total length, rounded up"}}}
ACCOUNT_RECORDINGS = {"type": "object", "properties": {
    "account": {"type": "string"},
    "recording_retention_days": {"type": ["integer", "null"],
                                 "description": "null: kept until deleted"},
    "storage": STORAGE,
    "instances": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "domain": {"type": "string"}, "name": {"type": "string"},
        **STORAGE["properties"]}}}}}
RETENTION = {"type": "object", "required": ["recording_retention_days"], "properties": {
    "recording_retention_days": {"type": ["integer", "null"], "minimum": 0,
                                 "maximum": retention.MAX_RETENTION_DAYS,
                                 "description": "days a recording is kept after its "
                                                "call; 0 or null: until deleted"}}}


def _settings():
    return current_app.config["CCC_SETTINGS"]


@route(PATH, "GET", "The instance's call recordings, newest first, narrowed by the query",
       response={"type": "array", "items": RECORDING}, errors=(401, 403, 404, 422),
       operation_id="ListRecordings", query=SEARCH)
def list_recordings(instance_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        args = request.args
        search = recordings.parse_search(
            db, instance, _settings().billing_utc_offset_minutes, from_day=args.get("from"),
            to_day=args.get("to"), number=args.get("number"), agent=args.get("agent"),
            skill_group_id=args.get("skill_group"))
        return jsonify([r.as_dict() for r in recordings.list_recordings(db, instance, search)])


@route(PATH + "/<int:recording_id>", "GET", "One call recording", response=RECORDING,
       errors=ERRORS, operation_id="GetRecording")
def get_recording(instance_id: int, recording_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        return jsonify(recordings.get_recording(db, instance, recording_id).as_dict())


@route(PATH + "/<int:recording_id>/audio", "GET",
       "The recording's WAV (audio/wav); 409 while its call is still being recorded",
       errors=(401, 403, 404, 409), operation_id="DownloadRecording")
def download_recording(instance_id: int, recording_id: int):
    with work() as db:
        instance = configurable_instance(db, instance_id)
        row = recordings.get_recording(db, instance, recording_id)
        data = recordings.read(db, _settings(), instance, recording_id)
    return Response(data, mimetype="audio/wav", headers={
        "Content-Disposition": f'attachment; filename="{recordings.download_name(row)}"'})


def _acting(db) -> tuple[User, Account]:
    return db.get(User, g.user_id), db.get(Account, g.account_id)


@route("/account/recordings", "GET",
       "The account's recording retention period and storage (bytes, minutes), in all "
       "and by instance (its owner only)", response=ACCOUNT_RECORDINGS, errors=(401, 403),
       operation_id="GetRecordingStorage")
def get_account_recordings():
    with work() as db:
        actor, account = _acting(db)
        return jsonify(retention.account_recordings(db, account, actor))


@route("/account/recordings", "PATCH",
       "Set how many days the account's recordings are kept (its owner only)",
       request=RETENTION, response=ACCOUNT_RECORDINGS, errors=(401, 403, 422),
       operation_id="UpdateRecordingRetention")
def update_account_recordings():
    with work() as db:
        actor, account = _acting(db)
        retention.account_recordings(db, account, actor)  # the owner's only: before the body
        days = body(RETENTION).get("recording_retention_days")
        retention.set_retention(db, account, days, actor)
        return jsonify(retention.account_recordings(db, account, actor))
