"""Supervision of an instance's live calls: the agents on a call, with Listen, Whisper,
Barge and Take over, from a seat of the user's (its SIP phone or its workbench page's
phone); and the supervision log.

Who may supervise which instance, from which seat, is the engine's rule
(engine/callcontrol/supervision.py): an instance the user may not supervise is not found.
Other pages (a wallboard) link here with ``url_for("supervision.index", instance_id=...)``.
"""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _

from engine.ami.client import AmiError
from engine.callcontrol import supervision as service
from engine.errors import DomainError, Forbidden, NotFound
from engine.instances.models import Instance
from webadmin.access import current_user, load, work
from webadmin.auth import login_required
from webadmin.forms import errors_of

blueprint = Blueprint("supervision", __name__, template_folder="templates")
PATH = "/instances/<int:instance_id>/supervision"


def _page(db, instance: Instance, form, errors, error):
    user = current_user(db)
    seats = service.supervisor_seats(db, user, instance)  # refusals: the error pages
    calls, pbx_down = [], False
    try:
        calls = service.live_calls(db, service_settings(), user, instance)
    except AmiError:
        pbx_down = True
    return render_template("supervision/index.html", instance=instance, seats=seats,
                           seat_options=[(s.extension, f"{s.extension} {s.name}")
                                         for s in seats], mode_name=mode_name,
                           calls=calls, pbx_down=pbx_down, form=form, errors=errors,
                           error=error, log=service.supervision_log(db, user, instance)), \
        422 if errors or error else 200


def service_settings():
    return current_app.config["CCC_SETTINGS"]


@blueprint.route(PATH, methods=["GET", "POST"])
@login_required
def index(instance_id: int):
    errors, error, form = {}, None, request.form
    if request.method == "POST":
        # One form: the supervisor's phone above, a button per call and mode below
        # ("<mode>:<agent's extension>"); the engine checks both.
        mode, _sep, agent = form.get("act", "").partition(":")
        try:
            with work() as db:
                instance = load(db, Instance, instance_id)
                service.supervise(db, service_settings(), current_user(db), instance, mode,
                                  agent, form.get("supervisor", ""), form.get("device", ""))
            flash(_("Your phone rings: answer it to %(mode)s on agent %(agent)s's call.",
                    mode=mode_name(mode), agent=agent) if mode != "takeover" else
                  _("Agent %(agent)s's caller is handed to your phone.", agent=agent))
            return redirect(url_for("supervision.index", instance_id=instance_id))
        except NotFound as failure:
            if not failure.fields:
                abort(404)
            errors, error = errors_of(failure)
        except Forbidden:
            abort(403)
        except DomainError as failure:
            errors, error = errors_of(failure)
        except AmiError:
            error = _("The PBX is not reachable.")
    with work() as db:
        return _page(db, load(db, Instance, instance_id), form, errors, error)


def mode_name(mode: str) -> str:
    return {"listen": _("listen"), "whisper": _("whisper"), "barge": _("barge in"),
            "takeover": _("take over")}.get(mode, mode)
