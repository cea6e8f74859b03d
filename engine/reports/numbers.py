"""The number report: per number of the instance and interval, the calls its call
records show (inbound: the number dialled; outbound: the number shown to the callee).

Counted in the database from ``call_record``, by the interval in which a call started.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.billing.sqltime import epoch_seconds
from engine.calls.merge import COMPLETED_IN_IVR
from engine.calls.models import CallRecord
from engine.instances.models import Instance
from engine.reports.intervals import check_period, utc_bounds
from engine.reports.service import slot_of, slot_start


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _seconds(end, start):
    return epoch_seconds(end) - epoch_seconds(start)


def number_report(session: Session, instance: Instance, start: date, end: date,
                  interval: str, offset_minutes: int) -> list[dict]:
    """One row per number, direction and interval with calls."""
    check_period(start, end, interval)
    since, until = utc_bounds(start, end, offset_minutes)
    record = CallRecord
    answered = record.disposition == "answered"
    slot = slot_of(record.started_at, interval, offset_minutes).label("slot")
    ended = record.ended_at.is_not(None)
    query = (select(slot, record.number, record.direction,
                    func.count().label("calls"),
                    _count(answered).label("answered"),
                    _count(record.disposition == "abandoned").label("abandoned"),
                    _count(record.disposition == COMPLETED_IN_IVR).label("completed_in_ivr"),
                    func.coalesce(func.sum(case((ended, _seconds(record.ended_at,
                                                                 record.started_at)),
                                                else_=0)), 0).label("duration"),
                    _count(ended).label("ended"),
                    func.coalesce(func.sum(record.billable_seconds), 0).label("billable"))
             .where(record.instance_id == instance.id, record.started_at >= since,
                    record.started_at < until, record.number.is_not(None))
             .group_by(slot, record.number, record.direction))
    rows: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    for found in session.execute(query).mappings():
        key = (slot_start(found["slot"], interval), found["number"],
               found["direction"].value if hasattr(found["direction"], "value")
               else found["direction"])
        for name in ("calls", "answered", "abandoned", "completed_in_ivr", "duration",
                     "ended", "billable"):
            rows[key][name] += float(found[name] or 0)
    return [_figures(at, number, direction, sums)
            for (at, number, direction), sums in sorted(rows.items())]


def _figures(at, number, direction, sums) -> dict:
    calls, answered = int(sums["calls"]), int(sums["answered"])
    return {"interval_start": at.isoformat(timespec="minutes"), "number": number,
            "direction": direction, "Calls": calls, "CallsAnswered": answered,
            "CallsAbandoned": int(sums["abandoned"]),
            "CallsCompletedInIvr": int(sums["completed_in_ivr"]),
            "CallsUnanswered": calls - answered - int(sums["abandoned"])
            - int(sums["completed_in_ivr"]),
            "AnswerRate": round(answered / calls, 4) if calls else None,
            "AverageDuration": (round(sums["duration"] / sums["ended"], 1)
                                if sums["ended"] else None),
            # What the carrier bills: from the PBX's answer (the IVR's, for inbound).
            "BillableTime": int(sums["billable"])}
