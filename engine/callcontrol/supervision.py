"""Supervision of live calls: listen, whisper (coach the agent), barge, take over.

The supervisor works from a seat of the instance (their own, unless they own the account):
its SIP phone or the workbench page's phone rings, and once answered the PBX's fixed
supervise context of the instance runs ChanSpy on the agent's leg. The call is named by
the agent who is on it; the engine finds that agent's leg among the PBX's live channels,
so the PBX only ever gets a channel name it read back itself, the instance's own context
and a fixed mode. A take-over hands the caller to the supervisor's phones through the
instance's transfer context; the agent's leg ends.

Each act is written to the supervision log; the supervisor's leg reports when it was
answered and when it ended (the ``supervision`` FastAGI route), which gives the duration.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import access, validation
from engine.accounts.models import User
from engine.agents.models import Agent
from engine.agents.service import find_agent
from engine.ami.client import ami_session
from engine.callcontrol import pbx
from engine.callcontrol.models import SupervisionLog, SupervisionMode
from engine.callcontrol.service import agent_call
from engine.db import utcnow
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.instances.models import Instance
from engine.messages import N_
from engine.settings import Settings
from engine.variables import SUPERVISION, SUPERVISION_ENDED, SUPERVISION_STARTED

MODES = tuple(m.value for m in SupervisionMode)
DEVICES = ("sip", "web")
LOG_LIMIT = 200
# A supervisor's phone rings up to 30 s (originate_spy) before its leg is in the
# supervise context: a row not answered and younger than this may have a leg that is
# not there yet.
LEG_GRACE = timedelta(seconds=60)
SUPERVISE_CONTEXT_RE = re.compile(r"^ccc-i[0-9]{1,9}-supervise$")


@dataclass(frozen=True)
class LiveCall:
    """An agent's connected call, as the supervision page lists it."""
    agent_extension: str
    agent_name: str
    caller: str
    seconds: int
    device: str  # "sip" or "web": which of the agent's phones is on the call


def _check(session: Session, actor: User | None, instance: Instance) -> None:
    if actor is not None:
        access.check_supervise(session, actor, instance)


def _seat(session: Session, instance: Instance, extension, field: str) -> Agent:
    """An agent of this instance by extension; anything else (another instance's, a
    dial string) is not found."""
    agent = None
    if isinstance(extension, str) and validation.EXTENSION_RE.fullmatch(extension):
        agent = find_agent(session, instance, extension)
    if agent is None:
        raise NotFound(N_("no such agent in this instance"),
                       fields={field: N_("an agent's extension in this instance")})
    return agent


def supervisor_seats(session: Session, actor: User | None, instance: Instance) -> list[Agent]:
    """The seats the actor may supervise from: their own in the instance (every seat for
    the account's owner and the operator)."""
    _check(session, actor, instance)
    query = select(Agent).where(Agent.instance_id == instance.id)
    if actor is not None and actor.role not in access.ACCOUNT_ROLES:
        query = query.where(Agent.user_id == actor.id)
    return list(session.scalars(query.order_by(Agent.extension)))


def live_calls(session: Session, settings: Settings, actor: User | None,
               instance: Instance) -> list[LiveCall]:
    """The instance's agents who are connected to someone now, longest call first."""
    _check(session, actor, instance)
    agents = list(session.scalars(select(Agent).where(Agent.instance_id == instance.id)))

    async def work(client):
        return await pbx.channels(client)
    channels = ami_session(settings, work)
    found = []
    for agent in agents:
        try:
            call = agent_call(channels, agent)
        except Conflict:
            continue
        if call.other is not None:
            device = "web" if call.mine.endpoint.endswith("-web") else "sip"
            found.append(LiveCall(agent.extension, agent.name, call.other.caller_id,
                                  call.mine.seconds, device))
    return sorted(found, key=lambda c: (-c.seconds, c.agent_extension))


def supervise(session: Session, settings: Settings, actor: User | None, instance: Instance,
              mode, agent_extension, supervisor_extension, device="sip") -> SupervisionLog:
    """Listen to, whisper to, barge into or take over the call of the agent with
    ``agent_extension``, from the seat ``supervisor_extension`` (its SIP phone, or its
    page's phone with ``device`` "web"). Returns the log row of the act."""
    _check(session, actor, instance)
    errors = validation.FieldErrors()
    if mode not in MODES:
        errors.add("mode", N_("the mode is listen, whisper, barge or takeover"))
    if device not in DEVICES:
        errors.add("device", N_("the device is sip or web"))
    errors.raise_if_any()
    agent = _seat(session, instance, agent_extension, "agent")
    supervisor = _seat(session, instance, supervisor_extension, "supervisor")
    if actor is not None and actor.role not in access.ACCOUNT_ROLES \
            and supervisor.user_id != actor.id:
        raise Forbidden(N_("a supervisor supervises from their own seat"))
    if supervisor.id == agent.id:
        raise Invalid(N_("a supervisor cannot supervise their own call"),
                      fields={"supervisor": N_("another agent than the one supervised")})
    row = SupervisionLog(instance_id=instance.id, user_id=actor.id if actor else None,
                         user_name=actor.name if actor else "", mode=SupervisionMode(mode),
                         supervisor_extension=supervisor.extension,
                         agent_extension=agent.extension, pbx_call_id="")
    session.add(row)
    session.flush()  # the id the supervisor's leg reports to
    key = instance.pbx_key

    async def work(client):
        call = agent_call(await pbx.channels(client), agent)
        if call.other is None:
            raise Conflict(N_("agent %(extension)s is not connected to anyone",
                              extension=agent.extension))
        linked = (await pbx.detail(client, call.mine.name)).linked_id
        if row.mode is SupervisionMode.TAKEOVER:
            await _take_over(client, key, call, supervisor)
        else:
            endpoint = supervisor.sip_username + ("-web" if device == "web" else "")
            await pbx.originate_spy(client, f"PJSIP/{endpoint}", f"ccc-{key}-supervise",
                                    mode, call.mine.name, row.id)
        return linked
    linked = ami_session(settings, work)
    row.pbx_call_id = linked[:64] if isinstance(linked, str) else ""
    if row.mode is SupervisionMode.TAKEOVER:
        # One instant: from now on the call is the supervisor's own (its call record).
        row.started_at = row.ended_at = utcnow()
    session.flush()
    return row


