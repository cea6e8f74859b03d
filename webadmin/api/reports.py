"""/api/v1/instances/<id>/reports: historical figures by skill group, agent, IVR flow
and number.

``from`` and ``to`` are days (YYYY-MM-DD) on the site's clock, ``to`` not covered;
``interval`` cuts the period into 15-minute, hourly, daily or monthly rows;
``format=csv`` answers CSV instead of JSON. The figures are defined in
``engine/reports/metrics.py`` and explained in the README.
"""
from __future__ import annotations

from flask import Response, current_app, jsonify, request

from engine import access
from engine.instances.models import Instance
from engine.reports.export import (AGENT_COLUMNS, IVR_COLUMNS, NUMBER_COLUMNS,
                                   SKILL_GROUP_COLUMNS, agent_csv, ivr_csv, number_csv,
                                   skill_group_csv)
from engine.reports.intervals import INTERVALS, parse_day
from engine.reports.ivr import ivr_report
from engine.reports.numbers import number_report
from engine.reports.service import agent_report, skill_group_report
from webadmin.access import current_user, load, work
from webadmin.api.registry import route

PATH = "/instances/<int:instance_id>/reports"
QUERY = (
    {"name": "from", "required": True, "schema": {"type": "string", "format": "date"},
     "description": "first day covered"},
    {"name": "to", "required": True, "schema": {"type": "string", "format": "date"},
     "description": "first day not covered"},
    {"name": "interval", "schema": {"type": "string", "enum": list(INTERVALS),
                                    "default": "day"}},
    {"name": "format", "schema": {"type": "string", "enum": ["json", "csv"],
                                  "default": "json"}})
FIGURE = {"type": ["number", "integer", "string", "null"]}
SECONDS_BY_NAME = {"type": "object", "additionalProperties": {"type": "number"},
                   "description": "state or break code -> seconds"}


def _rows(columns, **objects):
    return {"type": "array", "items": {"type": "object", "properties": {
        **{column: FIGURE for column in columns}, **objects}}}


def _report(instance_id: int, build, to_csv):
    with work() as db:
        instance = load(db, Instance, instance_id)
        access.check_see_reports(db, current_user(db), instance)
        start = parse_day(request.args.get("from", ""), "from")
        end = parse_day(request.args.get("to", ""), "to")
        offset = current_app.config["CCC_SETTINGS"].billing_utc_offset_minutes
        rows = build(db, instance, start, end, request.args.get("interval", "day"), offset)
    if request.args.get("format") == "csv":
        return Response(to_csv(rows), mimetype="text/csv")
    return jsonify(rows)


@route(PATH + "/skillgroups", "GET", "Figures by skill group and interval",
       response=_rows(SKILL_GROUP_COLUMNS), errors=(401, 403, 404),
       operation_id="ListIntervalSkillGroupReport", query=QUERY)
def skill_group_report_view(instance_id: int):
    return _report(instance_id, skill_group_report, skill_group_csv)


@route(PATH + "/agents", "GET", "Figures by agent and interval",
       response=_rows(AGENT_COLUMNS, StateTime=SECONDS_BY_NAME, BreakTime=SECONDS_BY_NAME),
       errors=(401, 403, 404),
       operation_id="ListIntervalAgentReport", query=QUERY)
def agent_report_view(instance_id: int):
    return _report(instance_id, agent_report, agent_csv)


@route(PATH + "/ivr", "GET", "Figures by IVR flow, node and interval",
       response=_rows(IVR_COLUMNS, KeyPresses={
           "type": "object", "additionalProperties": {"type": "integer"},
           "description": "key -> times pressed at the node"}),
       errors=(401, 403, 404), operation_id="GetIvrReport", query=QUERY)
def ivr_report_view(instance_id: int):
    return _report(instance_id, ivr_report, ivr_csv)


@route(PATH + "/numbers", "GET", "Figures by number and interval",
       response=_rows(NUMBER_COLUMNS), errors=(401, 403, 404),
       operation_id="GetNumberReport", query=QUERY)
def number_report_view(instance_id: int):
    return _report(instance_id, number_report, number_csv)
