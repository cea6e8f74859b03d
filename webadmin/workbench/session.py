"""Who is signed in to a workbench: the agent, kept apart from the admin's session.

The workbench of instance D lives under /w/D/. An agent signed in to one instance's
workbench sees nothing of another's: that path answers 404 (it cannot tell whether it
exists), and a visitor not signed in is sent to the sign-in page.
"""
from __future__ import annotations

import functools

from flask import abort, current_app, g, redirect, session, url_for
from sqlalchemy import select

from engine.agents.models import Agent
from engine.instances.models import Instance
from engine.uow import transaction

AGENT_KEYS = ("agent_id", "agent_domain")


def instance_or_404(db, domain: str) -> Instance:
    instance = db.scalar(select(Instance).where(Instance.domain == domain))
    if instance is None:
        abort(404)
    return instance


def sign_in_agent(agent: Agent) -> None:
    session["agent_id"], session["agent_domain"] = agent.id, agent.instance.domain


def sign_out_agent() -> None:
    for key in AGENT_KEYS:
        session.pop(key, None)


def agent_required(view):
    """The view runs for the agent signed in to this domain's workbench; then ``g.agent``
    and ``g.instance`` are set (detached: read their columns, not lazy relations)."""
    @functools.wraps(view)
    def wrapped(domain: str, *args, **kwargs):
        if "agent_id" not in session:
            return redirect(url_for("workbench.sign_in", domain=domain))
        if session.get("agent_domain") != domain:
            abort(404)
        with transaction(current_app.config["CCC_SETTINGS"]) as db:
            agent = db.get(Agent, session["agent_id"])
            if agent is None or agent.instance.domain != domain or not agent.password_hash:
                # The seat or its password is gone since: sign in again.
                sign_out_agent()
                return redirect(url_for("workbench.sign_in", domain=domain))
            g.agent, g.instance = agent, agent.instance
            db.expunge(agent)
            db.expunge(g.instance)
        return view(domain, *args, **kwargs)
    return wrapped
