"""The historical reports page of an instance: one tab per report (skill groups,
agents, IVR flows, numbers), a chart drawn on the server, the table, and its CSV.

Thin: the rows are engine/reports' (the same the CLI and the API give). Who may see
it: engine/access.py's reports rule; another account's instance is 404.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine import access
from engine.errors import Forbidden, Invalid
from engine.instances.models import Instance
from engine.reports import export
from engine.reports.intervals import INTERVALS, check_period, parse_day
from engine.reports.ivr import ivr_report
from engine.reports.numbers import number_report
from engine.reports.service import agent_report, skill_group_report
from webadmin.access import current_user, load, work
from webadmin.auth import login_required
from webadmin.i18n import error_text
from webadmin.reports.charts import bar_chart, sum_by

blueprint = Blueprint("reports", __name__, template_folder="templates")

# Each tab: its rows, its CSV, the columns shown, and the figure its chart draws by
# the label given.
TABS = {
    "skillgroups": (_l("Skill groups"), skill_group_report, export.skill_group_csv,
                    export.SKILL_GROUP_SUMMARY, "interval_start", "CallsOffered",
                    _l("Calls offered per interval")),
    "agents": (_l("Agents"), agent_report, export.agent_csv, export.AGENT_SUMMARY,
               "agent", "CallsHandled", _l("Calls handled per agent")),
    "ivr": (_l("IVR flows"), ivr_report, export.ivr_csv, export.IVR_SUMMARY, "node",
            "CallsReached", _l("Callers reaching each node")),
    "numbers": (_l("Numbers"), number_report, export.number_csv, export.NUMBER_SUMMARY,
                "interval_start", "Calls", _l("Calls per interval")),
}
INTERVAL_NAMES = {"15m": _l("15 minutes"), "hour": _l("Hour"), "day": _l("Day"),
                  "month": _l("Month")}


def _today(offset_minutes: int) -> date:
    return (datetime.now(timezone.utc) + timedelta(minutes=offset_minutes)).date()


@blueprint.route("/instances/<int:instance_id>/reports")
@login_required
def index(instance_id: int):
    kind = request.args.get("report", "skillgroups")
    if kind not in TABS:
        abort(404)
    label, build, to_csv, columns, chart_by, chart_figure, chart_title = TABS[kind]
    offset = current_app.config["CCC_SETTINGS"].billing_utc_offset_minutes
    today = _today(offset)
    form = {"from": request.args.get("from", today.isoformat()),
            "to": request.args.get("to", (today + timedelta(days=1)).isoformat()),
            "interval": request.args.get("interval", "day")}
    with work() as db:
        instance = load(db, Instance, instance_id)
        try:
            access.check_see_reports(db, current_user(db), instance)
        except Forbidden:
            abort(403, _("Your role may not see this instance's reports."))
        errors, rows = {}, []
        try:
            start, end = parse_day(form["from"], "from"), parse_day(form["to"], "to")
            check_period(start, end, form["interval"])
            rows = build(db, instance, start, end, form["interval"], offset)
        except Invalid as error:
            errors = {field: error_text(error) for field in (error.fields or {"from": ""})}
    if request.args.get("format") == "csv" and not errors:
        return Response(to_csv(rows), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="report-{kind}.csv"'})
    chart = bar_chart(str(chart_title), sum_by(rows, chart_by, chart_figure))
    return render_template("reports/index.html", instance=instance, tabs=TABS, kind=kind,
                           label=label, rows=rows, columns=columns, form=form,
                           errors=errors, chart=chart,
                           intervals=[(name, INTERVAL_NAMES[name]) for name in INTERVALS]), \
        422 if errors else 200
