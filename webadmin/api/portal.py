"""/api/v1/portal: the supplier portal for a supplier's own staff (their token): the
agreement and its PDF, the offer and restriction policy, the applications sent to the
supplier and their delivery. Anybody else's token: 403 (account users) or 404."""
from __future__ import annotations

from flask import g, jsonify, request

from engine.applications import service as applications
from engine.documents.service import AGREEMENT_MAX, MB
from engine.suppliers import portal
from engine.suppliers.models import SupplierAgreement
from webadmin.access import current_user, work
from webadmin.api import body
from webadmin.api.applications import APPLICATION
from webadmin.api.registry import route
from webadmin.api.suppliers import OFFER, SUPPLIER
from webadmin.uploads import allow_upload_size, send_document, upload

CHANGES = (401, 403, 404)
NAMES = {"type": "array", "items": {"type": "string"}}
AGREEMENT = {"type": ["object", "null"], "properties": {
    "company_name": {"type": "string"}, "usage_scenarios": {"type": "string"},
    "restrictions": {"type": "string"}, "price_description": {"type": "string"},
    "agreement_file": {"type": ["integer", "null"]}, "updated_at": {"type": "string"}}}
PORTAL = {"type": "object", "properties": SUPPLIER["properties"] | OFFER | {
    "agreement": AGREEMENT}}
POLICY = {"type": "object", "properties": {
    name: spec for name, spec in SUPPLIER["properties"].items()
    if name in portal.POLICY_FIELDS} | OFFER}
PUBLISH = {"type": "object", "properties": {
    "company_name": {"type": "string"}, "usage_scenarios": {"type": "string"},
    "restrictions": {"type": "string"}, "price_description": {"type": "string"},
    "agreement_file": {"type": "string", "format": "binary",
                       "description": "a PDF (judged by its content), at most 5 MB; "
                                      "needed the first time"}}}
DELIVERY = {"type": "object", "required": ["numbers"], "properties": {"numbers": NAMES}}


def _supplier(db):
    return portal.portal_supplier(db, current_user(db), g.get("supplier_id"))


@route("/portal", "GET", "The supplier's portal: agreement, offer and policy",
       response=PORTAL, operation_id="GetSupplierPortal", errors=CHANGES)
def get_supplier_portal():
    with work() as db:
        return jsonify(portal.portal_json(db, _supplier(db)))


@route("/portal/agreement", "PUT", "Publish the service agreement", request=PUBLISH,
       response=AGREEMENT, content_type="multipart/form-data",
       operation_id="PublishSupplierAgreement", errors=CHANGES)
def publish_supplier_agreement():
    allow_upload_size(AGREEMENT_MAX + MB)
    fields = {name: request.form.get(name, "") for name in PUBLISH["properties"]
              if name != "agreement_file"}
    with work() as db:
        agreement = portal.publish_agreement(db, current_user(db), _supplier(db), fields,
                                             upload("agreement_file"))
        return jsonify(portal.agreement_json(agreement))


@route("/portal/agreement/file", "GET", "The agreement's PDF", content_type="application/pdf",
       operation_id="GetSupplierAgreementFile", errors=CHANGES)
def get_supplier_agreement_file():
    with work() as db:
        agreement = db.get(SupplierAgreement, _supplier(db).id)
        return send_document(db, agreement.file_id if agreement else None, "agreement.pdf")


@route("/portal/policy", "PATCH", "Change the offer and restriction policy (all or nothing)",
       request=POLICY, response=PORTAL, operation_id="UpdateSupplierPolicy", errors=CHANGES)
def update_supplier_policy():
    data = body(POLICY)
    with work() as db:
        supplier = portal.update_policy(db, current_user(db), _supplier(db), data)
        return jsonify(portal.portal_json(db, supplier))


@route("/portal/applications", "GET", "Applications reviewers sent to the supplier",
       response={"type": "array", "items": APPLICATION},
       operation_id="ListSupplierApplications", errors=CHANGES)
def list_supplier_applications():
    with work() as db:
        supplier = _supplier(db)
        return jsonify([applications.application_json(a) for a in
                        applications.supplier_applications(db, current_user(db),
                                                           supplier.id)])


@route("/portal/applications/<int:application_id>", "GET", "One application sent to the "
       "supplier", response=APPLICATION, operation_id="GetSupplierApplication",
       errors=CHANGES)
def get_supplier_application(application_id: int):
    with work() as db:
        _supplier(db)
        return jsonify(applications.application_json(
            applications.get_application(db, current_user(db), application_id)))


@route("/portal/applications/<int:application_id>/delivery", "POST",
       "Deliver the numbers of an approved application (they become the account's)",
       request=DELIVERY, response=APPLICATION, operation_id="DeliverNumbers",
       errors=CHANGES + (409,))
def deliver_numbers(application_id: int):
    with work() as db:
        me = current_user(db)
        _supplier(db)
        found = applications.get_application(db, me, application_id)
        data = body(DELIVERY)
        return jsonify(applications.application_json(
            applications.deliver(db, me, found, data["numbers"])))
