"""The agent's state from the workbench page: show it, change it, follow it live.

Thin: every rule is in engine/agentstate/service.py (which acts on the PBX).
"""
from __future__ import annotations

from flask import Response, current_app, g, jsonify, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import select

from engine.agents.models import Agent
from engine.agentstate import service
from engine.agentstate.models import AgentStateChange
from engine.ami.client import AmiError
from engine.errors import DomainError
from engine.uow import transaction
from webadmin.workbench import blueprint
from webadmin.workbench.answers import error_answer, refusal
from webadmin.workbench.live import StateFeed, stream
from webadmin.workbench.session import agent_required

ACTIONS = ("ready", "break", "offline")


def _settings():
    return current_app.config["CCC_SETTINGS"]


def _feed() -> StateFeed:
    feed = current_app.extensions.get("ccc_state_feed")
    if feed is None:
        feed = current_app.extensions.setdefault("ccc_state_feed", StateFeed(_settings()))
    feed.start()
    return feed


@blueprint.route("/state", methods=["GET", "POST"])
@agent_required
def state(domain: str):
    """GET: the state as the PBX has it now. POST {"action": "ready" | "break" |
    "offline", "skill_groups": [...], "device": "web" | "sip", "break_code": "..."}."""
    settings = _settings()
    try:
        with transaction(settings) as db:
            agent = db.get(Agent, g.agent.id)
            if request.method == "POST":
                body = request.get_json(silent=True)
                if not isinstance(body, dict) or body.get("action") not in ACTIONS:
                    return refusal(_("action must be one of %(actions)s",
                                     actions=", ".join(ACTIONS)), 422,
                                   {"action": _("ready, break or offline")})
                now = _change(db, settings, agent, body)
            else:
                now = service.presence(settings, agent)
            groups = [{"name": m.skill_group.name, "queue": m.skill_group.queue_name}
                      for m in agent.memberships]
    except (DomainError, AmiError) as error:
        return error_answer(error)
    return jsonify({**now.as_dict(), "skill_groups": groups})


def _change(db, settings, agent: Agent, body: dict):
    action = body["action"]
    if action == "ready":  # the page's own phone unless the agent chose the SIP phone
        return service.get_ready(settings, agent, body.get("skill_groups"),
                                 body.get("device"), default_device="web")
    if action == "break":
        code = body.get("break_code")
        return service.take_break(db, settings, agent, code if isinstance(code, str) else "")
    return service.sign_out(settings, agent)


@blueprint.route("/events")
@agent_required
def events(domain: str):
    """Server-sent events: the agent's logged state now, then each change."""
    feed = _feed()
    with transaction(_settings()) as db:
        first = db.scalar(select(AgentStateChange).where(
            AgentStateChange.agent_id == g.agent.id).order_by(AgentStateChange.id.desc())
            .limit(1))
        if first is not None:
            db.expunge(first)
    response = Response(stream_with_context(stream(feed, g.agent.id, first)),
                        mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response
