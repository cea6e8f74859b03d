"""The workbench's softphone: its sign-in details, and the one WebSocket its pages open.

The agent's browser gets the PBX's WebSocket address and the agent's web endpoint
credentials from the signed-in session (never in a page's HTML, never cached). Pages
that hold the softphone may connect to exactly that WebSocket origin besides their own;
every other page keeps ``connect-src 'self'``.
"""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from engine.phones.service import web_phone, websocket_origin
from webadmin import SECURITY_HEADERS
from webadmin.workbench import blueprint
from webadmin.workbench.session import agent_required

# The pages that run the softphone (phone.js or network.js).
PHONE_PAGES = frozenset({"workbench.index", "workbench.network"})
CSP = "Content-Security-Policy"


@blueprint.get("/phone/config")
@agent_required
def phone_config(domain: str):
    settings = current_app.config["CCC_SETTINGS"]
    response = jsonify(web_phone(settings, g.agent, request.host).as_json())
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.after_request
def allow_the_pbx_websocket(response):
    if request.endpoint in PHONE_PAGES:
        origin = websocket_origin(current_app.config["CCC_SETTINGS"], request.host)
        response.headers[CSP] = SECURITY_HEADERS[CSP].replace(
            "connect-src 'self'", f"connect-src 'self' {origin}")
    return response
