"""The agents' workbench: sign-in, state, calls. One page per instance, under /w/<domain>/.

An instance's access address (its domain, where DNS points it at this host) opens the
workbench directly; on a host without DNS the same pages are under /w/<domain>/.
"""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, g, redirect, render_template, request,
                   url_for)
from sqlalchemy import select

from engine.agents import passwords
from engine.agents.models import Agent
from engine.db import utcnow
from engine.errors import DomainError, NotFound
from engine.instances.models import Instance
from engine.uow import transaction
from webadmin.labels import break_code_name
from webadmin.workbench.session import (agent_required, instance_or_404, sign_in_agent,
                                        sign_out_agent)

blueprint = Blueprint("workbench", __name__, template_folder="templates",
                      url_prefix="/w/<domain>")


def _settings():
    return current_app.config["CCC_SETTINGS"]


@blueprint.before_app_request
def access_address() -> object:
    """A request for / on an instance's own domain is that instance's workbench."""
    if request.path != "/":
        return None
    host = request.host.rsplit(":", 1)[0].lower()
    if not host or host[0].isdigit():  # an IP address is nobody's access domain
        return None
    with transaction(_settings()) as db:
        found = db.scalar(select(Instance.id).where(Instance.domain == host))
    return redirect(url_for("workbench.index", domain=host)) if found else None


@blueprint.route("/signin", methods=["GET", "POST"])
def sign_in(domain: str):
    error, status = None, 200
    with transaction(_settings()) as db:
        instance = instance_or_404(db, domain)
        name = instance.name
        if request.method == "POST":
            try:
                agent = passwords.authenticate(
                    db, instance, domain, request.form.get("extension", "")[:16],
                    request.form.get("password", ""), request.remote_addr or "")
            except passwords.SignInLocked as locked:
                minutes = max(1, -(-int((locked.until - utcnow()).total_seconds()) // 60))
                error, status = ("locked", minutes), 429
            except passwords.SignInRefused:
                error, status = ("refused", 0), 401
            else:
                sign_in_agent(agent)
                return redirect(url_for("workbench.index", domain=domain))
    return render_template("workbench/sign_in.html", domain=domain, instance_name=name,
                           error=error, form=request.form), status


@blueprint.route("/signout", methods=["POST"])
def sign_out(domain: str):
    sign_out_agent()
    return redirect(url_for("workbench.sign_in", domain=domain))


@blueprint.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(domain: str, token: str):
    """An invited agent chooses a password, then is signed in."""
    error = None
    with transaction(_settings()) as db:
        instance = instance_or_404(db, domain)
        try:
            agent = passwords.invitation_agent(db, instance, token)
        except NotFound:
            abort(404)
        extension, agent_name = agent.extension, agent.name
        if request.method == "POST":
            password = request.form.get("password", "")
            if password != request.form.get("confirm", ""):
                error = "mismatch"
            else:
                try:
                    agent = passwords.accept_invitation(db, instance, token, password)
                except DomainError:
                    error = "length"
                else:
                    sign_in_agent(agent)
                    return redirect(url_for("workbench.index", domain=domain))
    return render_template("workbench/invitation.html", domain=domain, extension=extension,
                           agent_name=agent_name, error=error,
                           password_min=passwords.PASSWORD_MIN), 422 if error else 200


@blueprint.route("/")
@agent_required
def index(domain: str):
    from engine.agents.service import list_agents
    from engine.agentstate.breakcodes import break_codes
    from engine.skillgroups.service import list_skill_groups
    with transaction(_settings()) as db:
        agent = db.get(Agent, g.agent.id)
        groups = [m.skill_group.name for m in agent.memberships]
        # In the agent's language where it is a default code's own name.
        codes = [(b.code, break_code_name(b.code, b.name))
                 for b in break_codes(db, agent.instance)]
        # Blind-transfer targets: the instance's other agents and its skill groups.
        others = [(a.extension, a.name) for a in list_agents(db, agent.instance)
                  if a.id != agent.id]
        group_targets = [(group.id, group.name)
                         for group in list_skill_groups(db, agent.instance)]
    return render_template("workbench/index.html", domain=domain, skill_groups=groups,
                           break_codes=codes, transfer_agents=others,
                           transfer_groups=group_targets)
from webadmin.workbench import states  # noqa: E402,F401 - registers its routes
from webadmin.workbench import calls  # noqa: E402,F401 - registers its routes
from webadmin.workbench import recording  # noqa: E402,F401 - registers its routes
# The softphone's settings and the network check.
from webadmin.workbench import network, phone  # noqa: E402,F401 - registers their routes
