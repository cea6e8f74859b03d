"""The account owner's 400 number page: the pool by tier with its minimum monthly spend,
buying a number (three months charged), the purchases and their documents' due date."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engine.errors import DomainError
from engine.numbers import pool
from engine.numbers.pool_models import NumberPurchase, PoolNumber
from webadmin.access import flash_saved, load, require_account_role, work
from webadmin.auth import login_required
from webadmin.forms import errors_of

MANAGE = _l("buy numbers")
blueprint = Blueprint("numberpool", __name__, template_folder="templates")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _page(form: dict, errors: dict, error: str | None, status: int = 200):
    with work() as db:
        tiers = pool.tiers(db)
        tier = form.get("tier") or None
        free = pool.available(db, tier if tier in {t.name for t in tiers} else None)
        bought = db.execute(
            select(NumberPurchase, PoolNumber.digits)
            .join(PoolNumber, PoolNumber.id == NumberPurchase.pool_number_id)
            .where(NumberPurchase.account_id == g.account_id)
            .order_by(NumberPurchase.id.desc())).all()
        return render_template("numberpool/index.html", tiers=tiers, free=free, bought=bought,
                               form=form, errors=errors, error=error, tier=tier,
                               now=_now()), status


@blueprint.route("/numbers/pool")
@login_required
def index():
    require_account_role(MANAGE)
    return _page(request.args, {}, None)


@blueprint.route("/numbers/pool/buy", methods=["POST"])
@login_required
def buy():
    require_account_role(MANAGE)
    try:
        with work() as db:
            purchase = pool.buy(db, g.account_id, request.form.get("digits", ""), _now())
            digits, amount = request.form["digits"], purchase.amount
        flash_saved(_("400 number %(digits)s bought: %(amount)s CNY for the first three months",
                      digits=digits, amount=amount))
        return redirect(url_for("numberpool.index"))
    except DomainError as failure:
        errors, error = errors_of(failure)
        return _page(request.form, errors, error, 422)


@blueprint.route("/numbers/purchases/<int:purchase_id>/documents", methods=["POST"])
@login_required
def documents(purchase_id: int):
    with work() as db:
        purchase = load(db, NumberPurchase, purchase_id)
        require_account_role(MANAGE)
        pool.submit_documents(db, purchase, _now())
    flash_saved(_("Documents recorded: the number is kept"))
    return redirect(url_for("numberpool.index"))
