"""The PBX side of agent states: queue memberships over AMI.

Only names the engine derived itself reach these actions: queue names from skill
group ids, interfaces from the agent's SIP user name, pause reasons that are
validated break codes or the reserved reasons.
"""
from __future__ import annotations

from typing import Any

from engine.agentstate.states import BREAK_CODE_RE, Membership
from engine.ami.client import AmiClient
from engine.validation import PBX_NAME_RE


def _name(value: str) -> str:
    # Defence in depth: every name here was derived by the engine; none may carry
    # AMI or dial-string syntax even if a rule upstream was broken.
    if not PBX_NAME_RE.fullmatch(value.removeprefix("PJSIP/")):
        raise ValueError(f"not a PBX name: {value!r}")
    return value


def membership_from(event: dict[str, Any]) -> Membership:
    """A QueueMember (QueueStatus) or QueueMember* event as a Membership."""
    interface = event.get("StateInterface") or event.get("Interface") or event.get("Location", "")
    return Membership(queue=event.get("Queue", ""), interface=interface,
                      paused=str(event.get("Paused", "0")) == "1",
                      reason=event.get("PausedReason") or event.get("Reason") or "",
                      status=int(event.get("Status") or 0),
                      in_call=str(event.get("InCall", "0")) == "1")


def member_name(event: dict[str, Any]) -> str:
    return event.get("MemberName") or event.get("Name") or ""


async def memberships(client: AmiClient, member: str | None = None) -> dict[str, list[Membership]]:
    """Every queue membership on the PBX (or one member's), by member name."""
    action = {"Action": "QueueStatus"}
    if member:
        action["Member"] = _name(member)
    found: dict[str, list[Membership]] = {}
    for event in await client.action(action):
        if event.get("Event") == "QueueMember":
            name = member_name(event)
            if member is None or name == member:
                found.setdefault(name, []).append(membership_from(event))
    return found


async def add(client: AmiClient, queue: str, interface: str, member: str, penalty: int) -> None:
    await client.action({"Action": "QueueAdd", "Queue": _name(queue),
                         "Interface": _name(interface), "MemberName": _name(member),
                         "StateInterface": _name(interface), "Penalty": str(int(penalty)),
                         "Paused": "false"})


async def remove(client: AmiClient, queue: str, interface: str) -> None:
    await client.action({"Action": "QueueRemove", "Queue": _name(queue),
                         "Interface": _name(interface)})


async def pause(client: AmiClient, interface: str, reason: str | None) -> None:
    """Pause the device in every queue with ``reason``, or unpause it (reason None)."""
    action = {"Action": "QueuePause", "Interface": _name(interface),
              "Paused": "false" if reason is None else "true"}
    if reason is not None:
        if not BREAK_CODE_RE.fullmatch(reason):
            raise ValueError(f"not a pause reason: {reason!r}")
        action["Reason"] = reason
    await client.action(action)
