"""The review queue (the platform's reviewers only): every account's submitted
qualifications and line applications, approved or rejected with a remark. The rules are
engine/qualifications/service.py's and engine/applications/service.py's."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.accounts.models import Account
from engine.applications import service as applications
from engine.errors import DomainError, Forbidden, NotFound
from engine.qualifications import service as qualifications
from webadmin.access import current_user, flash_saved, work
from webadmin.auth import login_required
from webadmin.forms import errors_of
from webadmin.errors import status_of
from webadmin.uploads import send_document

blueprint = Blueprint("review", __name__, template_folder="templates")


@blueprint.route("/review")
@login_required
def index():
    with work() as db:
        me = current_user(db)
        waiting = qualifications.review_queue(db, me)
        lines = applications.review_queue(db, me)
        decided = qualifications.review_queue(db, me, None)
        accounts = dict(db.query(Account.id, Account.name).all())
        return render_template("review/index.html", qualifications=waiting, lines=lines,
                               decided=[q for q in decided if q not in waiting][-20:],
                               accounts=accounts)


def _decide(kind: str, ident: int, load, review, done: str):
    errors, error, status = {}, None, 200
    if request.method == "POST":
        try:
            with work() as db:
                qualifications.check_reviewer(current_user(db))
                found = load(db, current_user(db), ident)
                review(db, current_user(db), found, request.form.get("decision", ""),
                       request.form.get("remark", ""))
            flash_saved(done)
            return redirect(url_for("review.index"))
        except (Forbidden, NotFound):
            raise  # not the form's: the error page
        except DomainError as failure:
            errors, error = errors_of(failure)
            status = status_of(failure)  # 409: decided already, the page says so
    with work() as db:
        qualifications.check_reviewer(current_user(db))
        found = load(db, current_user(db), ident)
        account = db.get(Account, found.account_id)
        return render_template(f"review/{kind}.html", item=found, account=account.name,
                               form=request.form, errors=errors, error=error), status


@blueprint.route("/review/qualifications/<int:qualification_id>", methods=["GET", "POST"])
@login_required
def qualification(qualification_id: int):
    return _decide("qualification", qualification_id, qualifications.get_qualification,
                   qualifications.review_qualification, _("Review saved"))


@blueprint.route("/review/qualifications/<int:qualification_id>/images/<which>")
@login_required
def image(qualification_id: int, which: str):
    with work() as db:
        qualifications.check_reviewer(current_user(db))
        found = qualifications.get_qualification(db, current_user(db), qualification_id)
        document_id = qualifications.document_of(found, which)
        return send_document(db, document_id, f"id-{which}")


@blueprint.route("/review/applications/<int:application_id>", methods=["GET", "POST"])
@login_required
def application(application_id: int):
    return _decide("application", application_id, applications.get_application,
                   applications.review_application, _("Review saved"))
