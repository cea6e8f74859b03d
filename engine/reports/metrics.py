"""What each report figure means: pure functions from journaled events to figures.

Every report (by skill group, by agent, per interval; later the wallboard) computes
its figures here and nowhere else, so two faces showing the same figure agree. The
formulas are written out in the README ("Reports: what each figure means").

Three journals feed these functions:

- the PBX's queue log, as ``QueueLogEvent``: each call's entry into a skill group's
  queue, how it left (connected to an agent, abandoned, timed out, key pressed...) and
  for how long it talked; the dialplan adds a BLOCKED line when a caller reaches a
  queue nobody is signed in to;
- the agent state log, as ``StateChange``: which state each agent entered and when;
- the hold log (``engine.reports.models.CallHold``): each time an agent held a call,
  summed per call and agent as hold seconds.

A call's stay in one queue is a ``QueueVisit``. A call that overflows from group A to
group B, or that an agent transfers to group B, makes one visit to each: it is offered
to both and handled only where an agent took it. Each visit counts in the interval in
which it entered the queue, whatever the time it ended.
"""
from __future__ import annotations

import enum
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

# A caller who hangs up this soon after entering most likely dialled by mistake or
# changed their mind: such abandons are counted apart and stay out of AbandonRate.
SHORT_ABANDON_SECONDS = 5
DEFAULT_SERVICE_LEVEL_SECONDS = 20

# Queue log events that end a caller's wait (Asterisk's app_queue names).
ENTER = "ENTERQUEUE"
CONNECT = "CONNECT"
ABANDON = "ABANDON"
RING_CANCELED = "RINGCANCELED"
RING_NO_ANSWER = "RINGNOANSWER"
TIMEOUT = "EXITWITHTIMEOUT"
KEY = "EXITWITHKEY"
EMPTY = "EXITEMPTY"
COMPLETED = ("COMPLETECALLER", "COMPLETEAGENT")
TRANSFERRED = ("BLINDTRANSFER", "ATTENDEDTRANSFER", "TRANSFER")
# A caller reached a queue with no member at all (no agent signed in to the group).
# Asterisk logs no such line itself; the dialplan writes it (QueueLog) just before the
# caller joins, and the caller still joins and waits (an agent may sign in meanwhile).
BLOCKED = "BLOCKED"
# Lines that say a call was blocked or refused at the door. Asterisk does not log its
# own refusals (JOINEMPTY, FULL: queue results only); a dialplan that logs them is
# counted the same way.
REFUSED = (BLOCKED, "JOINEMPTY", "JOINUNAVAIL", "FULL")


class Outcome(enum.StrEnum):
    WAITING = "waiting"          # still in the queue when the log was last read
    HANDLED = "handled"          # connected to an agent
    ABANDONED = "abandoned"      # the caller hung up while waiting or while an agent rang
    TIMEOUT = "timeout"          # waited the queue's whole time and left (or overflowed)
    KEY = "key"                  # left by pressing a key the flow offered
    EMPTY = "empty"              # put out because no agent was left in the queue


@dataclass(frozen=True)
class QueueLogEvent:
    at: datetime
    call_id: str | None
    queue: str
    skill_group_id: int | None
    agent: str | None           # the agent's extension
    event: str
    data: tuple[str, ...] = ()

    def number(self, index: int) -> float | None:
        """Data field ``index`` (1-based, as Asterisk numbers them) as a number."""
        try:
            value = float(self.data[index - 1])
        except (IndexError, ValueError):
            return None
        return value if value >= 0 else None


@dataclass
class QueueVisit:
    """One call's stay in one queue, from entry to how it left."""
    call_id: str
    queue: str
    skill_group_id: int | None
    entered_at: datetime
    outcome: Outcome = Outcome.WAITING
    agent: str | None = None
    wait_seconds: float | None = None   # entry to connect, or to leaving unserved
    talk_seconds: float | None = None   # connect to hang-up or transfer; None while talking
    rang_agent: bool = False            # abandoned while an agent's phone rang
    key: str | None = None
    transferred_in: bool = False        # an agent of another visit sent the call here
    overflowed_in: bool = False         # arrived after timing out in another queue

    @property
    def short_abandon(self) -> bool:
        return (self.outcome is Outcome.ABANDONED and self.wait_seconds is not None
                and self.wait_seconds < SHORT_ABANDON_SECONDS)


