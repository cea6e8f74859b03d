"""Render the PBX's configuration from the database: one context function per file.

Each ``*_context`` is a pure function from a database session (and settings) to the
dict its template needs; no configuration text is built in Python. Queries are ordered,
so the same database always renders the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

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
from provisioning.templates import render


@dataclass(frozen=True)
class Snapshot:
    """What the database-derived files need, read in a fixed handful of queries (never
    one per agent or per instance), so a render costs the same few round trips at ten
    agents or ten thousand."""

    instance_ids: list[int]
    ringing_timeout_break: dict[int, bool]  # instance id -> whether ring-outs pause
    recording: dict[int, RecordingPolicy]   # instance id -> which calls it records
    agents: list[AgentEntry]            # ordered by instance, then extension
    groups: list                        # SkillGroup rows, ordered by id
    members: dict[int, list[Member]]    # skill group id -> its members, by extension
    numbers: list                       # numbers of an instance, ordered by digits
    trunks: list[dict]
    default_trunk: str | None
    banned: list[str]                   # addresses the PBX refuses now


@dataclass(frozen=True, slots=True)
class AgentEntry:
    """One agent as the templates see it (attributes, not dict keys: Jinja reads an
    attribute in one step, a key only after the attribute lookup failed)."""

    username: str
    web_username: str                   # the same agent's browser softphone endpoint
    extension: str
    secret: str
    instance_id: int
    instance_key: str
    caller_id: str | None


@dataclass(frozen=True, slots=True)
class Member:
    username: str
    penalty: int


# Seconds a queue rings an agent before trying the next; a dedicated agent rings as long.
RING_SECONDS = 15


def _key(instance_id: int) -> str:
    return Instance.pbx_key_for(instance_id)


def _queue_name(group) -> str:
    return f"{_key(group.instance_id)}-q{group.id}"


def load(session: Session) -> Snapshot:
    """Read everything the templates need, ordered, so equal databases give equal bytes."""
    instance_ids = list(session.scalars(select(Instance.id).order_by(Instance.id)))
    groups = session.execute(select(SkillGroup.id, SkillGroup.instance_id, SkillGroup.name,
                                    SkillGroup.strategy, SkillGroup.wait_timeout,
                                    SkillGroup.overflow_id, SkillGroup.wrap_up_seconds,
                                    SkillGroup.recording)
                             .order_by(SkillGroup.id)).all()
    ringing_timeout_break = dict(session.execute(
        select(Instance.id, Instance.ringing_timeout_break)).all())
    recording = dict(session.execute(select(Instance.id, Instance.recording)).all())
    # Per skill group, the first number (by id) it may show when calling out.
    caller_ids: dict[int, tuple[int, str]] = {}
    for group_id, number_id, digits, number_type in session.execute(
            select(NumberSkillGroup.skill_group_id, Number.id, Number.digits, Number.type)
            .join(Number, Number.id == NumberSkillGroup.number_id).order_by(Number.id)):
        if number_type.can_call_out:
            caller_ids.setdefault(group_id, (number_id, digits))
    memberships: dict[int, list[tuple[int, int]]] = {}
    for agent_id, group_id, level in session.execute(
            select(AgentSkillGroup.agent_id, AgentSkillGroup.skill_group_id,
                   AgentSkillGroup.level)):
        memberships.setdefault(agent_id, []).append((group_id, level))
    agents, members = [], {}
    for agent_id, instance_id, extension, secret in session.execute(
            select(Agent.id, Agent.instance_id, Agent.extension, Agent.sip_secret)
            .order_by(Agent.instance_id, Agent.extension)):
        username = f"{_key(instance_id)}-{extension}"
        shown = min((caller_ids[g] for g, _ in memberships.get(agent_id, ()) if g in caller_ids),
                    default=None)
        agents.append(AgentEntry(username, web_username(username), extension, secret,
                                 instance_id, _key(instance_id), shown[1] if shown else None))
        for group_id, level in memberships.get(agent_id, ()):
            members.setdefault(group_id, []).append(Member(username, level - 1))
    numbers = session.execute(select(Number.digits, Number.type, Number.instance_id)
                              .where(Number.instance_id.is_not(None))
                              .order_by(Number.digits)).all()
    trunks = list_trunks(session)
    return Snapshot(instance_ids, ringing_timeout_break, recording, agents, list(groups),
                    members, list(numbers),
                    [{"name": t.name, "endpoint": t.endpoint_name, "host": t.host,
                      "port": t.port} for t in trunks],
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


def _recording(instance_policy: RecordingPolicy, groups: list) -> dict:
    """Per skill group (and for calls straight to an agent) the extension of the
    recording subroutine its calls go through: the policy's name as the dialplan spells it."""
    def exten(policy: RecordingPolicy) -> str:
        return RECORD_EXTENSIONS[policy.value]
    return {"agent": exten(instance_policy),
            "groups": [{"group_id": g.id, "skill_group": g.name,
                        "exten": exten(effective(instance_policy, g.recording))}
                       for g in groups]}


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
        instances.append({
            "key": key,
            "queue_prefix": f"{key}-q",
            "agent_prefix": f"{key}-",
            "caller_id": next((n.digits for n in numbers if n.type.can_call_out), None),
            "default_queue": _queue_name(default) if default else "",
            "default_queue_timeout": default.wait_timeout if default else 0,
            "ringing_timeout_break": snapshot.ringing_timeout_break.get(instance_id, True),
            "default_group_id": default.id if default else None,
            "recording": _recording(snapshot.recording.get(instance_id, RecordingPolicy.NONE),
                                    groups),
            "agents": agents_of.get(instance_id, []),
            "numbers": [n.digits for n in numbers],
            # Click-to-dial shows one of these; a 400 number never calls out.
            "outbound_numbers": [n.digits for n in numbers if n.type.can_call_out],
            "transfer_queues": [{"group_id": g.id, "queue": _queue_name(g),
                                 "timeout": g.wait_timeout} for g in groups],
            # Only groups of the same instance: the service refuses any other target.
            "overflows": [{"group_id": g.id, "skill_group": g.name, "target_id": target.id,
                           "queue": _queue_name(target), "timeout": target.wait_timeout}
                          for g, target in overflows if target.instance_id == instance_id],
        })
    return {**DIALLED_NUMBERS, "agi_port": settings.agi_port, "web_word": WEB_WORD,
            "ring_seconds": RING_SECONDS,
            "echo_extension": ECHO_EXTENSION, "echo_seconds": ECHO_SECONDS,
            "sounds_dir": str(settings.site_dir_in_pbx / "sounds"),
            "recordings_dir": str(settings.recordings_dir_in_pbx),
            "inbound_numbers": [{"digits": n.digits, "instance_key": _key(n.instance_id)}
                                for n in snapshot.numbers],
            "instances": instances, "trunk": snapshot.default_trunk}


def queues_context(session: Session, settings: Settings, snapshot: Snapshot | None = None) -> dict:
    snapshot = snapshot or load(session)
    # No members: agents join a queue when they sign in (engine/agentstate).
    pauses = snapshot.ringing_timeout_break
    return {"ring_seconds": RING_SECONDS,
            "queues": [{"name": _queue_name(g), "skill_group": g.name,
                        "instance_key": _key(g.instance_id), "strategy": g.strategy,
                        "wrap_up_seconds": g.wrap_up_seconds,
                        "autopause": "all" if pauses.get(g.instance_id, True) else "no"}
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
    files = dict(static_files(settings))
    snapshot = load(session)
    for name, context_of in GENERATORS.items():
        files[name] = render(name, **context_of(session, settings, snapshot))
    return dict(sorted(files.items()))
