"""Render the PBX's configuration from the database: one context function per file.

Each ``*_context`` is a pure function from a database session (and settings) to the
dict its template needs; no configuration text is built in Python. Queries are ordered,
so the same database always renders the same bytes.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.agents.models import Agent, AgentSkillGroup
from engine.instances.models import Instance
from engine.numbers.models import Number, NumberSkillGroup
from engine.recording.policy import RecordingPolicy, effective
from engine.phones.service import (ECHO_EXTENSION, ECHO_SECONDS, WEB_WORD, web_username,
                                   websocket_protocol)
from engine.security.service import active_addresses
from engine.settings import Settings
from provisioning.tls import site_pair_in_pbx
from engine.skillgroups.models import SkillGroup
from engine.skillgroups.service import DEFAULT
from engine.trunks.service import list_trunks
from engine.validation import (DIAL_NUMBER_DIGITS_MIN, OUTSIDE_NUMBER_DIGITS_MIN,
                               PHONE_DIGITS_MAX)
from engine.variables import RECORD_EXTENSIONS
from provisioning.templates import forget_passed, render


@dataclass(frozen=True)
class Snapshot:
    """What the database-derived files need, read in a fixed handful of queries (never
    one per agent or per instance), so a render costs the same few round trips at ten
    agents or ten thousand."""

    instance_ids: list[int]
    ringing_timeout_break: dict[int, bool]  # instance id -> whether ring-outs pause
    recording: dict[int, RecordingPolicy]   # instance id -> which calls it records
    agents: list[AgentEntry]            # ordered by instance, then extension
    groups: list                        # skill group rows, ordered by id
    numbers: list                       # numbers of an instance, ordered by digits
    trunks: list[TrunkEntry]
    default_trunk: str | None
    banned: list[str]                   # addresses the PBX refuses now


# What the templates see: named tuples, so a template reads a field in one attribute
# lookup (Jinja tries the attribute first and a dict key only after that lookup failed,
# an exception each time), built without the per-field setattr of a frozen dataclass.

class AgentEntry(NamedTuple):
    # The templates unpack an agent's fields in this order (a loop variable costs no
    # lookup): a change here changes every loop over agents.
    username: str
    web_username: str                   # the same agent's browser softphone endpoint
    extension: str
    secret: str
    instance_id: int
    instance_key: str
    caller_id: str | None


class TrunkEntry(NamedTuple):
    name: str
    endpoint: str
    host: str
    port: int


class InboundNumber(NamedTuple):
    digits: str
    instance_key: str


class QueueEntry(NamedTuple):
    name: str
    skill_group: str
    instance_key: str
    strategy: str
    wrap_up_seconds: int
    autopause: str


class TransferQueue(NamedTuple):
    group_id: int
    queue: str
    timeout: int


class Overflow(NamedTuple):
    group_id: int
    skill_group: str
    target_id: int
    queue: str
    timeout: int


class GroupRecording(NamedTuple):
    group_id: int
    skill_group: str
    exten: str


class Recording(NamedTuple):
    agent: str                          # the extension for calls straight to an agent
    groups: list[GroupRecording]


class InstanceEntry(NamedTuple):
    key: str
    queue_prefix: str
    agent_prefix: str
    caller_id: str | None
    default_queue: str
    default_queue_timeout: int
    ringing_timeout_break: bool
    default_group_id: int | None
    recording: Recording
    agents: list[AgentEntry]
    numbers: list[str]
    outbound_numbers: list[str]         # click-to-dial shows one; a 400 number never calls out
    transfer_queues: list[TransferQueue]
    overflows: list[Overflow]


# Seconds a queue rings an agent before trying the next; a dedicated agent rings as long.
RING_SECONDS = 15


def _key(instance_id: int) -> str:
    return Instance.pbx_key_for(instance_id)


def _queue_name(group) -> str:
    return f"{_key(group.instance_id)}-q{group.id}"


def load(session: Session) -> Snapshot:
    """Read everything the templates need, ordered, so equal databases give equal bytes.

    Plain column reads go to the session's connection: the rows come back as they are,
    without the ORM's per-row loading step (a third of the read time at 10,000 agents).
    The session's pending changes are flushed first, as its own queries would.
    """
    if session.autoflush:
        session.flush()
    read = session.connection().execute
    instance_ids = list(read(select(Instance.id).order_by(Instance.id)).scalars())
    groups = read(select(SkillGroup.id, SkillGroup.instance_id, SkillGroup.name,
                         SkillGroup.strategy, SkillGroup.wait_timeout,
                         SkillGroup.overflow_id, SkillGroup.wrap_up_seconds,
                         SkillGroup.recording)
                  .order_by(SkillGroup.id)).all()
    ringing_timeout_break = dict(read(select(Instance.id, Instance.ringing_timeout_break)).all())
    recording = dict(read(select(Instance.id, Instance.recording)).all())
    # Per skill group, the first number (by id) it may show when calling out.
    caller_ids: dict[int, tuple[int, str]] = {}
    for group_id, number_id, digits, number_type in read(
            select(NumberSkillGroup.skill_group_id, Number.id, Number.digits, Number.type)
            .join(Number, Number.id == NumberSkillGroup.number_id).order_by(Number.id)).all():
        if number_type.can_call_out:
            caller_ids.setdefault(group_id, (number_id, digits))
    # Per agent, the first of its skill groups' numbers that may call out.
    shown: dict[int, tuple[int, str]] = {}
    for agent_id, group_id in read(select(AgentSkillGroup.agent_id,
                                          AgentSkillGroup.skill_group_id)).all():
        number = caller_ids.get(group_id)
        if number is not None and (agent_id not in shown or number < shown[agent_id]):
            shown[agent_id] = number
    keys = {instance_id: _key(instance_id) for instance_id in instance_ids}
    agents = []
    for agent_id, instance_id, extension, secret in read(
            select(Agent.id, Agent.instance_id, Agent.extension, Agent.sip_secret)
            .order_by(Agent.instance_id, Agent.extension)).all():
        key = keys.get(instance_id) or _key(instance_id)
        username = f"{key}-{extension}"
        number = shown.get(agent_id)
        agents.append(AgentEntry(username, web_username(username), extension, secret,
                                 instance_id, key, number[1] if number else None))
    numbers = read(select(Number.digits, Number.type, Number.instance_id)
                   .where(Number.instance_id.is_not(None))
                   .order_by(Number.digits)).all()
    trunks = list_trunks(session)
    return Snapshot(instance_ids, ringing_timeout_break, recording, agents, list(groups),
                    list(numbers),
                    [TrunkEntry(t.name, t.endpoint_name, t.host, t.port) for t in trunks],
                    trunks[0].endpoint_name if trunks else None,
                    active_addresses(session))


def pjsip_context(session: Session, settings: Settings, snapshot: Snapshot | None = None) -> dict:
    snapshot = snapshot or load(session)
    return {"sip_bind": settings.sip_bind, "sip_port": settings.sip_port,
            "http_bind": settings.pbx_http_bind, "http_port": settings.pbx_http_port,
            "ws_protocol": websocket_protocol(settings), "trunks": snapshot.trunks,
            "agents": snapshot.agents, "banned": snapshot.banned,
            "tls": settings.tls, "sip_tls_port": settings.sip_tls_port,
            "tls_cert": site_pair_in_pbx(settings)[0], "tls_key": site_pair_in_pbx(settings)[1]}


# What the dialplan's patterns admit, from the engine's one rule (engine/validation.py).
DIALLED_NUMBERS = {
    "dial_number_digits_min": DIAL_NUMBER_DIGITS_MIN,
    "outside_digits_min": OUTSIDE_NUMBER_DIGITS_MIN,
    "phone_digits_max": PHONE_DIGITS_MAX,
    "outside_patterns": ["X" * n for n in range(OUTSIDE_NUMBER_DIGITS_MIN, PHONE_DIGITS_MAX + 1)],
    # An extension is 3 to 6 digits (engine/validation.EXTENSION_RE).
    "extension_patterns": ["X" * n for n in range(3, 7)],
}


def _recording(instance_policy: RecordingPolicy, groups: list) -> Recording:
    """Per skill group (and for calls straight to an agent) the extension of the
    recording subroutine its calls go through: the policy's name as the dialplan spells it."""
    def exten(policy: RecordingPolicy) -> str:
        return RECORD_EXTENSIONS[policy.value]
    return Recording(exten(instance_policy),
                     [GroupRecording(g.id, g.name, exten(effective(instance_policy, g.recording)))
                      for g in groups])


