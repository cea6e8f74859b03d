"""The real-time wallboard page of an instance, or of one of its skill groups, kept
live by server-sent events.

Thin: the snapshot is engine/wallboard/service.py's. Who may see it: the
account's owner, the instance's own administrators and its supervisors
(engine/access.py); another account's instance or skill group is 404, and so is an
instance a supervisor has no seat in.
"""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _

from engine import access
from engine.errors import Forbidden, NotFound
from engine.instances.models import Instance
from engine.skillgroups.models import SkillGroup
from engine.skillgroups.service import list_skill_groups
from webadmin.access import current_user, load, work
from webadmin.auth import login_required
from webadmin.wallboard.live import BoardFeed, stream

blueprint = Blueprint("wallboard", __name__, template_folder="templates")


def _scope(db, instance_id: int) -> tuple[Instance, SkillGroup | None]:
    instance = load(db, Instance, instance_id)
    try:
        access.check_see_wallboard(db, current_user(db), instance)
    except Forbidden:
        abort(403, _("Your role may not see this instance's wallboard."))
    except NotFound:
        abort(404)
    group_id = request.args.get("skill_group", "")
    if not group_id:
        return instance, None
    if not group_id.isascii() or not group_id.isdigit() or len(group_id) > 18:
        abort(404)
    return instance, load(db, SkillGroup, int(group_id), instance.id)


def _feed() -> BoardFeed:
    feed = current_app.extensions.get("ccc_board_feed")
    if feed is None:
        feed = current_app.extensions.setdefault(
            "ccc_board_feed", BoardFeed(current_app.config["CCC_SETTINGS"]))
    return feed


@blueprint.route("/instances/<int:instance_id>/wallboard")
@login_required
def index(instance_id: int):
    with work() as db:
        instance, group = _scope(db, instance_id)
        events_url = url_for("wallboard.events", instance_id=instance.id,
                             skill_group=group.id if group is not None else None)
        return render_template("wallboard/index.html", instance=instance, group=group,
                               groups=list_skill_groups(db, instance), events_url=events_url)


@blueprint.route("/instances/<int:instance_id>/wallboard/events")
@login_required
def events(instance_id: int):
    """Server-sent events: the wallboard now, then again each time it changes."""
    with work() as db:
        instance, group = _scope(db, instance_id)
        key = (instance.id, group.id if group is not None else None)
    response = Response(stream_with_context(stream(_feed(), key)),
                        mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response
