"""Billing: the account's monthly bill, its CSV, payments, and the usage-detail
export with filters and the list of past exports, each downloadable again.

The account's money is its owner's business only: every view checks the role first
(403 for the others), then works on the signed-in account alone. The rules (rating,
prices, payments, the export's rows) are engine.billing's; views parse and show.
"""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, g, redirect, render_template,
                   request, send_file, url_for)
from flask_babel import gettext as _

from engine.accounts.models import Account
from engine.billing.bills import bill, bill_csv, pay
from engine.billing.export import (account_instance, export_usage, exports_dir, get_export,
                                   list_exports)
from engine.billing.models import Item
from engine.billing.money import show
from engine.billing.periods import Month
from engine.db import utcnow
from engine.errors import DomainError, NotFound
from engine.instances.service import list_instances
from webadmin.access import flash_saved, require_account_role, work
from webadmin.auth import login_required
from webadmin.forms import errors_of, int_or_none
from webadmin.i18n import error_text, field_errors

blueprint = Blueprint("billing", __name__, template_folder="templates")
ITEMS = [(item.value, item.value) for item in Item]


# ---- shared with the API (webadmin.api.billing) -------------------------------------

def require_owner() -> None:
    require_account_role(_("see or pay the account's bills"))


def the_account(db) -> Account:
    return db.get(Account, g.account_id)


def month_of(text: str | None) -> Month:
    """The month typed, on the installation's billing clock; none: the current one."""
    offset = current_app.config["CCC_SETTINGS"].billing_utc_offset_minutes
    return Month.parse(text, offset) if text else Month.containing(utcnow(), offset)


def exports_path():
    return exports_dir(current_app.config["CCC_SETTINGS"].var_dir)


def run_export(db, month_text: str | None, instance_id: int | None, item: str | None):
    """The face's one call into the export service, with the filters as typed."""
    account = the_account(db)
    return export_usage(db, exports_path(), account, month_of(month_text),
                        account_instance(db, account, instance_id), item or None)


def own_export(db, export_id: int):
    """The signed-in account's export with its file, or 404 (another account's too)."""
    try:
        return get_export(db, exports_path(), export_id, the_account(db))
    except NotFound as failure:
        abort(404, error_text(failure))


# ---- pages --------------------------------------------------------------------------

@blueprint.route("/billing")
@login_required
def index():
    require_owner()
    return _page(request.args.get("month", ""))


def _page(month_text: str, *, payment=None, export=None):
    """The bill of ``month_text`` (the current month when empty) with both forms;
    ``payment``/``export`` are (form, errors, error) to show again after a refusal."""
    month_text = month_text.strip()
    result, bill_errors = None, {}
    try:
        with work() as db:  # its own transaction: a refused month writes nothing
            result = bill(db, the_account(db), month_of(month_text))
    except DomainError as failure:
        bill_errors = field_errors(failure) or {"month": error_text(failure)}
    shown = result.month if result else month_text
    with work() as db:
        account = the_account(db)
        instances = list_instances(db, account)
        names = {i.id: i.name for i in instances}
        exports = [{"export": e, "instance": names.get(e.instance_id, f"#{e.instance_id}")}
                   for e in reversed(list_exports(db, account))]
        refused = bool(bill_errors or (payment and any(payment[1:])) or
                       (export and any(export[1:])))
        return render_template(
            "billing/index.html", result=result, shown=shown, bill_errors=bill_errors,
            show=show, payment=payment or ({}, {}, None),
            export=export or ({"month": shown}, {}, None), items=ITEMS,
            instances=[(i.id, f"{i.name} ({i.domain})") for i in instances],
            exports=exports), 422 if refused else 200


@blueprint.route("/billing/bill.csv")
@login_required
def bill_download():
    require_owner()
    try:
        with work() as db:
            result = bill(db, the_account(db), month_of(request.args.get("month", "").strip()))
    except DomainError:
        return _page(request.args.get("month", ""))  # the page says what is wrong
    return Response(bill_csv(result), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=bill-{result.month}.csv"})


@blueprint.route("/billing/payments", methods=["POST"])
@login_required
def record_payment():
    require_owner()
    form = request.form
    try:
        with work() as db:
            payment = pay(db, the_account(db), month_of(form.get("month", "").strip()),
                          form.get("amount", ""), form.get("reference", "").strip())
            amount, month = show(payment.amount), payment.month
    except DomainError as failure:
        return _page(form.get("month", ""), payment=(form, *errors_of(failure)))
    flash_saved(_("Payment of %(amount)s CNY recorded for %(month)s", amount=amount,
                  month=month))
    return redirect(url_for("billing.index", month=month))


@blueprint.route("/billing/exports", methods=["POST"])
@login_required
def create_export():
    require_owner()
    form = request.form
    try:
        with work() as db:
            record = run_export(db, form.get("month", "").strip(),
                                int_or_none(form.get("instance")), form.get("item"))
            export_id, rows, month = record.id, record.rows, record.month
    except DomainError as failure:
        return _page(form.get("bill_month", ""), export=(form, *errors_of(failure)))
    flash_saved(_("Export %(id)s made: %(rows)s call(s)", id=export_id, rows=rows))
    return redirect(url_for("billing.index", month=month) + "#exports")


@blueprint.route("/billing/exports/<int:export_id>/download")
@login_required
def download_export(export_id: int):
    require_owner()
    with work() as db:
        name = own_export(db, export_id).file_name
    # The file is written once and never changed: it goes out exactly as it was made.
    return send_file(exports_path() / name, mimetype="text/csv", as_attachment=True,
                     download_name=name)
