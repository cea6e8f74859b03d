"""Numbers of the account: type, the published flow run for inbound calls, the skill
groups that call out with them."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import DomainError
from engine.ivr.service import bindable_flows, flow_names
from engine.numbers.models import Number
from engine.numbers.service import bind_number, list_numbers
from engine.skillgroups.service import list_skill_groups
from webadmin.access import flash_saved, load, may_configure, require_configure, work
from webadmin.auth import login_required
from engine.validation import number_text
from webadmin.forms import errors_of, ids, int_or_none, row_id

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
        rows = [(n, names.get(n.inbound_flow_id),
                 may_configure(db, n.instance) if n.instance else False) for n in numbers]
        return render_template("numbers/index.html", rows=rows)


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
                digits = number.digits
            flash_saved(_("Number %(digits)s saved", digits=digits))
            return redirect(url_for("numbers.index"))
        except DomainError as failure:
            errors, error = errors_of(failure)
    with work() as db:
        number = _configurable(db, number_id)
        if request.method == "GET":
            form = {"inbound_flow": number.inbound_flow_id or ""}
            chosen = [group.id for group in number.outbound_skill_groups]
        else:
            chosen = [row_id(v) for v in form.getlist("skill_groups")
                      if number_text(v) is not None]
        instance = number.instance
        flows = bindable_flows(db, instance.id) if instance else []
        groups = list_skill_groups(db, instance) if instance else []
        return render_template("numbers/edit.html", number=number, form=form, errors=errors,
                               error=error, flows=[(f.id, f.name) for f in flows],
                               groups=groups, chosen=chosen), 422 if errors or error else 200
