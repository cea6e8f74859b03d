"""The agents' network check page and its probes (download, upload, verdict).

The probes are bounded (a fixed download, an upload refused past its size), answer
signed-in agents only and are never cached, so they measure the line, not a cache.
"""
from __future__ import annotations

import os

from flask import Response, abort, current_app, jsonify, render_template, request

from engine.errors import Invalid
from engine.network import service
from engine.phones.service import ECHO_EXTENSION
from webadmin.workbench import blueprint
from webadmin.workbench.answers import error_answer
from webadmin.workbench.session import agent_required

# Random bytes, so no compression on the way makes the line look faster than it is.
_DOWNLOAD = os.urandom(service.DOWNLOAD_BYTES)
# The upload's form fields and multipart framing around its bytes.
_UPLOAD_OVERHEAD = 64 * 1024


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/network")
@agent_required
def network(domain: str):
    settings = current_app.config["CCC_SETTINGS"]
    return render_template("workbench/network.html", domain=domain, service=service,
                           ports=service.required_ports(settings), echo=ECHO_EXTENSION)


@blueprint.get("/network/download")
@agent_required
def network_download(domain: str):
    return _no_store(Response(_DOWNLOAD, mimetype="application/octet-stream"))


@blueprint.post("/network/upload")
@agent_required
def network_upload(domain: str):
    if (request.content_length or 0) > service.UPLOAD_BYTES + _UPLOAD_OVERHEAD:
        abort(413)
    probe = request.files.get("data")
    size = len(probe.read(service.UPLOAD_BYTES + 1)) if probe else 0
    return _no_store(jsonify(bytes=size))


@blueprint.post("/network/verdict")
@agent_required
def network_verdict(domain: str):
    try:
        figures = service.parse_measurement(request.get_json(silent=True))
    except Invalid as error:
        response, status = error_answer(error)
        return _no_store(response), status
    missed = service.verdict(figures)
    return _no_store(jsonify(ready=not missed, missed=missed))
