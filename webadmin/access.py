"""What every view of the web admin and the API shares: the unit of work, loading a
resource of the signed-in account (404 otherwise), the role check (403), and the
report of the PBX change that followed the commit.
"""
from __future__ import annotations

from flask import abort, current_app, flash, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine import access
from engine.accounts.models import User
from engine.errors import NotFound
from engine.instances.models import Instance
from engine.uow import transaction
from webadmin.labels import role_name


def work():
    """A transaction whose PBX change (if any) is applied once it has committed; what
    the PBX did is kept for the request (pbx_report)."""
    return transaction(current_app.config["CCC_SETTINGS"], after_pbx_change=_apply_pbx)


def _apply_pbx(session) -> None:
    from provisioning.apply import ApplyError, apply
    try:
        result = apply(session, current_app.config["CCC_SETTINGS"])
    except ApplyError as error:
        g.pbx = {"live": False, "message": f"but {error}", "error": True}
    except Exception as error:  # noqa: BLE001 - the commit is done: say so, whatever failed
        # Saved all the same; `ccc pbx apply` or the next change will bring it over.
        current_app.logger.exception("PBX apply failed")
        g.pbx = {"live": False, "message": f"but the PBX could not be updated: {error}",
                 "error": True}
    else:
        g.pbx = {"live": result.live, "message": result.message, "error": False}


def pbx_report() -> dict | None:
    """What happened on the PBX after the last commit of this request (None: nothing)."""
    return g.get("pbx")


# The pages' words for what the PBX did (the API reports provisioning's own English).
PBX_MESSAGES = {
    "PBX configuration is live": _l("PBX configuration is live"),
    "PBX configuration written; it takes effect when the PBX starts":
        _l("PBX configuration written; it takes effect when the PBX starts"),
    "PBX configuration unchanged": _l("PBX configuration unchanged"),
}


def flash_saved(what: str | None = None) -> None:
    """Tell the user the change (``what``, translated) is saved, and whether the PBX
    runs it already."""
    what = what or _("Saved")
    pbx = pbx_report()
    if pbx is None:
        flash(_("%(what)s.", what=what))
    elif pbx["error"]:
        flash(_("%(what)s, %(pbx)s", what=what, pbx=pbx["message"]), "error")
    else:
        pbx_message = PBX_MESSAGES.get(pbx["message"], pbx["message"])
        flash(_("%(what)s; %(pbx)s.", what=what, pbx=pbx_message))


def load(db, model, ident: int, instance_id: int | None = None):
    """The account's resource, or 404 (also for another account's: no telling it exists)."""
    try:
        return access.owned(db, model, ident, g.account_id, instance_id)
    except NotFound:
        abort(404)


def current_user(db) -> User:
    return db.get(User, g.user_id)


def may_configure(db, instance: Instance | None = None) -> bool:
    return access.may_configure(db, current_user(db), instance)


def require_configure(db, instance: Instance | None = None) -> None:
    """403 unless the user's role may change this instance (or the account, without one)."""
    if not may_configure(db, instance):
        abort(403, _("The %(role)s role may not change this.", role=role_name(g.role)))


def configurable_instance(db, instance_id: int) -> Instance:
    """The account's instance (404 otherwise) that the user may change (403 otherwise)."""
    instance = load(db, Instance, instance_id)
    require_configure(db, instance)
    return instance


def require_account_role(what: str) -> None:  # what: translated, e.g. _("see bills")
    """403 unless the user acts for the account as a whole (its owner): the account's
    money (bills, payments, usage exports) is no business of the other roles."""
    if g.role not in access.ACCOUNT_ROLES:
        abort(403, _("The %(role)s role may not %(what)s.", role=role_name(g.role), what=what))
