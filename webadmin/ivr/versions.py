"""A flow's published versions: the list, one version, its JSON export, and opening an
old version as the draft again. A published version never changes."""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from engine.ivr import service as ivr
from engine.ivr.models import IvrFlowVersion
from webadmin.access import work
from webadmin.auth import login_required
from webadmin.ivr import blueprint, flow_row, load_flow

VERSIONS = "/instances/<int:instance_id>/flows/<int:flow_id>/versions"


def published_versions(db, flow) -> list[IvrFlowVersion]:
    """Numbered versions, oldest first (the service lists the draft after them)."""
    return [v for v in ivr.versions(db, flow) if v.version is not None]


def _version(db, flow, number: int) -> IvrFlowVersion:
    found = next((v for v in published_versions(db, flow) if v.version == number), None)
    if found is None:
        abort(404)
    return found


def _pretty(found: IvrFlowVersion) -> str:
    return json.dumps(json.loads(found.definition), indent=2, sort_keys=True)


@blueprint.route(VERSIONS)
@login_required
def versions(instance_id: int, flow_id: int):
    with work() as db:
        instance, flow = load_flow(db, instance_id, flow_id)
        return render_template("ivr/versions.html", instance=instance, flow=flow_row(db, flow),
                               versions=list(reversed(published_versions(db, flow))))


@blueprint.route(VERSIONS + "/<int:version>")
@login_required
def version(instance_id: int, flow_id: int, version: int):
    with work() as db:
        instance, flow = load_flow(db, instance_id, flow_id)
        found = _version(db, flow, version)
        return render_template("ivr/version.html", instance=instance, flow=flow_row(db, flow),
                               version=found, text=_pretty(found))


@blueprint.route(VERSIONS + "/<int:version>/export")
@login_required
def export(instance_id: int, flow_id: int, version: int):
    with work() as db:
        _instance, flow = load_flow(db, instance_id, flow_id)
        text = _pretty(_version(db, flow, version))
        filename = f"{flow.name}-v{version}.json"
    return Response(text + "\n", mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blueprint.route(VERSIONS + "/<int:version>/restore", methods=["POST"])
@login_required
def restore(instance_id: int, flow_id: int, version: int):
    """Make an old version the draft again (to publish it as the next version)."""
    with work() as db:
        _instance, flow = load_flow(db, instance_id, flow_id)
        ivr.save_draft(db, flow, json.loads(_version(db, flow, version).definition))
    flash(_("Version %(version)s is now the draft: publish it to make it live again.",
            version=version))
    return redirect(url_for("ivr.editor", instance_id=instance_id, flow_id=flow_id))