def queue_visits(events: list[QueueLogEvent]) -> list[QueueVisit]:
    """The visits these events describe, in order of entry.

    Events without an entry (their call entered before the events given) are left
    out, so a visit is counted only with the events that show where it started.
    """
    visits: list[QueueVisit] = []
    open_visits: dict[tuple[str, str], QueueVisit] = {}
    last_of_call: dict[str, QueueVisit] = {}
    for event in sorted(events, key=lambda e: e.at):
        if event.call_id is None:
            continue
        key = (event.call_id, event.queue)
        if event.event == ENTER:
            visit = QueueVisit(event.call_id, event.queue, event.skill_group_id, event.at)
            before = last_of_call.get(event.call_id)
            if before is not None:
                visit.transferred_in = before.outcome is Outcome.HANDLED
                visit.overflowed_in = before.outcome is Outcome.TIMEOUT
            open_visits[key] = last_of_call[event.call_id] = visit
            visits.append(visit)
        elif key in open_visits:
            _apply(open_visits[key], event)
    return visits


def _apply(visit: QueueVisit, event: QueueLogEvent) -> None:
    waited = (event.at - visit.entered_at).total_seconds()
    if event.event == CONNECT:
        visit.outcome, visit.agent = Outcome.HANDLED, event.agent
        visit.wait_seconds = _first(event.number(1), waited)
    elif event.event == RING_CANCELED and visit.outcome is Outcome.WAITING:
        visit.rang_agent = True  # an ABANDON follows when it was the caller who left
    elif event.event in COMPLETED:
        visit.talk_seconds = _first(event.number(2), 0.0)
    elif event.event in TRANSFERRED:
        visit.talk_seconds = _first(event.number(4), 0.0)
    elif event.event == ABANDON:
        visit.outcome, visit.wait_seconds = Outcome.ABANDONED, _first(event.number(3), waited)
    elif event.event == TIMEOUT:
        visit.outcome, visit.wait_seconds = Outcome.TIMEOUT, _first(event.number(3), waited)
    elif event.event == KEY:
        visit.outcome, visit.key = Outcome.KEY, event.data[0] if event.data else None
        visit.wait_seconds = _first(event.number(4), waited)
    elif event.event == EMPTY:
        visit.outcome, visit.wait_seconds = Outcome.EMPTY, _first(event.number(3), waited)


def _first(value: float | None, fallback: float) -> float:
    return value if value is not None else max(0.0, fallback)


def refused_calls(events: list[QueueLogEvent]) -> list[QueueLogEvent]:
    """Calls that reached a group with no agent signed in (CallsBlocked): one event each."""
    return [e for e in events if e.event in REFUSED]


# ---- the agent state log --------------------------------------------------------------

@dataclass(frozen=True)
class StateChange:
    agent: str                  # the agent's extension
    state: str
    at: datetime
    break_code: str | None = None


@dataclass(frozen=True)
class StatePeriod:
    agent: str
    state: str
    break_code: str | None
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def state_periods(changes: list[StateChange], start: datetime,
                  end: datetime) -> list[StatePeriod]:
    """How long each agent spent in each state within [start, end).

    A state lasts until the agent's next change, and the last one until ``end`` (pass
    the present for a day still going on). A change before ``start`` gives the state
    the agent was in when the interval began.
    """
    by_agent: dict[str, list[StateChange]] = defaultdict(list)
    for change in sorted(changes, key=lambda c: c.at):
        by_agent[change.agent].append(change)
    periods = []
    for agent, rows in by_agent.items():
        for row, following in zip(rows, rows[1:] + [None], strict=True):
            begins = max(row.at, start)
            ends = min(following.at if following else end, end)
            if begins < ends:
                periods.append(StatePeriod(agent, row.state, row.break_code, begins, ends))
    return periods


