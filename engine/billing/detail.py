"""The usage-detail line of a call, built by the database when it is rated.

Rating writes each call's CSV line beside its minutes, so exporting a month is reading
one text column in order and joining the lines: a million rows stream in seconds on
SQLite and PostgreSQL alike. The line is exactly what Python's csv module writes
(minimal quoting, "" inside quotes); tests compare the two.
"""
from __future__ import annotations

from sqlalchemy import String, case, cast, func, literal, or_

from engine.billing.models import Item
from engine.billing.sqltime import clock_text, epoch_seconds

# The usage-detail columns, in that order, with those headers.
USAGE_HEADER = (
    "account id (UID)",
    "call start time",
    "landline inbound minutes",
    "landline outbound minutes",
    "400 inbound minutes",
    "instance id",
    "platform fee minutes (pay-as-you-go)",
    "SIP line maintenance fee",
    "consumption.portal.export.oms.CCC.CallStartTime",
    "consumption.portal.export.oms.CCC.CallEndTime",
    "consumption.portal.export.oms.CCC.Caller",
    "consumption.portal.export.oms.CCC.Callee",
)
# A spreadsheet runs a cell that begins with one of these as a formula; caller names
# come from outside, so such a cell gets a leading quote. Numbers are never negative,
# so only the caller and callee cells can begin with one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text):
    return case((func.substr(text, 1, 1).in_(FORMULA_STARTS), literal("'") + text), else_=text)


def csv_cell(text):
    """Quoted only when it must be: a comma, a quote or a line break inside."""
    needs_quotes = or_(*(text.contains(mark) for mark in (",", '"', "\n", "\r")))
    return case((needs_quotes, literal('"') + func.replace(text, '"', '""') + literal('"')),
                else_=text)


def _number(value):
    return cast(value, String)


def line(*, account_id, item, minutes, instance_id, payg: bool, started_at, ended_at,
         caller, callee, offset_minutes: int):
    """The CSV line (no line end) of one rated call, from SQL expressions of its parts."""
    def minutes_of(wanted: Item):
        return _number(case((item == wanted.value, minutes), else_=0))
    cells = [
        _number(account_id), clock_text(started_at, offset_minutes),
        minutes_of(Item.LANDLINE_INBOUND), minutes_of(Item.LANDLINE_OUTBOUND),
        minutes_of(Item.INBOUND_400), _number(instance_id),
        _number(minutes) if payg else literal("0"),
        literal("0"),  # no SIP line maintenance fee is charged per call on either plan
        _number(epoch_seconds(started_at)),
        _number(epoch_seconds(func.coalesce(ended_at, started_at))),
        csv_cell(neutralised(caller)), csv_cell(neutralised(callee)),
    ]
    joined = cells[0]
    for cell in cells[1:]:
        joined = joined + literal(",") + cell
    return joined