def extensions_context(session: Session, settings: Settings,
                       snapshot: Snapshot | None = None) -> dict:
    snapshot = snapshot or load(session)
    by_id = {g.id: g for g in snapshot.groups}
    groups_of: dict[int, list] = {}
    for group in snapshot.groups:
        groups_of.setdefault(group.instance_id, []).append(group)
    agents_of: dict[int, list[AgentEntry]] = {}
    for agent in snapshot.agents:
        agents_of.setdefault(agent.instance_id, []).append(agent)
    numbers_of: dict[int, list] = {}
    for number in snapshot.numbers:
        numbers_of.setdefault(number.instance_id, []).append(number)
    instances = []
    for instance_id in snapshot.instance_ids:
        key, groups = _key(instance_id), groups_of.get(instance_id, [])
        numbers = numbers_of.get(instance_id, [])
        default = next((g for g in groups if g.name == DEFAULT), groups[0] if groups else None)
        overflows = [(g, by_id[g.overflow_id]) for g in groups if g.overflow_id in by_id]
        instances.append(InstanceEntry(
            key=key,
            queue_prefix=f"{key}-q",
            agent_prefix=f"{key}-",
            caller_id=next((n.digits for n in numbers if n.type.can_call_out), None),
            default_queue=_queue_name(default) if default else "",
            default_queue_timeout=default.wait_timeout if default else 0,
            ringing_timeout_break=snapshot.ringing_timeout_break.get(instance_id, True),
            default_group_id=default.id if default else None,
            recording=_recording(snapshot.recording.get(instance_id, RecordingPolicy.NONE),
                                 groups),
            agents=agents_of.get(instance_id, []),
            numbers=[n.digits for n in numbers],
            outbound_numbers=[n.digits for n in numbers if n.type.can_call_out],
            transfer_queues=[TransferQueue(g.id, _queue_name(g), g.wait_timeout)
                             for g in groups],
            # Only groups of the same instance: the service refuses any other target.
            overflows=[Overflow(g.id, g.name, target.id, _queue_name(target),
                                target.wait_timeout)
                       for g, target in overflows if target.instance_id == instance_id],
        ))
    return {**DIALLED_NUMBERS, "agi_port": settings.agi_port, "web_word": WEB_WORD,
            "ring_seconds": RING_SECONDS,
            "echo_extension": ECHO_EXTENSION, "echo_seconds": ECHO_SECONDS,
            "sounds_dir": str(settings.site_dir_in_pbx / "sounds"),
            "recordings_dir": str(settings.recordings_dir_in_pbx),
            "inbound_numbers": [InboundNumber(n.digits, _key(n.instance_id))
                                for n in snapshot.numbers],
            "instances": instances, "trunk": snapshot.default_trunk}


