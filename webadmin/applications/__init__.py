"""The account's third-party line applications (its owner's pages): apply to a supplier
with an approved qualification, follow the review and the delivery. The rules are
engine/applications/service.py's."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.applications import service as applications
from engine.errors import DomainError, Forbidden, NotFound
from engine.instances.models import Instance
from engine.numbers.models import NumberType
from engine.qualifications.service import approved_for
from engine.suppliers.service import list_suppliers
from webadmin.access import current_user, flash_saved, work
from webadmin.auth import login_required
from webadmin.forms import errors_of, int_or_none, int_or_text
from webadmin.labels import number_type_name

blueprint = Blueprint("applications", __name__, template_folder="templates")


def _application(db, ident: int):
    return applications.get_application(db, current_user(db), ident)


@blueprint.route("/applications")
@login_required
def index():
    with work() as db:
        rows = applications.list_applications(db, current_user(db), g.account_id)
        return render_template("applications/index.html", applications=rows)


@blueprint.route("/applications/new", methods=["GET", "POST"])
@login_required
def new():
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                created = applications.apply_for_line(
                    db, current_user(db), g.account_id,
                    qualification_id=int_or_none(form.get("qualification")),
                    supplier_id=int_or_none(form.get("supplier")),
                    instance_id=int_or_none(form.get("instance")),
                    number_type=form.get("number_type", ""),
                    quantity=int_or_text(form.get("quantity")), note=form.get("note", ""))
                ident = created.id
            flash_saved(_("Application submitted for review"))
            return redirect(url_for("applications.show", application_id=ident))
        except (Forbidden, NotFound):
            raise  # not the form's: the error page
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        # Only who may apply sees the form: the refusal is the error page.
        applications.list_applications(db, current_user(db), g.account_id)
        qualified = [(q.id, f"{q.company_name} ({q.location})")
                     for q in approved_for(db, g.account_id)]
        suppliers = [(s.id, s.name) for s in list_suppliers(db)]
        instances = [(i.id, i.name) for i in db.scalars(
            select(Instance).where(Instance.account_id == g.account_id).order_by(Instance.id))]
        types = [(t.value, number_type_name(t)) for t in NumberType if t.can_call_out]
        return render_template("applications/new.html", form=form, errors=errors,
                               error=error, qualifications=qualified, suppliers=suppliers,
                               instances=instances, types=types), \
            422 if errors or error else 200


@blueprint.route("/applications/<int:application_id>")
@login_required
def show(application_id: int):
    with work() as db:
        application = _application(db, application_id)
        if application.account_id != g.account_id:
            abort(404)
        return render_template("applications/show.html", a=application)
