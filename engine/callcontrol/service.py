"""Call control for agents: one service behind the workbench page, the API and the CLI.

Operations carry the names call-center users know (MakeCall, ReleaseCall,
BlindTransfer). The acting agent never names a channel: the service finds the agent's
own call among the PBX's live channels (by the agent's own device names), so nobody
can act on another agent's call. Targets are checked here, in the engine: an agent's
extension or a skill group of the same instance (NotFound otherwise), a plain number;
the PBX gets only names the engine derived (contexts per instance, extensions from
validated digits or group ids).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import validation
from engine import variables as var
from engine.agents.models import Agent
from engine.agents.service import find_agent
from engine.ami.client import ami_session
from engine.callcontrol import pbx
from engine.callcontrol.models import CallNote
from engine.calls.models import CallRecord
from engine.calls.service import talked_on
from engine.errors import Conflict, Invalid, NotFound
from engine.numbers.service import caller_id_numbers
from engine.settings import Settings
from engine.skillgroups.models import SkillGroup

TRANSFER_KINDS = ("agent", "skill_group", "number")
HISTORY_LIMIT = 50


def _devices(agent: Agent) -> set[str]:
    """The endpoints an agent's calls run on: its SIP phone and the page's phone."""
    return {agent.sip_username, f"{agent.sip_username}-web"}


def caller_ids(session: Session, agent: Agent) -> list[str]:
    """The numbers the agent may show when calling out: those its skill groups may call
    out with (a 400 number never calls out)."""
    numbers = caller_id_numbers(session, [m.skill_group_id for m in agent.memberships])
    return [n.digits for n in numbers if n.instance_id == agent.instance_id]


def _number(value) -> str:
    if not isinstance(value, str) or not validation.DIAL_NUMBER_RE.fullmatch(value):
        raise Invalid("a phone number is 3 to 20 digits, with an optional leading +",
                      fields={"number": "3 to 20 digits, an optional leading +"})
    return value


def make_call(session: Session, settings: Settings, agent: Agent, number,
              caller_id: str | None = None, device: str | None = None) -> str:
    """MakeCall (click-to-dial): ring the agent's phone, then call ``number`` showing
    ``caller_id`` (one of ``caller_ids``; the first when not given). Returns it."""
    number = _number(number)
    allowed = caller_ids(session, agent)
    if not allowed:
        raise Conflict("no number of this agent's skill groups may call out",
                       fields={"caller_id": "no number may call out (a 400 number never does)"})
    chosen = caller_id if caller_id is not None else allowed[0]
    if chosen not in allowed:
        raise Invalid(f"{chosen!r} is not a number this agent may call out with",
                      fields={"caller_id": "choose one of the agent's outbound numbers"})
    endpoint = agent.sip_username + ("-web" if device == "web" else "")
    context = f"ccc-{agent.instance.pbx_key}-from-{chosen.lstrip('+')}"

    async def work(client):
        await pbx.originate(client, f"PJSIP/{endpoint}", context, number)
    ami_session(settings, work)
    return chosen


@dataclass(frozen=True)
class AgentCall:
    """The agent's leg of a call, and the other party's (None while not connected)."""
    mine: pbx.LiveChannel
    other: pbx.LiveChannel | None


def _current(channels: list[pbx.LiveChannel], agent: Agent) -> AgentCall:
    devices = _devices(agent)
    mine = [c for c in channels if c.endpoint in devices]
    if not mine:
        raise Conflict(f"agent {agent.extension} is on no call")
    leg = next((c for c in mine if c.bridge), mine[0])
    other = next((c for c in channels if c.bridge and c.bridge == leg.bridge
                  and c.name != leg.name), None)
    return AgentCall(leg, other)


def answer_call(settings: Settings, agent: Agent) -> None:
    """AnswerCall: the agent's ringing phone answers (the page's phone always; a SIP
    phone when it allows remote answer). Conflict when no call rings for the agent."""
    devices = _devices(agent)

    async def work(client):
        ringing = {c.endpoint for c in await pbx.channels(client)
                   if c.endpoint in devices and c.state == "Ringing"}
        if not ringing:
            raise Conflict(f"no call rings for agent {agent.extension}")
        for endpoint in sorted(ringing):
            await pbx.remote_answer(client, endpoint)
    ami_session(settings, work)


def agent_call(channels: list[pbx.LiveChannel], agent: Agent) -> AgentCall:
    """The agent's own call among these live channels (Conflict when it has none)."""
    return _current(channels, agent)