def queues_context(session: Session, settings: Settings, snapshot: Snapshot | None = None) -> dict:
    snapshot = snapshot or load(session)
    # No members: agents join a queue when they sign in (engine/agentstate).
    pauses = snapshot.ringing_timeout_break
    return {"ring_seconds": RING_SECONDS,
            "queues": [QueueEntry(_queue_name(g), g.name, _key(g.instance_id), g.strategy,
                                  g.wrap_up_seconds,
                                  "all" if pauses.get(g.instance_id, True) else "no")
                       for g in snapshot.groups]}


def cdr_custom_context(session: Session, settings: Settings,
                       snapshot: Snapshot | None = None) -> dict:
    return {}


# One generator per PBX file: file name -> context function.
GENERATORS = {
    "pjsip.conf": pjsip_context,
    "extensions.conf": extensions_context,
    "queues.conf": queues_context,
    "cdr_custom.conf": cdr_custom_context,
}


def render_files(session: Session, settings: Settings) -> dict[str, str]:
    """Every configuration file of the site: settings-only ones and database-derived ones."""
    from provisioning.site import static_files
    # A render holds ~25,000 rows and agent entries for a moment, no cycle among them;
    # the collector would count them as survivors and walk the whole heap for them
    # every other render (~30 ms of ~120 at 10,000 agents). It runs as usual after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        files = dict(static_files(settings))
        snapshot = load(session)
        for name, context_of in GENERATORS.items():
            files[name] = render(name, **context_of(session, settings, snapshot))
    finally:
        forget_passed()  # nothing a render let through outlives it
        if collecting:
            gc.enable()
    return dict(sorted(files.items()))
