"""The account's enterprise qualifications (its owner's pages): submit one, read the
review's result and remark, correct and resubmit a rejected one, add suppliers to an
approved one. The rules are engine/qualifications/service.py's."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.documents.service import ID_IMAGE_MAX, MB
from engine.errors import Conflict, DomainError, Forbidden, NotFound
from engine.qualifications import service as qualifications
from engine.qualifications.models import CompanyType, IdType
from engine.suppliers.service import list_suppliers
from webadmin.access import current_user, flash_saved, work
from webadmin.auth import login_required
from webadmin.errors import status_of
from webadmin.forms import errors_of, ids
from webadmin.labels import choice_options
from webadmin.uploads import allow_upload_size, send_document, upload

blueprint = Blueprint("qualifications", __name__, template_folder="templates")
TEXT_FIELDS = ("company_name", "location", "company_type", "credit_code", "valid_until",
               "representative_name", "representative_mobile", "id_type", "id_number",
               "id_valid_until", "business_description", "intended_use", "scenario",
               "sample_script")
# Two images at most 5 MB each, and the rest of the form.
FORM_MAX = 2 * ID_IMAGE_MAX + MB


def _qualification(db, ident: int):
    return qualifications.get_qualification(db, current_user(db), ident)


def _fields(form) -> dict:
    fields = {name: form.get(name, "") for name in TEXT_FIELDS}
    fields["no_fixed_term"] = form.get("no_fixed_term") == "on"
    fields["suppliers"] = ids(form.getlist("suppliers"))
    return fields


def _files() -> dict:
    return {"id_front": upload("id_front"), "id_back": upload("id_back")}


def _form_page(db, form, errors, error, qualification=None, status=200):
    return render_template(
        "qualifications/form.html", form=form, errors=errors, error=error,
        qualification=qualification, suppliers=list_suppliers(db),
        chosen=[int(v) for v in form.getlist("suppliers") if v.isdigit()]
        if hasattr(form, "getlist") else form.get("suppliers", []),
        company_types=choice_options(t for t in CompanyType
                                     if t is not CompanyType.SOLE_PROPRIETORSHIP),
        id_types=choice_options(IdType), description_max=qualifications.DESCRIPTION_MAX,
        image_max=ID_IMAGE_MAX // MB), status


@blueprint.route("/qualifications")
@login_required
def index():
    with work() as db:
        rows = qualifications.list_qualifications(db, current_user(db), g.account_id)
        return render_template("qualifications/index.html", qualifications=rows)


@blueprint.route("/qualifications/new", methods=["GET", "POST"])
@login_required
def new():
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        allow_upload_size(FORM_MAX)
        try:
            with work() as db:
                created = qualifications.submit_qualification(
                    db, current_user(db), g.account_id, _fields(request.form), _files())
                ident = created.id
            flash_saved(_("Qualification submitted for review"))
            return redirect(url_for("qualifications.show", qualification_id=ident))
        except (Forbidden, NotFound):
            raise  # not the form's: the error page
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        # Only who may submit sees the form: the refusal is the error page.
        qualifications.list_qualifications(db, current_user(db), g.account_id)
        return _form_page(db, form, errors, error, status=422 if errors or error else 200)


@blueprint.route("/qualifications/<int:qualification_id>")
@login_required
def show(qualification_id: int):
    with work() as db:
        qualification = _qualification(db, qualification_id)
        others = [s for s in list_suppliers(db) if s not in qualification.suppliers]
        return render_template("qualifications/show.html", q=qualification,
                               other_suppliers=others, errors={})


@blueprint.route("/qualifications/<int:qualification_id>/edit", methods=["GET", "POST"])
@login_required
def edit(qualification_id: int):
    """Correct a rejected qualification and submit it again."""
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        allow_upload_size(FORM_MAX)
        try:
            with work() as db:
                qualification = _qualification(db, qualification_id)
                qualifications.resubmit_qualification(db, current_user(db), qualification,
                                                      _fields(request.form), _files())
            flash_saved(_("Qualification resubmitted for review"))
            return redirect(url_for("qualifications.show", qualification_id=qualification_id))
        except (Forbidden, NotFound, Conflict):
            raise  # not the form's (a Conflict: not a rejected one): the error page
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        qualification = _qualification(db, qualification_id)
        qualifications.check_correctable(qualification)
        if request.method == "GET":
            row = qualifications.qualification_json(qualification)
            form = {name: row[name] for name in TEXT_FIELDS} | {
                "no_fixed_term": "on" if qualification.no_fixed_term else "",
                "suppliers": [s.id for s in qualification.suppliers]}
        return _form_page(db, form, errors, error, qualification,
                          422 if errors or error else 200)


@blueprint.route("/qualifications/<int:qualification_id>/suppliers", methods=["POST"])
@login_required
def add_suppliers(qualification_id: int):
    try:
        with work() as db:
            qualification = _qualification(db, qualification_id)
            qualifications.add_suppliers(db, current_user(db), qualification,
                                         ids(request.form.getlist("suppliers")))
        flash_saved(_("Suppliers added"))
    except (Forbidden, NotFound):
        raise  # not the form's: the error page
    except DomainError as failure:
        errors, error = errors_of(failure)
        with work() as db:
            qualification = _qualification(db, qualification_id)
            others = [s for s in list_suppliers(db) if s not in qualification.suppliers]
            return render_template("qualifications/show.html", q=qualification,
                                   other_suppliers=others, errors=errors,
                                   error=error), status_of(failure)  # 409: not approved
    return redirect(url_for("qualifications.show", qualification_id=qualification_id))


@blueprint.route("/qualifications/<int:qualification_id>/images/<which>")
@login_required
def image(qualification_id: int, which: str):
    with work() as db:
        qualification = _qualification(db, qualification_id)
        try:
            document_id = qualifications.document_of(qualification, which)
        except NotFound:
            abort(404)
        return send_document(db, document_id, f"id-{which}")
