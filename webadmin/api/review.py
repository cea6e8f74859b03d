"""/api/v1/review: the review queue for the platform's reviewers (their token): every
account's qualifications and line applications, approved or rejected with a remark."""
from __future__ import annotations

from flask import abort, jsonify, request

from engine.applications import service as applications
from engine.applications.models import ApplicationState
from engine.qualifications import service as qualifications
from engine.qualifications.models import QualificationState
from webadmin.access import current_user, work
from webadmin.api import body
from webadmin.api.applications import APPLICATION
from webadmin.api.qualifications import QUALIFICATION
from webadmin.api.registry import route
from webadmin.uploads import send_document

CHANGES = (401, 403, 404)
DECISION = {"type": "object", "required": ["decision"], "properties": {
    "decision": {"type": "string", "enum": ["approved", "rejected"]},
    "remark": {"type": "string", "description": "needed to reject: what to correct"}}}


def _state(kind):
    """?state= (default submitted; 'all' for every state)."""
    text = request.args.get("state", "submitted")
    if text == "all":
        return None
    try:
        return kind(text)
    except ValueError:
        abort(400, "state: " + ", ".join([k.value for k in kind] + ["all"]))


def _state_query(kind) -> tuple[dict, ...]:
    return ({"name": "state", "schema": {"type": "string", "enum": [k.value for k in kind]
                                         + ["all"]},
             "description": "default submitted"},)


def _listed(kind, review_queue, to_json):
    """Every account's rows in the ?state= asked for."""
    state = _state(kind)
    with work() as db:
        return jsonify([to_json(row) for row in review_queue(db, current_user(db), state)])


def _to_review(db, load, ident: int):
    """The reviewer, and the row they ask for (refused to anybody else)."""
    me = current_user(db)
    qualifications.check_reviewer(me)
    return me, load(db, me, ident)


def _one(load, to_json, ident: int):
    with work() as db:
        return jsonify(to_json(_to_review(db, load, ident)[1]))


def _decide(load, review, to_json, ident: int):
    with work() as db:
        me, found = _to_review(db, load, ident)
        data = body(DECISION)
        return jsonify(to_json(review(db, me, found, data["decision"], data.get("remark"))))


@route("/review/qualifications", "GET", "Qualifications of every account, in a state",
       response={"type": "array", "items": QUALIFICATION},
       operation_id="ListQualificationsToReview", errors=(400, 401, 403),
       query=_state_query(QualificationState))
def list_qualifications_to_review():
    return _listed(QualificationState, qualifications.review_queue,
                   qualifications.qualification_json)


@route("/review/qualifications/<int:qualification_id>", "GET", "One qualification",
       response=QUALIFICATION, operation_id="GetQualificationToReview", errors=CHANGES)
def get_qualification_to_review(qualification_id: int):
    return _one(qualifications.get_qualification, qualifications.qualification_json,
                qualification_id)


@route("/review/qualifications/<int:qualification_id>/images/<which>", "GET",
       "An ID image of the qualification ('front' or 'back')", content_type="image/*",
       operation_id="GetQualificationImageToReview", errors=CHANGES)
def get_qualification_image_to_review(qualification_id: int, which: str):
    with work() as db:
        _, found = _to_review(db, qualifications.get_qualification, qualification_id)
        return send_document(db, qualifications.document_of(found, which), f"id-{which}")


@route("/review/qualifications/<int:qualification_id>/decision", "POST",
       "Approve or reject a submitted qualification", request=DECISION,
       response=QUALIFICATION, operation_id="ReviewQualification", errors=CHANGES + (409,))
def review_qualification(qualification_id: int):
    return _decide(qualifications.get_qualification, qualifications.review_qualification,
                   qualifications.qualification_json, qualification_id)


@route("/review/applications", "GET", "Line applications of every account, in a state",
       response={"type": "array", "items": APPLICATION},
       operation_id="ListApplicationsToReview", errors=(400, 401, 403),
       query=_state_query(ApplicationState))
def list_applications_to_review():
    return _listed(ApplicationState, applications.review_queue, applications.application_json)


@route("/review/applications/<int:application_id>", "GET", "One line application",
       response=APPLICATION, operation_id="GetApplicationToReview", errors=CHANGES)
def get_application_to_review(application_id: int):
    return _one(applications.get_application, applications.application_json, application_id)


@route("/review/applications/<int:application_id>/decision", "POST",
       "Approve (it goes to the supplier) or reject a line application", request=DECISION,
       response=APPLICATION, operation_id="ReviewLineApplication", errors=CHANGES + (409,))
def review_line_application(application_id: int):
    return _decide(applications.get_application, applications.review_application,
                   applications.application_json, application_id)
