"""Numbers of the account: type, the published flow run for inbound calls, the skill
groups that call out with them, whether it makes marketing calls; the instance its
calls go to (routing, the account's choice) and its term's auto-renewal (the owner's),
with a notice of the terms about to end and the reminders ``ccc serve`` left for the
owners (dismissable)."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.access import ACCOUNT_ROLES
from engine.db import utcnow
from engine.errors import DomainError, Forbidden, NotFound
from engine.instances.models import Instance
from engine.ivr.service import bindable_flows, flow_names
from engine.numbers.models import Number, NumberRental
from engine.numbers.reminders import dismiss, reminders
from engine.numbers.rentals import REMIND_BEFORE, current, expiring, set_auto_renew
from engine.numbers.service import bind_number, list_numbers, set_marketing, set_routing
from engine.skillgroups.service import list_skill_groups
from webadmin.access import (current_user, flash_saved, load, may_configure,
                             require_configure, work)
from webadmin.auth import login_required
from engine.validation import number_text
from webadmin.forms import errors_of, ids, int_or_none, row_id
from webadmin.i18n import error_text

blueprint = Blueprint("numbers", __name__, template_folder="templates")


def _configurable(db, number_id: int) -> Number:
    number = load(db, Number, number_id)
    require_configure(db, number.instance)
    return number


@blueprint.route("/numbers")
@login_required
def index():
    with work() as db:
        numbers = sorted(list_numbers(db, g.account_id), key=lambda n: n.digits)
        names = flow_names(db, (n.inbound_flow_id for n in numbers))
        # A number routed nowhere yet (a 400 number just bought) is the account's to set.
        rows = [(n, names.get(n.inbound_flow_id), may_configure(db, n.instance))
                for n in numbers]
        ending = expiring(db, g.account_id, utcnow()) if g.role in ACCOUNT_ROLES else []
        return render_template("numbers/index.html", rows=rows, expiring=ending,
                               window_days=REMIND_BEFORE.days,
                               number_reminders=owners_reminders(db), back="numbers")


def owners_reminders(db) -> list[tuple]:
    """(reminder, its number's id or None) of the account's reminders not dismissed, for
    an owner; nothing for the other roles (the account's money is not theirs)."""
    if g.role not in ACCOUNT_ROLES:
        return []
    found = reminders(db, current_user(db), g.account_id)
    numbers = dict(db.execute(select(NumberRental.id, NumberRental.number_id).where(
        NumberRental.id.in_([r.rental_id for r in found]))).all()) if found else {}
    return [(r, numbers.get(r.rental_id)) for r in found]


BACK = {"numbers": "numbers.index", "overview": "overview.index"}


@blueprint.route("/numbers/reminders/<int:reminder_id>/dismiss", methods=["POST"])
@login_required
def dismiss_reminder(reminder_id: int):
    """An owner has read the reminder: it leaves the pages (the account's, for all its
    owners)."""
    with work() as db:
        digits = dismiss(db, current_user(db), g.account_id, reminder_id, utcnow()).digits
    flash_saved(_("Reminder for %(digits)s dismissed", digits=digits))
    return redirect(url_for(BACK.get(request.form.get("back", ""), "numbers.index")))


@blueprint.route("/numbers/<int:number_id>/edit", methods=["GET", "POST"])
@login_required
def edit(number_id: int):
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        try:
            with work() as db:
                number = _configurable(db, number_id)
                bind_number(db, number, int_or_none(form.get("inbound_flow")),
                            ids(form.getlist("skill_groups")))
                set_marketing(db, number, form.get("marketing") == "on")
                digits = number.digits
            flash_saved(_("Number %(digits)s saved", digits=digits))
            return redirect(url_for("numbers.index"))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        number = _configurable(db, number_id)
        if request.method == "GET":
            form = {"inbound_flow": number.inbound_flow_id or "",
                    "marketing": "on" if number.marketing else ""}
            chosen = [group.id for group in number.outbound_skill_groups]
        else:
            chosen = [row_id(v) for v in form.getlist("skill_groups")
                      if number_text(v) is not None]
        return _page(db, number, form, errors, error, chosen)


def _page(db, number: Number, form, errors, error, chosen, routing=None, renewal=None):
    """The number's page: the binding form (``form``), and the routing and renewal forms
    to the roles that may use them; ``routing``/``renewal`` are (form, errors) to show
    again after a refusal."""
    instance = number.instance
    flows = bindable_flows(db, instance.id) if instance else []
    groups = list_skill_groups(db, instance) if instance else []
    account_wide = may_configure(db)  # routing: which of the account's instances
    instances = list(db.scalars(select(Instance).where(Instance.account_id == g.account_id)
                                .order_by(Instance.id))) if account_wide else []
    rental = current(db, number.id) if g.role in ACCOUNT_ROLES else None
    refused = bool(errors or error or (routing and routing[1]) or (renewal and renewal[1]))
    return render_template(
        "numbers/edit.html", number=number, form=form, errors=errors, error=error,
        flows=[(f.id, f.name) for f in flows], groups=groups, chosen=chosen,
        routing=routing or ({"instance_id": number.instance_id or ""}, {}),
        instances=[(i.id, f"{i.name} ({i.domain})") for i in instances],
        may_route=account_wide, rental=rental if rental and rental.ends_at else None,
        renewal=renewal or ({}, {})), 422 if refused else 200


@blueprint.route("/numbers/<int:number_id>/routing", methods=["POST"])
@login_required
def routing(number_id: int):
    """Route the number to one of the account's instances (the account's choice)."""
    try:
        with work() as db:
            number = load(db, Number, number_id)
            set_routing(db, current_user(db), number,
                        int_or_none(request.form.get("instance_id")) or 0)
            digits = number.digits
        flash_saved(_("Number %(digits)s routed", digits=digits))
        return redirect(url_for("numbers.edit", number_id=number_id))
    except Forbidden:  # the role's refusal is the page's, not the field's
        raise
    except NotFound as failure:  # not one of the account's instances: the field says so
        errors = {"instance_id": error_text(failure)}
    except DomainError as failure:
        errors = errors_of(failure)[0] or {"instance_id": error_text(failure)}
    return _page_refusing(number_id, routing=(request.form, errors))


RENEWAL_CHOICES = {"on": True, "off": False}


@blueprint.route("/numbers/<int:number_id>/renewal", methods=["POST"])
@login_required
def renewal(number_id: int):
    """Turn the number's auto-renewal on or off (the owner's: it is the account's money)."""
    choice = RENEWAL_CHOICES.get(request.form.get("auto_renew", ""), "")
    try:
        with work() as db:
            number = load(db, Number, number_id)
            if set_auto_renew(db, current_user(db), number, choice) is None:
                abort(404)
            digits = number.digits
        flash_saved(_("Auto-renewal of %(digits)s saved", digits=digits))
        return redirect(url_for("numbers.edit", number_id=number_id))
    except Forbidden:
        raise
    except DomainError as failure:
        errors = errors_of(failure)[0] or {"auto_renew": error_text(failure)}
    return _page_refusing(number_id, renewal=(request.form, errors))


def _page_refusing(number_id: int, **section):
    """The number's page as saved, with one section's form (routing or renewal) shown
    again with its errors."""
    with work() as db:
        number = _configurable(db, number_id)
        form = {"inbound_flow": number.inbound_flow_id or "",
                "marketing": "on" if number.marketing else ""}
        return _page(db, number, form, {}, None,
                     [group.id for group in number.outbound_skill_groups], **section)