def current_call(settings: Settings, agent: Agent) -> AgentCall:
    async def work(client):
        return _current(await pbx.channels(client), agent)
    return ami_session(settings, work)


def release_call(settings: Settings, agent: Agent) -> None:
    """ReleaseCall: hang up the agent's call (its own leg; the PBX ends the rest)."""
    async def work(client):
        call = _current(await pbx.channels(client), agent)
        await pbx.hang_up(client, call.mine.name)
    ami_session(settings, work)


def transfer_target(session: Session, agent: Agent, kind: str, target) -> str:
    """The extension of the instance's transfer context for a blind transfer target."""
    if kind not in TRANSFER_KINDS:
        raise Invalid("transfer to an agent, a skill group or a number",
                      fields={"kind": "agent, skill_group or number"})
    if kind == "number":
        return _number(target)
    if kind == "agent":
        if not isinstance(target, str) or not validation.EXTENSION_RE.fullmatch(target):
            raise NotFound("no such agent in this instance")
        other = find_agent(session, agent.instance, target)
        if other is None or other.id == agent.id:
            raise NotFound("no such agent in this instance")
        return other.extension
    group = session.get(SkillGroup, target) if isinstance(target, int) \
        and not isinstance(target, bool) else None
    if group is None or group.instance_id != agent.instance_id:
        raise NotFound("no such skill group in this instance")
    return f"q{group.id}"


def blind_transfer(session: Session, settings: Settings, agent: Agent, kind: str,
                   target) -> None:
    """BlindTransfer: the other party goes to the target; the agent's leg ends."""
    exten = transfer_target(session, agent, kind, target)
    context = f"ccc-{agent.instance.pbx_key}-transfer"

    async def work(client):
        call = _current(await pbx.channels(client), agent)
        if call.other is None:
            raise Conflict(f"agent {agent.extension} is not connected to anyone to transfer")
        await pbx.redirect(client, call.other.name, context, exten)
    ami_session(settings, work)


@dataclass(frozen=True)
class CallInfo:
    """The pop-up of the agent's ringing or current call."""
    caller: str
    dialled: str
    waited_seconds: int
    ivr_path: list[dict]  # {"node": node id, "keys": the menu keys pressed there}
    ivr_variables: dict[str, str]
    earlier: list[CallRecord]
    pbx_call_id: str = ""  # what notes on this call are filed under


def call_info(session: Session, settings: Settings, agent: Agent) -> CallInfo:
    """Who calls the agent, the number they dialled, how long they have been in the call
    center, where they went in the IVR and what it gathered, and their earlier calls."""
    from engine.agi.actions import decode_variables
    from engine.ivr.interpreter import FlowError

    async def work(client):
        channels = await pbx.channels(client)
        call = _current(channels, agent)
        customer = call.other
        if customer is None:  # still ringing: the caller is the agent leg's linked channel
            linked = (await pbx.detail(client, call.mine.name)).linked_id
            customer = next((c for c in channels if c.unique_id and c.unique_id == linked
                             and c.name != call.mine.name), None)
        if customer is None:
            return call.mine, None, None
        return call.mine, customer, await pbx.detail(client, customer.name)
    mine, customer, found = ami_session(settings, work)
    if customer is None:
        return CallInfo(mine.caller_id, "", 0, [], {}, [], "")
    try:
        variables = decode_variables(found.variables.get(var.FLOW_VARIABLES))
    except FlowError:
        variables = {}
    steps = (validation.IVR_STEP_RE.fullmatch(s)
             for s in found.variables.get(var.IVR_PATH, "").split("/"))
    path = [{"node": s.group(1), "keys": s.group(2) or ""} for s in steps if s]
    caller = customer.caller_id
    earlier = list(session.scalars(
        select(CallRecord).where(CallRecord.instance_id == agent.instance_id,
                                 CallRecord.caller == caller)
        .order_by(CallRecord.started_at.desc()).limit(5))) if caller else []
    dialled = found.dnid or customer.exten
    return CallInfo(caller, dialled if validation.DIAL_NUMBER_RE.fullmatch(dialled) else "",
                    customer.seconds, path, variables, earlier,
                    found.linked_id or customer.unique_id)


