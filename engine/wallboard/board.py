"""The wallboard of one instance (pure: no I/O): what the PBX says now, with today's
figures from the journals.

The live part comes from the PBX, the truth for what is happening: the callers in
each skill group's queue and how long each has waited (QueueStatus' QueueEntry), the
agents' queue memberships (their state, derived as everywhere else by
``engine.agentstate.states.derive``) and their channels (the current call, its other
party and its duration). Today's CallsOffered, CallsHandled, CallsAbandoned and
ServiceLevel are ``engine.reports.metrics.Figures`` over today's ingested queue log,
exactly as the historical report computes them for the same day.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from engine.agentstate.pbx import member_name, membership_from
from engine.agentstate.states import AgentState, Membership, derive
from engine.callcontrol.pbx import LiveChannel
from engine.reports.metrics import Figures

STATES = tuple(state.value for state in AgentState)
# Today's figures the wallboard shows, named as in the historical report.
TODAY = ("CallsOffered", "CallsHandled", "CallsAbandoned", "ServiceLevel")
# Channel states (``core show channels``) of a device that placed a call not answered yet.
DIALING_CHANNEL_STATES = ("Ring", "Dialing")


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    queue: str
    service_level_seconds: int


@dataclass(frozen=True)
class Seat:
    """An agent of the instance, as the directory has it."""
    id: int
    extension: str
    name: str
    member: str                 # its SIP user name: the queue member's name
    group_ids: tuple[int, ...]


@dataclass(frozen=True)
class WaitingCaller:
    queue: str
    position: int
    caller: str
    seconds: int


def waiting_callers(events: list[dict]) -> list[WaitingCaller]:
    """The callers in the queues, from QueueStatus' QueueEntry events."""
    found = []
    for event in events:
        if event.get("Event") != "QueueEntry":
            continue
        found.append(WaitingCaller(queue=event.get("Queue", ""),
                                   position=_int(event.get("Position")),
                                   caller=event.get("CallerIDNum") or "",
                                   seconds=_int(event.get("Wait"))))
    return found


def memberships(events: list[dict]) -> dict[str, list[Membership]]:
    """Queue memberships by member name, from QueueStatus' QueueMember events."""
    found: dict[str, list[Membership]] = {}
    for event in events:
        if event.get("Event") == "QueueMember":
            found.setdefault(member_name(event), []).append(membership_from(event))
    return found


def _int(value) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def _number(value: str) -> str:
    # Asterisk shows an unknown number as "<unknown>" or "".
    return "" if not value or value.startswith("<") else value


def current_call(seat: Seat, channels: list[LiveChannel]) -> tuple[dict | None, bool]:
    """The agent's call now (other party's number, seconds) and whether the agent is
    placing a call not answered yet. Its devices are the SIP phone and the page's phone."""
    devices = {seat.member, seat.member + "-web"}
    mine = [c for c in channels if c.endpoint in devices]
    if not mine:
        return None, False
    channel = max(mine, key=lambda c: (bool(c.bridge), c.seconds))
    dialing = channel.state in DIALING_CHANNEL_STATES and not channel.bridge
    # The other party: the channel bridged with the agent's; before that (ringing),
    # the call's first channel (the caller's, whose id the whole call carries).
    peers = [c for c in channels if channel.bridge and c.bridge == channel.bridge
             and c.name != channel.name]
    first = [c for c in channels if channel.linked_id and c.unique_id == channel.linked_id
             and c.name != channel.name]
    candidates = [peers[0].caller_id if peers else "", first[0].caller_id if first else "",
                  channel.caller_id]
    if dialing and channel.exten.isascii() and channel.exten.removeprefix("+").isdigit():
        candidates.insert(0, channel.exten)  # the number the agent dialled
    other = next((n for n in map(_number, candidates)
                  if n and n not in (seat.member, seat.extension)), "")
    return {"Caller": other, "Seconds": channel.seconds,
            "Connected": bool(channel.bridge)}, dialing