def work_by_skill_group(periods: list[StatePeriod],
                        visits: list[QueueVisit]) -> dict[int | None, list[StatePeriod]]:
    """After-call work periods (WORKING), credited to the skill group of the call the
    agent handled last before the work began: skill group id -> its work periods."""
    handled: dict[str, list[QueueVisit]] = defaultdict(list)
    for visit in sorted(visits, key=lambda v: v.entered_at):
        if visit.outcome is Outcome.HANDLED and visit.agent:
            handled[visit.agent].append(visit)
    entries = {agent: [v.entered_at for v in calls] for agent, calls in handled.items()}
    work: dict[int | None, list[StatePeriod]] = defaultdict(list)
    for period in periods:
        if period.state != "WORKING":
            continue
        last = bisect_right(entries.get(period.agent, []), period.start) - 1
        if last >= 0:
            work[handled[period.agent][last].skill_group_id].append(period)
    return work


# ---- the figures ----------------------------------------------------------------------

def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _per_call(total: float, calls: int) -> float | None:
    # Averages are per call; for after-call work, per handled call: a call whose work
    # a new call cut short, or that needed none, still counts as one call.
    return round(total / calls, 1) if calls else None


def _handle(talk: float | None, hold: float | None, work: float | None) -> float | None:
    """AverageHandleTime: talk + hold + work, each already an average per call."""
    if talk is None and work is None:
        return None
    return round((talk or 0.0) + (hold or 0.0) + (work or 0.0), 1)


def _talk_and_hold(talk_total: float, hold_total: float, talked: int,
                   handled: int) -> tuple[float | None, float | None]:
    """AverageTalkTime and AverageHoldTime. The queue log times a call from connect to
    hang-up, holds included; the holds are taken out of talk and shown on their own,
    so talk + hold is the time connected. Both are per call whose talk ended (a call never
    held counts as a call with none)."""
    hold = min(hold_total, talk_total)
    return _per_call(talk_total - hold, talked), _per_call(hold, talked)


@dataclass
class Figures:
    """The counts and sums behind a skill group's figures. Intervals and groups add up
    field by field, so the database can sum stored visits and this class still makes
    the figures (``visit_sums`` is the same classification in SQL)."""
    offered: int = 0
    handled: int = 0
    abandoned_in_queue: int = 0
    abandoned_ringing: int = 0
    abandoned_short: int = 0
    timeout: int = 0
    exited_by_key: int = 0
    exited_empty: int = 0
    waiting: int = 0
    blocked: int = 0
    transferred_in: int = 0
    overflowed_in: int = 0
    within_service_level: int = 0
    wait_total: float = 0.0          # of handled visits
    abandon_wait_total: float = 0.0  # of abandoned visits (short ones apart)
    talk_total: float = 0.0
    talked: int = 0                  # handled visits whose talk has ended
    hold_total: float = 0.0          # of handled visits whose talk has ended
    work_total: float = 0.0

    def add_visit(self, visit: QueueVisit, service_level_seconds: int) -> None:
        self.offered += 1
        self.transferred_in += visit.transferred_in
        self.overflowed_in += visit.overflowed_in
        wait = visit.wait_seconds or 0.0
        if visit.outcome is Outcome.HANDLED:
            self.handled += 1
            self.wait_total += wait
            self.within_service_level += wait <= service_level_seconds
            if visit.talk_seconds is not None:
                self.talk_total += visit.talk_seconds
                self.talked += 1
        elif visit.short_abandon:
            self.abandoned_short += 1
        elif visit.outcome is Outcome.ABANDONED:
            self.abandon_wait_total += wait
            if visit.rang_agent:
                self.abandoned_ringing += 1
            else:
                self.abandoned_in_queue += 1
        elif visit.outcome is Outcome.TIMEOUT:
            self.timeout += 1
        elif visit.outcome is Outcome.KEY:
            self.exited_by_key += 1
        elif visit.outcome is Outcome.EMPTY:
            self.exited_empty += 1
        else:
            self.waiting += 1

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(**{name: getattr(self, name) + getattr(other, name)
                          for name in self.__dataclass_fields__})

    def as_dict(self) -> dict:
        abandoned = self.abandoned_in_queue + self.abandoned_ringing
        talk, hold = _talk_and_hold(self.talk_total, self.hold_total, self.talked,
                                    self.handled)
        work = _per_call(self.work_total, self.handled)
        return {
            "CallsOffered": self.offered,
            "CallsHandled": self.handled,
            "CallsAbandoned": abandoned,
            "CallsAbandonedInQueue": self.abandoned_in_queue,
            "CallsAbandonedRinging": self.abandoned_ringing,
            "CallsAbandonedShort": self.abandoned_short,
            "CallsTimeout": self.timeout,
            "CallsExitedByKey": self.exited_by_key,
            "CallsExitedEmpty": self.exited_empty,
            "CallsWaiting": self.waiting,
            "CallsBlocked": self.blocked,
            "CallsTransferredIn": self.transferred_in,
            "CallsOverflowedIn": self.overflowed_in,
            "HandleRate": _ratio(self.handled, self.offered),
            "AbandonRate": _ratio(abandoned, self.offered),
            "ServiceLevel": _ratio(self.within_service_level, self.offered),
            "AverageWaitTime": _per_call(self.wait_total, self.handled),
            "AverageAbandonTime": _per_call(self.abandon_wait_total, abandoned),
            "AverageTalkTime": talk,
            "AverageHoldTime": hold,
            "AverageWorkTime": work,
            "AverageHandleTime": _handle(talk, hold, work),
        }