NOTE_MAX = 2000


def add_note(session: Session, settings: Settings, agent: Agent, pbx_call_id, text) -> CallNote:
    """The agent writes a note on one of its calls: the one it is on now, or one of its
    recorded calls. Any other call id is NotFound (no telling whether it exists)."""
    if not isinstance(text, str) or not text.strip() or len(text) > NOTE_MAX:
        raise Invalid(f"a note has 1 to {NOTE_MAX} characters",
                      fields={"text": f"1 to {NOTE_MAX} characters"})
    if not isinstance(pbx_call_id, str) or not 0 < len(pbx_call_id) <= 64:
        raise NotFound("no such call of this agent")
    recorded = session.scalar(select(CallRecord.id).where(
        CallRecord.pbx_call_id == pbx_call_id, CallRecord.instance_id == agent.instance_id,
        or_(CallRecord.agent_extension == agent.extension, talked_on(agent.extension))))
    if recorded is None:
        try:
            current = call_info(session, settings, agent).pbx_call_id
        except Conflict:
            current = ""
        if current != pbx_call_id:
            raise NotFound("no such call of this agent")
    note = CallNote(pbx_call_id=pbx_call_id, instance_id=agent.instance_id,
                    agent_id=agent.id, text=text.strip())
    session.add(note)
    session.flush()
    return note


def notes_of(session: Session, agent: Agent, pbx_call_ids: list[str]) -> dict[str, list[str]]:
    """The agent's notes on these calls, oldest first."""
    found: dict[str, list[str]] = {}
    if pbx_call_ids:
        for note in session.scalars(select(CallNote).where(
                CallNote.agent_id == agent.id, CallNote.pbx_call_id.in_(pbx_call_ids))
                .order_by(CallNote.id)):
            found.setdefault(note.pbx_call_id, []).append(note.text)
    return found


def start_attended_transfer(session: Session, settings: Settings, agent: Agent, kind: str,
                            target) -> None:
    """InitiateAttendedTransfer: the other party waits with music on hold while the agent
    talks to the target. Then CompleteAttendedTransfer or CancelAttendedTransfer."""
    exten = transfer_target(session, agent, kind, target)
    key = agent.instance.pbx_key

    async def work(client):
        call = _current(await pbx.channels(client), agent)
        if call.other is None:
            raise Conflict(f"agent {agent.extension} is not connected to anyone to transfer")
        await pbx.move_both(client, call.other.name, f"h{agent.extension}", call.mine.name,
                            f"w{agent.extension}", f"ccc-{key}-conference")
        await pbx.originate_bridged(client, f"ccc-{key}-transfer", exten, call.mine.name)
    ami_session(settings, work)


@dataclass(frozen=True)
class Consultation:
    held: pbx.LiveChannel            # the caller, on hold
    agent: pbx.LiveChannel           # the agent's leg
    target: pbx.LiveChannel | None   # the target's leg (None: not answered yet)


def _consultation(channels: list[pbx.LiveChannel], agent: Agent) -> Consultation:
    context = f"ccc-{agent.instance.pbx_key}-conference"
    held = next((c for c in channels if c.context == context
                 and c.exten == f"h{agent.extension}"), None)
    mine = next((c for c in channels if c.endpoint in _devices(agent)), None)
    if held is None or mine is None:
        raise Conflict(f"agent {agent.extension} is not consulting a transfer target")
    target = next((c for c in channels if mine.bridge and c.bridge == mine.bridge
                   and c.name != mine.name), None)
    return Consultation(held, mine, target)


# How long the target's leg may take to leave the consultation for the waiting extension
# (the PBX moves it on its own thread after the Redirect is accepted).
ASIDE_POLLS, ASIDE_POLL_SECONDS = 40, 0.05


