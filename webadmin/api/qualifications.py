"""/api/v1/qualifications: the account's enterprise qualifications (its owner's), as on
the qualification pages: submit (multipart, with the two ID images), read the review's
result, resubmit a rejected one, add suppliers to an approved one."""
from __future__ import annotations

from flask import g, jsonify, request

from engine.qualifications import service as qualifications
from webadmin.access import current_user, work
from webadmin.api import body
from webadmin.api.registry import route
from webadmin.uploads import allow_upload_size, send_document, upload

CHANGES = (401, 403, 404)
FORM_MAX = 11 * 1024 * 1024  # two images at most 5 MB each, and the fields
HISTORY = {"type": "array", "items": {"type": "object", "properties": {
    "action": {"type": "string"}, "actor": {"type": "string"},
    "remark": {"type": ["string", "null"]}, "at": {"type": "string"}}}}
TEXT = {"type": "string"}
DATE = {"type": "string", "format": "date"}
FIELDS = {
    "company_name": TEXT, "location": TEXT,
    "company_type": {"type": "string", "description": "limited_company, "
                     "joint_stock_company, partnership, state_owned, public_institution "
                     "(a sole_proprietorship is refused)"},
    "credit_code": TEXT, "valid_until": DATE,
    "no_fixed_term": {"type": "boolean", "description": "stored as valid for 10 years"},
    "representative_name": TEXT, "representative_mobile": TEXT,
    "id_type": {"type": "string", "enum": ["resident_id", "passport", "hk_macao_permit",
                                           "taiwan_permit"]},
    "id_number": TEXT, "id_valid_until": DATE,
    "business_description": {"type": "string", "maxLength": 500},
    "intended_use": TEXT, "scenario": TEXT, "sample_script": TEXT,
}
QUALIFICATION = {"type": "object", "properties": FIELDS | {
    "id": {"type": "integer"}, "account_id": {"type": "integer"},
    "id_front": {"type": "integer"}, "id_back": {"type": "integer"},
    "suppliers": {"type": "array", "items": {"type": "string"}},
    "state": {"type": "string", "enum": ["submitted", "approved", "rejected"]},
    "remark": {"type": ["string", "null"]}, "submitted_at": TEXT,
    "reviewed_at": {"type": ["string", "null"]}, "history": HISTORY}}
IMAGE = {"type": "string", "format": "binary",
         "description": "JPEG, PNG or GIF (judged by its content), at most 5 MB"}
SUBMISSION = {"type": "object", "properties": FIELDS | {
    "suppliers": {"type": "string", "description": "supplier ids, separated by commas"},
    "id_front": IMAGE, "id_back": IMAGE}}
SUPPLIERS = {"type": "object", "required": ["suppliers"], "properties": {
    "suppliers": {"type": "array", "items": {"type": "integer"}}}}


def submitted_fields() -> dict:
    """The multipart form's fields as the service takes them."""
    allow_upload_size(FORM_MAX)
    form = request.form
    fields = {name: form[name] for name in FIELDS if name in form}
    fields["no_fixed_term"] = form.get("no_fixed_term", "").lower() in ("1", "true", "on")
    if "suppliers" in form:
        fields["suppliers"] = [int(v) if v.strip().isdigit() else -1
                               for v in form["suppliers"].split(",") if v.strip()]
    return fields


def _files() -> dict:
    return {"id_front": upload("id_front"), "id_back": upload("id_back")}


@route("/qualifications", "GET", "The account's qualifications",
       response={"type": "array", "items": QUALIFICATION}, operation_id="ListQualifications",
       errors=(401, 403))
def list_qualifications():
    with work() as db:
        return jsonify([qualifications.qualification_json(q) for q in
                        qualifications.list_qualifications(db, current_user(db),
                                                           g.account_id)])


@route("/qualifications", "POST", "Submit a qualification for review", request=SUBMISSION,
       response=QUALIFICATION, status=201, content_type="multipart/form-data",
       operation_id="SubmitQualification", errors=CHANGES + (409,))
def submit_qualification():
    fields = submitted_fields()
    with work() as db:
        created = qualifications.submit_qualification(db, current_user(db), g.account_id,
                                                      fields, _files())
        return jsonify(qualifications.qualification_json(created)), 201


@route("/qualifications/<int:qualification_id>", "GET", "One qualification, its review and "
       "history", response=QUALIFICATION, operation_id="GetQualification", errors=CHANGES)
def get_qualification(qualification_id: int):
    with work() as db:
        return jsonify(qualifications.qualification_json(
            qualifications.get_qualification(db, current_user(db), qualification_id)))


@route("/qualifications/<int:qualification_id>/resubmit", "POST",
       "Correct a rejected qualification and submit it again (images not sent are kept)",
       request=SUBMISSION, response=QUALIFICATION, content_type="multipart/form-data",
       operation_id="ResubmitQualification", errors=CHANGES + (409,))
def resubmit_qualification(qualification_id: int):
    fields = submitted_fields()
    with work() as db:
        me = current_user(db)
        found = qualifications.get_qualification(db, me, qualification_id)
        return jsonify(qualifications.qualification_json(
            qualifications.resubmit_qualification(db, me, found, fields, _files())))


@route("/qualifications/<int:qualification_id>/suppliers", "POST",
       "Add suppliers to an approved qualification", request=SUPPLIERS,
       response=QUALIFICATION, operation_id="AddQualificationSuppliers",
       errors=CHANGES + (409,))
def add_qualification_suppliers(qualification_id: int):
    with work() as db:
        me = current_user(db)
        found = qualifications.get_qualification(db, me, qualification_id)
        data = body(SUPPLIERS)  # after the look-up: another account's is 404, whatever sent
        return jsonify(qualifications.qualification_json(
            qualifications.add_suppliers(db, me, found, data["suppliers"])))


@route("/qualifications/<int:qualification_id>/images/<which>", "GET",
       "An ID image of the qualification ('front' or 'back')", content_type="image/*",
       operation_id="GetQualificationImage", errors=CHANGES)
def get_qualification_image(qualification_id: int, which: str):
    with work() as db:
        found = qualifications.get_qualification(db, current_user(db), qualification_id)
        return send_document(db, qualifications.document_of(found, which), f"id-{which}")