def visit_sums(visit, service_level_seconds) -> dict:
    """``Figures``' fields as SQL aggregates over stored visits (``QueueCall`` rows), for
    reports over months of calls; classified exactly as ``Figures.add_visit`` does
    (tests/unit/test_report_metrics.py holds the two to the same answers)."""
    from sqlalchemy import and_, case, func, not_

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def total(condition, value):
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    handled = visit.outcome == Outcome.HANDLED.value
    abandoned = and_(visit.outcome == Outcome.ABANDONED.value,
                     visit.wait_seconds >= SHORT_ABANDON_SECONDS)
    return {
        "offered": func.count(),
        "handled": count(handled),
        "abandoned_in_queue": count(and_(abandoned, not_(visit.rang_agent))),
        "abandoned_ringing": count(and_(abandoned, visit.rang_agent)),
        "abandoned_short": count(and_(visit.outcome == Outcome.ABANDONED.value,
                                      visit.wait_seconds < SHORT_ABANDON_SECONDS)),
        "timeout": count(visit.outcome == Outcome.TIMEOUT.value),
        "exited_by_key": count(visit.outcome == Outcome.KEY.value),
        "exited_empty": count(visit.outcome == Outcome.EMPTY.value),
        "waiting": count(visit.outcome == Outcome.WAITING.value),
        "transferred_in": count(visit.transferred_in),
        "overflowed_in": count(visit.overflowed_in),
        "within_service_level": count(and_(handled,
                                           visit.wait_seconds <= service_level_seconds)),
        "wait_total": total(handled, visit.wait_seconds),
        "abandon_wait_total": total(abandoned, visit.wait_seconds),
        "talk_total": total(and_(handled, visit.talk_seconds.is_not(None)), visit.talk_seconds),
        "talked": count(and_(handled, visit.talk_seconds.is_not(None))),
    }


def skill_group_figures(visits: list[QueueVisit], refused: int = 0,
                        work_seconds: list[float] | None = None,
                        service_level_seconds: int = DEFAULT_SERVICE_LEVEL_SECONDS,
                        hold_seconds: dict[str, float] | None = None) -> dict:
    """A skill group's figures over its visits of one interval. ``hold_seconds``: call
    id -> seconds its agent held it (counted for handled visits whose talk ended)."""
    holds = hold_seconds or {}
    figures = Figures(blocked=refused, work_total=sum(work_seconds or []),
                      hold_total=sum(holds.get(v.call_id, 0.0) for v in visits
                                     if v.outcome is Outcome.HANDLED
                                     and v.talk_seconds is not None))
    for visit in visits:
        figures.add_visit(visit, service_level_seconds)
    return figures.as_dict()