async def _aside(client, found: Consultation, conference: str, waiting: str) -> str:
    """Take the target's device leg out of the consultation to wait in the dialplan, as
    the held caller does; return its name once it waits there.

    Bridging a device's leg straight out of the consultation's bridge with the caller
    left the PBX sending it nothing of the caller (a browser phone heard silence from
    then on, while the caller heard it); two channels that both wait in the dialplan
    are bridged as a retrieve bridges them, and that works. A Local half still in the
    consultation (the pair not yet optimised away) is bridged as it is: it runs the
    originated Bridge application, and taken out of it, it would hang up."""
    await pbx.redirect_aside(client, found.target.name, conference, waiting)
    for _ in range(ASIDE_POLLS):
        aside = next((c for c in await pbx.channels(client)
                      if c.name == found.target.name), None)
        if aside is None:
            raise Conflict("the transfer target hung up")
        if aside.context == conference and aside.exten == waiting and not aside.bridge:
            return aside.name
        await asyncio.sleep(ASIDE_POLL_SECONDS)
    return found.target.name


def complete_attended_transfer(settings: Settings, agent: Agent) -> None:
    """CompleteAttendedTransfer: the caller and the target talk; the agent leaves."""
    conference = f"ccc-{agent.instance.pbx_key}-conference"

    async def work(client):
        found = _consultation(await pbx.channels(client), agent)
        if found.target is None:
            raise Conflict("the transfer target has not answered yet")
        target = found.target.name
        if not target.startswith("Local/"):
            target = await _aside(client, found, conference, f"w{agent.extension}")
        await pbx.bridge(client, found.held.name, target)
        await pbx.hang_up(client, found.agent.name)
    ami_session(settings, work)


def cancel_attended_transfer(settings: Settings, agent: Agent) -> None:
    """CancelAttendedTransfer: the target's leg ends; the agent is back with the caller."""
    async def work(client):
        found = _consultation(await pbx.channels(client), agent)
        await pbx.bridge(client, found.held.name, found.agent.name)
        if found.target is not None:
            await pbx.hang_up(client, found.target.name)
    ami_session(settings, work)


def hold_call(settings: Settings, agent: Agent) -> None:
    """HoldCall: the other party hears music on hold; the agent's phone stays connected
    (for a SIP phone beside the page; the page's own phone holds by itself)."""
    conference = f"ccc-{agent.instance.pbx_key}-conference"

    async def work(client):
        call = _current(await pbx.channels(client), agent)
        if call.other is None:
            raise Conflict(f"agent {agent.extension} is not connected to anyone")
        await pbx.move_both(client, call.other.name, f"h{agent.extension}", call.mine.name,
                            f"w{agent.extension}", conference)
    ami_session(settings, work)


def retrieve_call(settings: Settings, agent: Agent) -> None:
    """RetrieveCall: the agent talks to the party it put on hold again."""
    async def work(client):
        found = _consultation(await pbx.channels(client), agent)
        if found.target is not None:
            raise Conflict("a transfer target is on the line: complete or cancel the transfer")
        await pbx.bridge(client, found.held.name, found.agent.name)
    ami_session(settings, work)


def start_conference(session: Session, settings: Settings, agent: Agent, kind: str,
                     target) -> None:
    """StartConference: the agent, the other party and the target talk together. The
    conference ends when the agent leaves."""
    exten = transfer_target(session, agent, kind, target)
    key = agent.instance.pbx_key
    conference = f"ccc-{key}-conference"

    async def work(client):
        call = _current(await pbx.channels(client), agent)
        if call.other is None:
            raise Conflict(f"agent {agent.extension} is not connected to anyone")
        await pbx.move_both(client, call.other.name, f"m{agent.extension}", call.mine.name,
                            f"a{agent.extension}", conference)
        await pbx.originate_into(client, f"ccc-{key}-transfer", exten, conference,
                                 f"m{agent.extension}")
    ami_session(settings, work)


def history(session: Session, agent: Agent, limit: int = HISTORY_LIMIT) -> list[CallRecord]:
    """The agent's own calls, newest first (answered, refused, missed), and the calls
    transferred or conferenced to it."""
    return list(session.scalars(
        select(CallRecord).where(CallRecord.instance_id == agent.instance_id,
                                 or_(CallRecord.agent_extension == agent.extension,
                                     talked_on(agent.extension)))
        .order_by(CallRecord.started_at.desc(), CallRecord.id.desc()).limit(limit)))
