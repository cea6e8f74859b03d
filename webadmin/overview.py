"""The account overview: instances, their numbers and agents."""
from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, session, url_for
from sqlalchemy import select

from engine.accounts.models import User
from engine.agents.service import list_agents
from engine.instances.models import Instance
from engine.numbers.service import list_numbers
from engine.uow import transaction
from webadmin.auth import login_required

blueprint = Blueprint("overview", __name__)


@blueprint.route("/")
@login_required
def index():
    with transaction(current_app.config["CCC_SETTINGS"]) as db:
        user = db.get(User, g.user_id)
        if user is None or user.account_id != g.account_id:
            # The cookie outlived its user (or its database): sign in again.
            session.clear()
            return redirect(url_for("auth.sign_in"))
        account = user.account
        instances = [{
            "name": i.name, "domain": i.domain, "description": i.description,
            "numbers": [(n.digits, n.type.value) for n in list_numbers(db, instance_id=i.id)],
            "agents": [(a.extension, a.name, a.sip_username) for a in list_agents(db, i)],
        } for i in db.scalars(select(Instance).where(Instance.account_id == account.id)
                              .order_by(Instance.id))]
        return render_template("overview.html", user=user, account=account,
                               instances=instances)