@dataclass
class AgentCalls:
    """The counts and sums behind an agent's call figures (they add up like Figures)."""
    handled: int = 0
    wait_total: float = 0.0
    talk_total: float = 0.0
    talked: int = 0
    rang_unanswered: int = 0
    hold_total: float = 0.0

    @classmethod
    def of(cls, visits: list[QueueVisit], rang_unanswered: int = 0,
           hold_seconds: dict[str, float] | None = None) -> "AgentCalls":
        calls = cls(rang_unanswered=rang_unanswered)
        for visit in visits:
            if visit.outcome is Outcome.HANDLED:
                calls.handled += 1
                calls.wait_total += visit.wait_seconds or 0.0
                if visit.talk_seconds is not None:
                    calls.talk_total += visit.talk_seconds
                    calls.talked += 1
                    calls.hold_total += (hold_seconds or {}).get(visit.call_id, 0.0)
        return calls

    def __add__(self, other: "AgentCalls") -> "AgentCalls":
        return AgentCalls(**{name: getattr(self, name) + getattr(other, name)
                             for name in self.__dataclass_fields__})


def agent_sums(visit) -> dict:
    """``AgentCalls``' fields (but ring-no-answers) as SQL aggregates over stored visits."""
    from sqlalchemy import and_, case, func
    handled = visit.outcome == Outcome.HANDLED.value
    ended = and_(handled, visit.talk_seconds.is_not(None))
    return {"handled": func.coalesce(func.sum(case((handled, 1), else_=0)), 0),
            "wait_total": func.coalesce(func.sum(case((handled, visit.wait_seconds),
                                                      else_=0)), 0),
            "talk_total": func.coalesce(func.sum(case((ended, visit.talk_seconds), else_=0)), 0),
            "talked": func.coalesce(func.sum(case((ended, 1), else_=0)), 0)}


def agent_figures(calls: AgentCalls | list[QueueVisit], periods: list[StatePeriod],
                  rang_unanswered: int = 0) -> dict:
    """An agent's figures: the calls the agent took, and its time by state."""
    if not isinstance(calls, AgentCalls):
        calls = AgentCalls.of(calls, rang_unanswered)
    works = [p.seconds for p in periods if p.state == "WORKING"]
    states: dict[str, float] = defaultdict(float)
    breaks: dict[str, float] = defaultdict(float)
    for period in periods:
        states[period.state] += period.seconds
        if period.state == "BREAK":
            breaks[period.break_code or ""] += period.seconds
    signed_in = sum(seconds for state, seconds in states.items() if state != "OFFLINE")
    # Occupancy counts every call the agent was on (queue, outbound, internal): the
    # state log's TALKING time, beside its after-call work.
    busy = states.get("TALKING", 0.0) + states.get("WORKING", 0.0)
    talk, hold = _talk_and_hold(calls.talk_total, calls.hold_total, calls.talked,
                                calls.handled)
    work = _per_call(sum(works), calls.handled)
    return {
        "CallsHandled": calls.handled,
        "CallsRingNoAnswer": calls.rang_unanswered,
        "AverageWaitTime": _per_call(calls.wait_total, calls.handled),
        "AverageTalkTime": talk,
        "AverageHoldTime": hold,
        "AverageWorkTime": work,
        "AverageHandleTime": _handle(talk, hold, work),
        "TalkTime": round(calls.talk_total - min(calls.hold_total, calls.talk_total), 1),
        "HoldTime": round(calls.hold_total, 1),
        "WorkTime": round(sum(works), 1),
        "SignedInTime": round(signed_in, 1),
        "OccupancyRate": _ratio(busy, signed_in),
        "StateTime": {state: round(seconds, 1) for state, seconds in sorted(states.items())},
        "BreakTime": {code: round(seconds, 1) for code, seconds in sorted(breaks.items())},
    }
