"""An agent's state, derived from what the PBX says about it (pure: no I/O).

The PBX is the truth. Signing in is membership of the chosen skill groups' queues;
a break or after-call work is a pause of those memberships with a reason; ringing,
dialling and talking are what the agent's device is doing. So the state is a function
of the memberships (with their pause reasons and device status) and of the calls the
agent is placing, and can be rebuilt from the PBX at any time.

    OFFLINE   member of no queue (not signed in)
    READY     member, not paused, device idle: the only state offered queue calls
    BREAK     paused with a break code (RingingTimeout after a queue call rang out)
    WORKING   after-call work: paused for the skill group's wrap-up after a queue call
    RINGING   a call rings the agent's device
    DIALING   the agent places a call that is not answered yet
    TALKING   on a call
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class AgentState(StrEnum):
    OFFLINE = "OFFLINE"
    READY = "READY"
    BREAK = "BREAK"
    DIALING = "DIALING"
    RINGING = "RINGING"
    TALKING = "TALKING"
    WORKING = "WORKING"


# Pause reasons the engine gives the PBX. A break code is an identifier (below), so it
# can be handed to the PBX as it is; these two are reserved.
AFTER_CALL_WORK = "AfterCallWork"
RINGING_TIMEOUT = "RingingTimeout"
# What Asterisk's queue writes as the reason when it pauses a member whose ringing
# went unanswered (the queue's autopause).
PBX_AUTOPAUSE_REASON = "Auto-Pause"
RESERVED_CODES = (AFTER_CALL_WORK, RINGING_TIMEOUT)
BREAK_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")

# Asterisk's device states (as numbers in queue member events).
DEVICE_NOT_INUSE, DEVICE_INUSE, DEVICE_BUSY = 1, 2, 3
DEVICE_UNAVAILABLE, DEVICE_RINGING, DEVICE_RINGINUSE, DEVICE_ONHOLD = 5, 6, 7, 8
_TALKING = {DEVICE_INUSE, DEVICE_BUSY, DEVICE_RINGINUSE, DEVICE_ONHOLD}


@dataclass(frozen=True)
class Membership:
    """The agent in one queue, as the PBX reports it."""
    queue: str
    interface: str          # PJSIP/<endpoint>: the device the queue rings
    paused: bool = False
    reason: str = ""
    status: int = DEVICE_NOT_INUSE
    in_call: bool = False


@dataclass(frozen=True)
class Presence:
    state: AgentState
    break_code: str | None = None
    queues: tuple[str, ...] = ()
    interface: str | None = None

    def as_dict(self) -> dict:
        return {"state": self.state.value, "break_code": self.break_code,
                "queues": list(self.queues), "interface": self.interface}


OFFLINE = Presence(AgentState.OFFLINE)


def derive(memberships: list[Membership], dialing: bool = False,
           wrapping_up: bool = False) -> Presence:
    """The agent's state from its queue memberships and the calls it is placing.

    ``wrapping_up``: a queue call just ended and after-call work began, before the PBX
    reports the pause the engine asked for (so READY never shows in between).
    """
    if not memberships:
        return OFFLINE
    queues = tuple(sorted(m.queue for m in memberships))
    interface = memberships[0].interface
    statuses = {m.status for m in memberships}
    paused = [m for m in memberships if m.paused]

    def presence(state: AgentState, code: str | None = None) -> Presence:
        return Presence(state, code, queues, interface)

    if dialing:
        return presence(AgentState.DIALING)
    if statuses & {DEVICE_RINGING}:
        return presence(AgentState.RINGING)
    if statuses & _TALKING or any(m.in_call for m in memberships):
        return presence(AgentState.TALKING)
    if paused:
        # One agent, one pause: the engine pauses every membership alike.
        reason = paused[0].reason
        if reason == AFTER_CALL_WORK:
            return presence(AgentState.WORKING)
        if reason == PBX_AUTOPAUSE_REASON:
            return presence(AgentState.BREAK, RINGING_TIMEOUT)
        return presence(AgentState.BREAK, reason or None)
    if wrapping_up:
        return presence(AgentState.WORKING)
    return presence(AgentState.READY)
