"""Merging CDR rows into one call record: commutative and idempotent by construction.

A call produces several CDR rows (one per party pairing: every agent a queue rang, the
answered leg, ...). All share the call's linked id. Each field merges with a rule that
gives the same result whatever the order and however often a row is seen again, so a
journal replayed after an outage never double-counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from engine.calls.journal import CdrRow

COMPLETED_IN_IVR = "completed_in_ivr"
# Dispositions the merge derives from an answered inbound call (not the PBX's own).
DERIVED = ("abandoned", COMPLETED_IN_IVR)
# Rank of outcomes: a call answered on any leg is answered.
DISPOSITIONS = {"ANSWERED": "answered", "BUSY": "busy", "NO ANSWER": "no_answer",
                "FAILED": "failed", "CONGESTION": "failed"}
RANK = {"refused": 5, "answered": 4, "busy": 3, "no_answer": 2, "failed": 1}
REFUSALS = {
    "no_caller_id": "no number of this instance may call out "
                    "(400 numbers are inbound only; bind a landline to a skill group)",
    "no_trunk": "no carrier trunk is configured",
    "invalid_number": "not a number: only digits, with an optional leading +, may be dialled",
    "unknown_extension": "no agent of this instance has that extension",
    "not_in_service": "the number dialled is not in service",
    # The outbound decision's refusals (engine/compliance/rules.py).
    "not_permitted": "the number shown is not one of the agent's skill groups' "
                     "outbound numbers",
    "inbound_only": "a 400 number is inbound only: it never calls out",
    "concurrency": "the number already carries as many outbound calls as its supplier "
                   "allows at once",
    "outside_hours": "outside the supplier's calling hours",
    "blocked_region": "the callee's region is blocked by the number's supplier",
    "frequency_cap": "the callee was already called as often as the supplier allows",
    "compliance_unavailable": "the call could not be checked (the decision service or "
                              "its database did not answer), so it was not placed",
}
# An agent's channel: its SIP phone's (PJSIP/i1-1001-0000002a) or its workbench page's
# phone's (PJSIP/i1-1001-web-0000002a), whether a queue or a direct Dial rang it.
AGENT_CHANNEL = re.compile(r"^PJSIP/i\d+-(\d+)(?:-web)?-[0-9a-f]+$")
# The leg an attended transfer or a conference adds for an agent target: the engine
# originates Local/<extension>@ccc-iN-transfer, whose ';1' half stays in the call (its
# ';2' half, which dials the agent, keeps no record of its own). Outside numbers there
# have 7 digits or more, so 3-6 digits is always an agent's extension.
CONSULTED_AGENT = re.compile(r"^Local/([1-9][0-9]{2,5})@ccc-i\d+-transfer-[0-9a-f]+;1$")


@dataclass
class MergedCall:
    pbx_call_id: str
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str = "failed"   # the best outcome of any leg, as the PBX reported it
    direction: str | None = None
    instance_key: str | None = None
    number: str | None = None
    caller: str = ""
    callee: str = ""
    agent_extension: str | None = None
    # Every agent who talked with the caller -> when they began (the first one a queue
    # connected, then whoever the call was transferred or conferenced to).
    agents: dict[str, datetime] = field(default_factory=dict)
    refusal_reason: str | None = None
    # An inbound call the IVR sent to an outside number (through the trunk), answered there.
    answered_outside: bool = False
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def disposition(self) -> str:
        # An inbound call the PBX answered (IVR, queue) but nobody took was abandoned,
        # unless the flow itself ended it (an information line that plays and hangs
        # up): that one was completed in the IVR.
        if self.direction == "inbound" and self.outcome == "answered" \
                and not self.agent_extension and not self.answered_outside:
            return COMPLETED_IN_IVR if self.tags.get("end") == "ivr" else "abandoned"
        return self.outcome

    @property
    def billable_seconds(self) -> int:
        """Seconds from answer to end; every started second counts (as every started
        minute does on the bill), so a 60.4 s call is 61 s, never 60."""
        if self.answered_at is None or self.ended_at is None:
            return 0
        talk = self.ended_at - self.answered_at
        microseconds = (talk.days * 86400 + talk.seconds) * 1_000_000 + talk.microseconds
        return max(0, -(-microseconds // 1_000_000))


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(x for x in (a, b) if x is not None) if (a or b) else None


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(x for x in (a, b) if x is not None) if (a or b) else None


def agent_of(channel: str) -> str | None:
    match = AGENT_CHANNEL.match(channel)
    return match.group(1) if match else None


def _talked(call: MergedCall, extension: str | None, since: datetime | None) -> None:
    if extension and since is not None:
        call.agents[extension] = _earliest(call.agents.get(extension), since)


def _consulted_agent(row: CdrRow) -> str | None:
    """The agent a consultation or conference leg brought to the caller: counted once its
    leg was bridged with someone who is not an agent (a transfer completed, a conference
    joined), not for a consultation the agent cancelled."""
    match = CONSULTED_AGENT.match(row.channel)
    if match is None or row.disposition != "ANSWERED" or not row.dstchannel \
            or agent_of(row.dstchannel) is not None:
        return None
    return match.group(1)


def merge_row(call: MergedCall, row: CdrRow) -> MergedCall:
    call.started_at = _earliest(call.started_at, row.start)
    call.ended_at = _latest(call.ended_at, row.end)
    call.answered_at = _earliest(call.answered_at, row.answer)
    outcome = ("refused" if "refused" in row.userfield
               else DISPOSITIONS.get(row.disposition, "failed"))
    if RANK[outcome] > RANK[call.outcome]:
        call.outcome = outcome
    for key, value in row.userfield.items():
        call.tags.setdefault(key, value)
    tags = call.tags
    call.direction = tags.get("dir", call.direction)
    call.instance_key = tags.get("inst", call.instance_key)
    # Who talked, whatever the direction: a row may come before the one that tells it.
    answered_by = agent_of(row.dstchannel) if row.disposition == "ANSWERED" else None
    _talked(call, answered_by, row.answer or row.start)
    _talked(call, _consulted_agent(row), row.answer or row.start)
    if call.direction == "inbound":
        call.number = tags.get("num", call.number)
        call.callee = call.number or call.callee or row.dst
        # The caller is who the carrier's leg came from; an agent's or a Local leg in the
        # same call (a consultation, a conference) has the agent's extension as its source.
        if agent_of(row.channel) is None and not row.channel.startswith("Local/"):
            call.caller = min(filter(None, (call.caller, row.src)), default="")
        # The call's agent is the first who answered (ties by extension: order-free).
        if call.agents:
            call.agent_extension = min(call.agents, key=lambda e: (call.agents[e], e))
        # A leg answered by a channel that is not an agent's: the trunk, for an external
        # transfer (the PBX's own answer has no destination channel).
        if row.disposition == "ANSWERED" and row.dstchannel and answered_by is None:
            call.answered_outside = True
    elif call.direction == "outbound":
        if tags.get("num"):
            call.number = call.caller = tags["num"]  # the caller ID shown to the callee
        call.callee = call.callee or row.dst
        call.agent_extension = tags.get("agent") or call.agent_extension or agent_of(row.channel)
        _talked(call, call.agent_extension, row.start)
    elif call.direction == "internal":
        # One agent calls another by extension: both sides are extensions.
        call.caller = tags.get("agent") or call.caller
        call.callee = call.callee or row.dst
        call.agent_extension = tags.get("agent") or call.agent_extension
        _talked(call, call.agent_extension, row.start)
    if "refused" in tags:
        call.refusal_reason = REFUSALS.get(tags["refused"], tags["refused"])
    return call
