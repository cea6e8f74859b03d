"""The outbound decision: may this agent call this callee now, showing this number?

Asked by the PBX (over FastAGI) before every outbound call: the softphone's, the
workbench's, an agent's transfer and the IVR's transfer to an outside number alike.
It is on every call's path, so its database work is one read and one insert, in Core
statements on a plain connection (no ORM session, no objects loaded): the read brings
every fact at once (the number, whether the agent's skill groups may show it, its
supplier's policy, the account's industry, this number's recent calls to the callee
and its last call count); the pure rules judge; the insert keeps the attempt, so the
caps of the next call count this one. The number's live calls are counted by the PBX
and passed in.

Check and record are atomic through ``seq``: an allowed attempt claims the next count
of the number's calls to the callee, under a unique index. Two decisions racing for one
callee read the same count; the second insert fails and that call is decided again,
now seeing the first (``decide_committed``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, exists, func, insert, select, true
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from engine.accounts.industry import industry_of
from engine.agents.models import Agent, AgentSkillGroup
from engine.compliance.models import OutboundAttempt
from engine.compliance.regions import callee_key, callee_regions
from engine.compliance.rules import Call, Refusal, refusal
from engine.errors import DomainError
from engine.numbers.models import Number, NumberSkillGroup
from engine.suppliers.models import Supplier
from engine.suppliers.service import policy_of

# Every cap looks back at most 48 hours, or to the start of the supplier's calendar
# day (at most 25 hours back on a change of clocks): the read brings no older calls.
HISTORY = timedelta(hours=49)
ATTEMPTS = 3  # a decision that loses its race this often fails (and so refuses)

number, supplier, attempt = Number.__table__, Supplier.__table__, OutboundAttempt.__table__
counted = attempt.alias("counted")


@dataclass(frozen=True)
class Decision:
    refusal: Refusal | None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


class Contended(DomainError):
    """Decisions for one callee kept racing: no decision, so the call is refused."""


def _permitted(by_agent: bool):
    """The agent's skill groups may show the number. A call with no agent on it (a
    caller transferred to an outside number, by an agent or by the IVR) may use any
    number of the instance: the instance is checked for every call."""
    if not by_agent:
        return true()
    return exists().where(
        NumberSkillGroup.number_id == number.c.id,
        AgentSkillGroup.skill_group_id == NumberSkillGroup.skill_group_id,
        Agent.id == AgentSkillGroup.agent_id, Agent.instance_id == bindparam("instance_id"),
        Agent.extension == bindparam("agent"))


def _facts(by_agent: bool):
    """The one read: a row per recent counted call (one row with none: outer join)."""
    callee = bindparam("callee")
    last_seq = select(func.max(attempt.c.seq)).where(
        attempt.c.number_id == number.c.id, attempt.c.callee == callee).scalar_subquery()
    return (
        select(number.c.id, number.c.type, number.c.instance_id, number.c.marketing,
               number.c.supplier_id, supplier.c.time_zone, supplier.c.calling_hours,
               supplier.c.calls_per_day, supplier.c.calls_per_24h, supplier.c.calls_per_48h,
               supplier.c.blocked_regions, supplier.c.concurrency,
               supplier.c.refused_industries,
               industry_of(number.c.account_id).label("industry"),
               _permitted(by_agent).label("permitted"),
               last_seq.label("last_seq"), counted.c.at)
        .select_from(number.outerjoin(supplier, supplier.c.id == number.c.supplier_id)
                     .outerjoin(counted, and_(counted.c.number_id == number.c.id,
                                              counted.c.callee == callee,
                                              counted.c.seq.is_not(None),
                                              counted.c.at >= bindparam("since"))))
        .where(number.c.digits == bindparam("caller_id")))


# Built once: the decision only binds values.
FACTS = {True: _facts(True), False: _facts(False)}
RECORD = insert(attempt)


def judge(rows, instance_id: int, callee: str, live_calls: int,
          now: datetime) -> Refusal | None:
    """The first rule the call breaks, or None, from the read's rows."""
    first = rows[0] if rows else None
    if first is None or first.instance_id != instance_id or not first.permitted:
        return Refusal.NOT_PERMITTED
    if not first.type.can_call_out:
        return Refusal.INBOUND_ONLY
    policy = policy_of(first if first.supplier_id is not None else None)
    earlier = tuple(row.at for row in rows if row.at is not None)
    return refusal(policy, Call(now=now, live_calls=live_calls, earlier=earlier,
                                regions=callee_regions(callee), marketing=first.marketing,
                                industry=first.industry))


def decide_outbound(connection: Connection, instance_id: int, agent_extension: str | None,
                    caller_id: str, callee: str, live_calls: int,
                    now: datetime) -> Decision:
    """Judge one outbound call and keep it (allowed or refused) for the caps, in the
    caller's transaction; an IntegrityError means another decision for the callee
    won the race (decide again in a new transaction).

    ``connection``: a Connection or a Session (both run Core statements);
    ``caller_id``: the number the call would show; ``live_calls``: that number's
    outbound calls up on the PBX, this one included; ``now``: naive UTC.
    """
    key = callee_key(callee)
    rows = connection.execute(FACTS[agent_extension is not None], {
        "caller_id": caller_id, "callee": key, "instance_id": instance_id,
        "agent": agent_extension, "since": now - HISTORY}).all()
    reason = judge(rows, instance_id, callee, live_calls, now)
    if rows and rows[0].instance_id == instance_id:
        connection.execute(RECORD, {
            "number_id": rows[0].id, "instance_id": instance_id, "callee": key, "at": now,
            "agent_extension": agent_extension, "refusal": reason.value if reason else None,
            "seq": None if reason else (rows[0].last_seq or 0) + 1})
    return Decision(reason)


def decide_committed(engine: Engine, *args) -> Decision:
    """``decide_outbound`` in its own transaction, decided again when it lost a race."""
    for _ in range(ATTEMPTS):
        try:
            with engine.begin() as connection:
                return decide_outbound(connection, *args)
        except IntegrityError:
            continue
    raise Contended(f"outbound decision lost its race {ATTEMPTS} times")
