"""The outbound decision: may this agent call this callee now, showing this number?

Asked by the PBX (over FastAGI) before every outbound call, the softphone's and the
workbench's alike. It reads the facts (the agent's skill groups, the number and its
supplier's policy, the callee's region, this number's earlier calls to the callee),
lets the pure rules judge, and writes the attempt in the same transaction, so the
frequency caps of the next call count this one. The number's live calls are counted
by the PBX itself and passed in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.agents.models import Agent, AgentSkillGroup
from engine.compliance.models import OutboundAttempt
from engine.compliance.regions import callee_key, callee_regions
from engine.compliance.rules import Call, Refusal, history_since, refusal
from engine.numbers.models import Number, NumberSkillGroup
from engine.suppliers.service import policy_of


@dataclass(frozen=True)
class Decision:
    refusal: Refusal | None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def _permitted(session: Session, number: Number, instance_id: int,
               agent_extension: str | None) -> bool:
    """The number is the instance's and bound to one of the agent's skill groups. A
    call with no agent on it (a caller an agent transferred to an outside number) may
    use any number of the instance that calls out."""
    if number.instance_id != instance_id:
        return False
    if agent_extension is None:
        return True
    return session.scalar(
        select(NumberSkillGroup.number_id)
        .join(AgentSkillGroup, AgentSkillGroup.skill_group_id == NumberSkillGroup.skill_group_id)
        .join(Agent, Agent.id == AgentSkillGroup.agent_id)
        .where(NumberSkillGroup.number_id == number.id, Agent.instance_id == instance_id,
               Agent.extension == agent_extension).limit(1)) is not None


def _earlier_calls(session: Session, number: Number, callee: str,
                   since: datetime | None) -> tuple[datetime, ...]:
    if since is None:
        return ()
    return tuple(session.scalars(
        select(OutboundAttempt.at).where(OutboundAttempt.number_id == number.id,
                                         OutboundAttempt.callee == callee,
                                         OutboundAttempt.refusal.is_(None),
                                         OutboundAttempt.at >= since)))


def judge(session: Session, number: Number | None, instance_id: int,
          agent_extension: str | None, callee: str, live_calls: int,
          now: datetime) -> Refusal | None:
    """The first rule the call breaks, or None (reads only)."""
    if number is None or not _permitted(session, number, instance_id, agent_extension):
        return Refusal.NOT_PERMITTED
    if not number.type.can_call_out:
        return Refusal.INBOUND_ONLY
    policy = policy_of(number.supplier)
    earlier = _earlier_calls(session, number, callee_key(callee), history_since(policy, now))
    return refusal(policy, Call(now=now, live_calls=live_calls, earlier=earlier,
                                regions=callee_regions(callee)))


def decide_outbound(session: Session, instance_id: int, agent_extension: str | None,
                    caller_id: str, callee: str, live_calls: int,
                    now: datetime) -> Decision:
    """Judge one outbound call and keep it (allowed or refused) for the caps.

    ``caller_id``: the number the call would show; ``live_calls``: that number's
    outbound calls up on the PBX, this one included; ``now``: naive UTC.
    """
    number = session.scalar(select(Number).where(Number.digits == caller_id))
    reason = judge(session, number, instance_id, agent_extension, callee, live_calls, now)
    if number is not None and number.instance_id == instance_id:
        session.add(OutboundAttempt(number_id=number.id, instance_id=instance_id,
                                    callee=callee_key(callee), at=now,
                                    agent_extension=agent_extension,
                                    refusal=reason.value if reason else None))
        session.flush()
    return Decision(reason)