def _agent_row(seat: Seat, groups: dict[int, Group], found: list[Membership],
               channels: list[LiveChannel], since: dict[int, tuple[str, datetime]],
               now: datetime) -> tuple[dict, dict[str, Membership]]:
    call, dialing = current_call(seat, channels)
    presence = derive(found, dialing=dialing)
    logged = since.get(seat.id)
    state_seconds = None
    if logged and logged[0] == presence.state.value:
        state_seconds = max(0, int((now - logged[1]).total_seconds()))
    by_queue = {m.queue: m for m in found}
    row = {"AgentId": seat.id, "Extension": seat.extension, "Name": seat.name,
           "State": presence.state.value, "BreakCode": presence.break_code,
           "StateDuration": state_seconds,
           "SkillGroups": [groups[g].name for g in seat.group_ids if g in groups],
           "SignedInSkillGroups": [groups[g].name for g in seat.group_ids
                                   if g in groups and groups[g].queue in by_queue],
           "Call": call}
    return row, by_queue


def _counts(rows: list[dict]) -> dict:
    states = Counter(row["State"] for row in rows)
    breaks = Counter(row["BreakCode"] or "" for row in rows
                     if row["State"] == AgentState.BREAK.value)
    return {"AgentsByState": {state: states.get(state, 0) for state in STATES},
            "BreakingAgentsByCode": dict(sorted(breaks.items())),
            "TotalAgents": len(rows),
            "LoggedInAgents": len(rows) - states.get(AgentState.OFFLINE.value, 0)}


def _waiting(callers: list[WaitingCaller]) -> dict:
    return {"WaitingCalls": len(callers),
            "LongestWaitingTime": max((c.seconds for c in callers), default=0)}


def _today(figures: Figures) -> dict:
    shown = figures.as_dict()
    return {name: shown[name] for name in TODAY}


def board(groups: list[Group], seats: list[Seat], found: dict[str, list[Membership]],
          callers: list[WaitingCaller], channels: list[LiveChannel],
          today: dict[int, Figures], since: dict[int, tuple[str, datetime]],
          now: datetime) -> dict:
    """The instance's wallboard: the instance as a whole, each skill group, each agent.

    ``found``: memberships by member name (of any instance: only the seats' are read);
    ``callers``: the queues' callers (only the groups' queues are read); ``today``:
    Figures by skill group id; ``since``: each agent's last logged (state, time).
    """
    by_id = {g.id: g for g in groups}
    queues = {g.queue: g for g in groups}
    mine = [c for c in callers if c.queue in queues]
    agents, signed_in = [], {}
    for seat in seats:
        row, by_queue = _agent_row(seat, by_id, found.get(seat.member, []), channels,
                                   since, now)
        agents.append(row)
        signed_in[seat.id] = by_queue
    total = sum(today.values(), Figures())
    instance = {**_waiting(mine), **_counts(agents), **_today(total)}
    rows = []
    for group in groups:
        members = [(seat, row) for seat, row in zip(seats, agents, strict=True)
                   if group.id in seat.group_ids]
        # In a group an agent not signed in to that group's queue is OFFLINE there,
        # whatever it does in its other groups.
        group_rows = [row if group.queue in signed_in[seat.id]
                      else {**row, "State": AgentState.OFFLINE.value, "BreakCode": None}
                      for seat, row in members]
        rows.append({"SkillGroupId": group.id, "SkillGroupName": group.name,
                     "ServiceLevelSeconds": group.service_level_seconds,
                     **_waiting([c for c in mine if c.queue == group.queue]),
                     **_counts(group_rows), **_today(today.get(group.id, Figures()))})
    waiting = [{"SkillGroupName": queues[c.queue].name, "Position": c.position,
                "Caller": c.caller, "WaitingTime": c.seconds}
               for c in sorted(mine, key=lambda c: -c.seconds)]
    return {"Summary": instance, "SkillGroups": rows, "Agents": agents,
            "WaitingCallers": waiting}
