"""The signed-in user's own preferences: the language of their pages."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh

from engine.accounts.languages import LANGUAGES
from engine.accounts.service import set_language
from engine.errors import DomainError
from webadmin.access import current_user, work
from webadmin.auth import login_required
from webadmin.i18n import field_errors

blueprint = Blueprint("preferences", __name__, template_folder="templates")


@blueprint.route("/language", methods=["GET", "POST"])
@login_required
def language():
    """Every user may choose their own language, whatever their role."""
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with work() as db:
                user = set_language(db, current_user(db), request.form.get("language", ""))
                chosen = user.language
        except DomainError as error:
            errors, status = field_errors(error), 422
        else:
            g.language = chosen  # the confirmation speaks the language just chosen
            refresh()
            flash(_("Language saved."), "ok")
            return redirect(url_for("preferences.language"))
        form = request.form
    else:
        with work() as db:
            form = {"language": current_user(db).language or ""}
    return render_template("preferences/language.html", form=form, errors=errors,
                           languages=LANGUAGES), status

