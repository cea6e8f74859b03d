"""The supplier portal (a supplier's own staff only): the service agreement and its PDF,
the number types offered, the restriction policy, and the applications reviewers sent
to the supplier, which it delivers numbers for. The rules are engine/suppliers/portal.py's
and engine/applications/service.py's."""
from __future__ import annotations

import re

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.applications import service as applications
from engine.documents.service import AGREEMENT_MAX, MB
from engine.errors import DomainError, Forbidden, NotFound

from engine.suppliers import portal
from engine.suppliers.models import SupplierAgreement
from engine.suppliers.service import calling_hours_text, HOURS_HINT
from webadmin.access import current_user, flash_saved, work
from webadmin.auth import login_required
from webadmin.errors import status_of
from webadmin.forms import errors_of, int_or_text
from webadmin.i18n import translate
from webadmin.labels import number_type_name, number_type_options
from webadmin.uploads import allow_upload_size, send_document, upload

blueprint = Blueprint("portal", __name__, template_folder="templates")
AGREEMENT_FIELDS = ("company_name", "usage_scenarios", "restrictions", "price_description")
CAPS = ("calls_per_day", "calls_per_24h", "calls_per_48h", "concurrency",
        "virtual_mobile_batch", "virtual_mobile_concurrency")


def _supplier(db):
    try:
        return portal.portal_supplier(db, current_user(db), g.get("supplier_id"))
    except NotFound:
        abort(404)


def _names(text: str) -> list[str]:
    return [name.strip() for name in re.split(r"[,\n;]", text or "") if name.strip()]


@blueprint.route("/portal")
@login_required
def index():
    with work() as db:
        supplier = _supplier(db)
        sent = applications.supplier_applications(db, current_user(db), supplier.id)
        return render_template("portal/index.html", supplier=supplier,
                               agreement=db.get(SupplierAgreement, supplier.id),
                               hours=calling_hours_text(supplier.calling_hours),
                               applications=sent,
                               offered=[number_type_name(t) for t in supplier.number_types])


@blueprint.route("/portal/agreement", methods=["GET", "POST"])
@login_required
def agreement():
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        allow_upload_size(AGREEMENT_MAX + MB)
        try:
            with work() as db:
                portal.publish_agreement(db, current_user(db), _supplier(db),
                                         {k: request.form.get(k, "") for k in AGREEMENT_FIELDS},
                                         upload("agreement_file"))
            flash_saved(_("Agreement published"))
            return redirect(url_for("portal.index"))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        supplier = _supplier(db)
        current = db.get(SupplierAgreement, supplier.id)
        if request.method == "GET" and current is not None:
            form = {k: getattr(current, k) for k in AGREEMENT_FIELDS}
        return render_template("portal/agreement.html", form=form, errors=errors,
                               error=error, current=current,
                               file_max=AGREEMENT_MAX // MB), 422 if errors or error else 200


@blueprint.route("/portal/agreement.pdf")
@login_required
def agreement_file():
    with work() as db:
        current = db.get(SupplierAgreement, _supplier(db).id)
        return send_document(db, current.file_id if current else None, "agreement.pdf")


def _policy_changes(form) -> dict:
    changes = {k: int_or_text(form.get(k)) for k in CAPS}
    changes.update(time_zone=form.get("time_zone", "").strip(),
                   calling_hours=form.get("calling_hours", ""),
                   blocked_regions=_names(form.get("blocked_regions")),
                   barred_industries=_names(form.get("barred_industries")),
                   number_types=form.getlist("number_types"))
    return changes


@blueprint.route("/portal/policy", methods=["GET", "POST"])
@login_required
def policy():
    errors, error, form, chosen = {}, None, request.form, request.form.getlist("number_types")
    if request.method == "POST":
        try:
            with work() as db:
                portal.update_policy(db, current_user(db), _supplier(db),
                                     _policy_changes(request.form))
            flash_saved(_("Policy saved"))
            return redirect(url_for("portal.index"))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        supplier = _supplier(db)
        if request.method == "GET":
            row = portal.portal_json(db, supplier)
            form = {k: "" if row[k] is None else row[k] for k in CAPS} | {
                "time_zone": supplier.time_zone, "calling_hours": row["calling_hours"],
                "blocked_regions": ", ".join(supplier.blocked_regions),
                "barred_industries": ", ".join(supplier.barred_industries)}
            chosen = list(supplier.number_types)
        return render_template("portal/policy.html", form=form, errors=errors, error=error,
                               chosen=chosen, types=number_type_options(),
                               hours_hint=translate(HOURS_HINT)), \
            422 if errors or error else 200


def _sent_application(db, application_id: int):
    """An application sent to the user's supplier (404 for anybody else)."""
    _supplier(db)
    try:
        return applications.get_application(db, current_user(db), application_id)
    except (Forbidden, NotFound):
        abort(404)


@blueprint.route("/portal/applications/<int:application_id>", methods=["GET", "POST"])
@login_required
def application(application_id: int):
    errors, error, form, status = {}, None, request.form, 200
    if request.method == "POST":
        try:
            with work() as db:
                found = _sent_application(db, application_id)
                applications.deliver(db, current_user(db), found,
                                     _names(request.form.get("numbers")))
            flash_saved(_("Numbers delivered"))
            return redirect(url_for("portal.application", application_id=application_id))
        except DomainError as failure:
            errors, error = errors_of(failure)
            status = status_of(failure)  # 409: not approved (or delivered already)
    with work() as db:
        return render_template("portal/application.html",
                               a=_sent_application(db, application_id), form=form,
                               errors=errors, error=error), status



