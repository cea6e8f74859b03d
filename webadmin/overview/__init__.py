"""The account overview: instances, their numbers and agents."""
from __future__ import annotations

from flask import Blueprint, g, render_template
from sqlalchemy import select

from engine.accounts.models import Account
from engine.agents.service import list_agents
from engine.instances.models import Instance
from engine.numbers.service import list_numbers
from webadmin.access import current_user, may_configure, work
from webadmin.auth import login_required
from webadmin.numbers import owners_reminders

blueprint = Blueprint("overview", __name__, template_folder="templates")


@blueprint.route("/")
@login_required
def index():
    with work() as db:
        user = current_user(db)
        account = db.get(Account, g.account_id)
        instances = [{
            "id": i.id, "name": i.name, "domain": i.domain, "description": i.description,
            "numbers": [(n.digits, n.type) for n in list_numbers(db, instance_id=i.id)],
            "agents": [(a.extension, a.name, a.sip_username) for a in list_agents(db, i)],
            "may_configure": may_configure(db, i),
        } for i in db.scalars(select(Instance).where(Instance.account_id == account.id)
                              .order_by(Instance.id))]
        return render_template("overview/index.html", user=user, account=account,
                               instances=instances, may_create=may_configure(db),
                               number_reminders=owners_reminders(db), back="overview")