async def _take_over(client, key: str, call, supervisor: Agent) -> None:
    """The caller goes to the supervisor's phones; the agent's leg ends. A supervisor
    still listening from one of them hangs up that leg first, so the phone is free."""
    devices = {supervisor.sip_username, f"{supervisor.sip_username}-web"}
    for channel in await pbx.channels(client):
        if channel.endpoint in devices and channel.context == f"ccc-{key}-supervise":
            await pbx.hang_up(client, channel.name)
    await pbx.redirect(client, call.other.name, f"ccc-{key}-transfer", supervisor.extension)


def record_leg(session: Session, log_id, event: str, context: str, at: datetime) -> bool:
    """The supervisor's leg was answered (``started``) or hung up (``ended``) at ``at``,
    in ``context``: only a leg of the log row's own instance may report to it. Returns
    whether the row was found (the act's transaction may not have committed yet)."""
    if not (isinstance(log_id, str) and log_id.isdigit() and len(log_id) < 19):
        raise ValueError(f"not a supervision log id: {log_id!r}")
    row = session.get(SupervisionLog, int(log_id))
    if row is None:
        return False
    if context != f"ccc-{Instance.pbx_key_for(row.instance_id)}-supervise":
        raise ValueError(f"supervision log {log_id} is not of context {context!r}")
    if event == SUPERVISION_STARTED and row.started_at is None:
        row.started_at = at
    elif event == SUPERVISION_ENDED and row.ended_at is None:
        row.ended_at = at
    return True


def unended(session: Session, now: datetime) -> list[int]:
    """Log rows whose supervisor's leg never reported its end and should be on the PBX
    if it is still up: answered (it reported its start from the supervise context), or
    asked for long enough ago that its phone has stopped ringing. A take-over has no leg.
    """
    return list(session.scalars(select(SupervisionLog.id).where(
        SupervisionLog.ended_at.is_(None), SupervisionLog.mode != SupervisionMode.TAKEOVER,
        or_(SupervisionLog.started_at.is_not(None),
            SupervisionLog.requested_at <= now - LEG_GRACE)).order_by(SupervisionLog.id)))


def close_gone(session: Session, row_ids: list[int], live: set[int],
               now: datetime) -> list[int]:
    """End the rows among ``row_ids`` whose leg is not among the ``live`` ones (the log
    ids the PBX's supervising channels carry): ended when found gone, ``now``, and
    flagged so (the leg's own hang-up was not seen, while ``ccc serve`` was down).
    Returns the ids closed."""
    closed = []
    for row_id in row_ids:
        row = session.get(SupervisionLog, row_id)
        if row is None or row.ended_at is not None or row_id in live:
            continue
        row.ended_at = max(now, row.started_at or now)
        row.end_found = True
        closed.append(row_id)
    session.flush()
    return closed


async def live_legs(client) -> set[int]:
    """The log ids of the supervisors' legs on the PBX now: each channel in a supervise
    context carries its row's id."""
    found = set()
    for channel in await pbx.channels(client):
        if not SUPERVISE_CONTEXT_RE.fullmatch(channel.context):
            continue
        value = (await pbx.detail(client, channel.name)).variables.get(SUPERVISION, "")
        if value.isascii() and value.isdigit() and len(value) < 19:
            found.add(int(value))
    return found


def supervision_log(session: Session, actor: User | None, instance: Instance,
                    limit: int = LOG_LIMIT) -> list[SupervisionLog]:
    """The instance's acts of supervision, newest first."""
    _check(session, actor, instance)
    return list(session.scalars(
        select(SupervisionLog).where(SupervisionLog.instance_id == instance.id)
        .order_by(SupervisionLog.requested_at.desc(), SupervisionLog.id.desc()).limit(limit)))


def _time(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def log_as_dict(row: SupervisionLog) -> dict:
    """One shape for the API and ``ccc --json``."""
    return {"id": row.id, "user": row.user_name or None,
            "supervisor": row.supervisor_extension, "agent": row.agent_extension,
            "call_id": row.pbx_call_id, "mode": row.mode.value,
            "requested_at": _time(row.requested_at), "started_at": _time(row.started_at),
            "ended_at": _time(row.ended_at), "duration_seconds": row.duration_seconds,
            "end_found": row.end_found}


def live_call_as_dict(call: LiveCall) -> dict:
    return {"agent": call.agent_extension, "agent_name": call.agent_name,
            "caller": call.caller, "seconds": call.seconds, "device": call.device}
