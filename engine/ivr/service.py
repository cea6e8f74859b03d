"""IVR flows: drafts, published versions, and which version a number runs.

A flow keeps at most one draft (state draft, no version number), which may be invalid;
publishing validates it and turns it into the next immutable numbered version. Numbers
read their flow's latest published version at each new call, so neither publishing nor
binding touches the PBX's configuration (no reload is marked).
"""
from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import validation
from engine.errors import Conflict, Invalid, NotFound
from engine.instances.models import Instance
from engine.ivr.documents import normalize, parse_document  # noqa: F401  (a service)
from engine.ivr.errors import FlowInvalid
from engine.ivr.interpreter import CallContext, FlowLoader, LoadedFlow
from engine.ivr.models import FlowState, IvrFlow, IvrFlowVersion
from engine.ivr.simulator import (Simulation, parse_at, parse_digits, parse_http_response,
                                  simulate_call)
from engine.ivr.validation import Catalog, FlowProblem, validate
from engine.numbers.models import Number
from engine.messages import N_

WELCOME = "welcome"


def welcome_document(skill_group: str = "default") -> dict:
    """The flow every new instance starts with: a welcome prompt, then the queue."""
    return {
        "format": 1,
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "welcome", "type": "play", "prompt": "welcome"},
            {"id": "queue", "type": "transfer_skill_group", "skill_group": skill_group},
        ],
        "edges": [{"from": "start", "to": "welcome"}, {"from": "welcome", "to": "queue"}],
    }


def empty_document() -> dict:
    return {"format": 1, "nodes": [{"id": "start", "type": "start"}], "edges": []}


# ---- flows ------------------------------------------------------------------------------

def create_flow(session: Session, instance: Instance, name: str,
                document: dict | None = None) -> IvrFlow:
    """A new flow of the instance with a draft (``document``, or just a start node)."""
    validation.check(validation.IVR_FLOW_NAME_RE, name, N_("flow name"),
                     N_("1-64 letters, digits, '_' or '-', starting with a letter or digit"))
    if find_flow(session, instance, name) is not None:
        raise Conflict(N_("instance %(domain)s already has a flow named %(name)r",
                          domain=instance.domain, name=name))
    flow = IvrFlow(instance_id=instance.id, name=name)
    session.add(flow)
    session.flush()
    save_draft(session, flow, document if document is not None else empty_document())
    return flow


def create_published_flow(session: Session, instance: Instance, name: str,
                          document: dict) -> IvrFlow:
    """A new flow published at once (a new instance's ``welcome``)."""
    flow = create_flow(session, instance, name, document)
    publish(session, flow)
    return flow


def find_flow(session: Session, instance: Instance, name: str) -> IvrFlow | None:
    return session.scalar(select(IvrFlow).where(IvrFlow.instance_id == instance.id,
                                                IvrFlow.name == name))


def get_flow(session: Session, instance: Instance, name: str) -> IvrFlow:
    flow = find_flow(session, instance, name)
    if flow is None:
        raise NotFound(N_("no flow %(name)r in instance %(domain)s",
                          name=name, domain=instance.domain))
    return flow


def list_flows(session: Session, instance: Instance) -> list[IvrFlow]:
    return list(session.scalars(select(IvrFlow).where(IvrFlow.instance_id == instance.id)
                                .order_by(IvrFlow.name)))


# ---- drafts and versions --------------------------------------------------------------

def draft_of(session: Session, flow: IvrFlow) -> IvrFlowVersion | None:
    return session.scalar(select(IvrFlowVersion).where(IvrFlowVersion.flow_id == flow.id,
                                                       IvrFlowVersion.state == FlowState.DRAFT))


def latest_version(session: Session, flow: IvrFlow) -> IvrFlowVersion | None:
    return session.scalar(
        select(IvrFlowVersion)
        .where(IvrFlowVersion.flow_id == flow.id, IvrFlowVersion.state == FlowState.PUBLISHED)
        .order_by(IvrFlowVersion.version.desc()).limit(1))


def save_draft(session: Session, flow: IvrFlow, document) -> list[FlowProblem]:
    """Keep ``document`` as the flow's one draft, valid or not; return its problems.
    Only something that isn't a JSON object at all is refused (Invalid)."""
    document = normalize(document)
    draft = draft_of(session, flow)
    if draft is None:
        draft = IvrFlowVersion(flow_id=flow.id, version=None, state=FlowState.DRAFT,
                               definition="")
        session.add(draft)
    draft.definition = json.dumps(document, sort_keys=True)
    session.flush()
    return problems(session, flow, document)


def problems(session: Session, flow: IvrFlow, document) -> list[FlowProblem]:
    """What is wrong with ``document`` as this flow, against its own instance only."""
    return validate(document, catalog_for(session, flow.instance, flow.name))


def publish(session: Session, flow: IvrFlow, document: dict | None = None) -> IvrFlowVersion:
    """Validate the draft (``document`` is saved as the draft first) and make it the next
    numbered version; numbers run it from their next call. Refused when invalid."""
    version, found = save_and_publish(session, flow, document)
    if version is None:
        raise FlowInvalid(flow, found)
    return version


def save_and_publish(session: Session, flow: IvrFlow, document: dict | None = None
                     ) -> tuple[IvrFlowVersion | None, list[FlowProblem]]:
    """"Save and publish" as the editor and the API offer it: ``document`` (if given) is
    kept as the draft either way; it becomes the next numbered version only when it is
    valid. Returns the version (None when not published) and the draft's problems, so
    the caller's transaction commits the draft even when publishing is refused."""
    found = save_draft(session, flow, document) if document is not None else None
    draft = draft_of(session, flow)
    if draft is None:
        raise Conflict(N_("flow %(flow_name)r has no draft: nothing to publish",
                          flow_name=flow.name))
    if found is None:
        found = problems(session, flow, json.loads(draft.definition))
    if found:
        return None, found
    last = session.scalar(select(func.max(IvrFlowVersion.version))
                          .where(IvrFlowVersion.flow_id == flow.id)) or 0
    draft.version, draft.state = last + 1, FlowState.PUBLISHED
    session.flush()
    return draft, []


def versions(session: Session, flow: IvrFlow) -> list[IvrFlowVersion]:
    """Published versions by number, then the draft (if any)."""
    rows = session.scalars(select(IvrFlowVersion).where(IvrFlowVersion.flow_id == flow.id))
    return sorted(rows, key=lambda v: (v.version is None, v.version or 0))


def current_document(session: Session, flow: IvrFlow) -> dict:
    """What an editor opens: the draft, else the latest published version."""
    return document_of(session, flow)


def document_of(session: Session, flow: IvrFlow, version: int | None = None) -> dict:
    """Published version ``version``; without it the draft, else the latest version."""
    if version is not None:
        row = session.scalar(select(IvrFlowVersion).where(IvrFlowVersion.flow_id == flow.id,
                                                          IvrFlowVersion.version == version))
        if row is None:
            raise NotFound(N_("flow %(flow_name)r has no version %(version)s",
                              flow_name=flow.name, version=version))
    else:
        row = draft_of(session, flow) or latest_version(session, flow)
    return json.loads(row.definition) if row else empty_document()


# ---- what flows may name --------------------------------------------------------------

def latest_versions(session: Session, instance: Instance) -> dict[str, IvrFlowVersion]:
    """The latest published version of each flow of the instance, by flow name."""
    latest = (select(IvrFlowVersion.flow_id, func.max(IvrFlowVersion.version).label("number"))
              .where(IvrFlowVersion.state == FlowState.PUBLISHED)
              .group_by(IvrFlowVersion.flow_id).subquery())
    rows = session.execute(
        select(IvrFlow.name, IvrFlowVersion)
        .join(IvrFlowVersion, IvrFlowVersion.flow_id == IvrFlow.id)
        .join(latest, (latest.c.flow_id == IvrFlowVersion.flow_id)
              & (latest.c.number == IvrFlowVersion.version))
        .where(IvrFlow.instance_id == instance.id))
    return {name: version for name, version in rows}


def catalog_for(session: Session, instance: Instance, flow_name: str | None = None) -> Catalog:
    """Audio, skill groups, agents and published flows of this instance only."""
    from engine.agents.models import Agent
    from engine.audio.models import AudioFile
    from engine.skillgroups.models import SkillGroup

    def names(column, owner) -> frozenset[str]:
        return frozenset(session.scalars(select(column).where(owner == instance.id)))
    flows = {name: json.loads(v.definition)
             for name, v in latest_versions(session, instance).items()}
    return Catalog(audio=names(AudioFile.name, AudioFile.instance_id),
                   skill_groups=names(SkillGroup.name, SkillGroup.instance_id),
                   agents=names(Agent.extension, Agent.instance_id),
                   flows=flows, flow_name=flow_name)


def load_flow_for(session: Session, instance: Instance) -> FlowLoader:
    """goto_flow's loader: the latest published versions, read once."""
    found = {name: LoadedFlow(str(v.id), json.loads(v.definition))
             for name, v in latest_versions(session, instance).items()}
    return found.get


def flows_naming(session: Session, instance: Instance, field: str, value: str) -> list[str]:
    """Names of the instance's flows whose latest published version has a node with
    ``field`` = ``value`` (``skill_group``, ``agent``, ``prompt``...): what numbers can run.

    Such a target may be neither renamed nor deleted: the flow would send callers to
    something that no longer exists.
    """
    return sorted(name for name, version in latest_versions(session, instance).items()
                  if any(isinstance(node, dict) and node.get(field) == value
                         for node in json.loads(version.definition).get("nodes", [])))


def audio_in_use(session: Session, instance: Instance) -> set[str]:
    """Audio names played by the latest published version of any flow of the instance:
    what its numbers (and goto_flow) can run, so what may not be deleted."""
    used: set[str] = set()
    for version in latest_versions(session, instance).values():
        nodes = json.loads(version.definition).get("nodes", [])
        used |= {n["prompt"] for n in nodes if isinstance(n, dict)
                 and isinstance(n.get("prompt"), str)}
    return used


# ---- simulation ------------------------------------------------------------------------

def simulate(session: Session, instance: Instance, document: dict,
             digits: str | list[str] = "", at=None, caller: str | None = None,
             variables: dict[str, str] | None = None, http: list | None = None,
             transfers: list[str] | None = None, flow_name: str | None = None) -> Simulation:
    """Run ``document`` as a call to the instance, with scripted input (see simulator).
    ``at`` is ISO text or a datetime (default now); ``http`` holds HttpResults or their
    text ('{"a": 1}', '503', 'timeout'); goto_flow reaches the published flows."""
    for name in variables or {}:
        validation.check(validation.IVR_VARIABLE_RE, name, N_("variable name"),
                         N_("lower-case letters, digits and '_', starting with a letter"))
    keys = parse_digits(digits) if isinstance(digits, str) else list(digits)
    answers = [parse_http_response(a) if isinstance(a, str) else a for a in http or []]
    number = session.scalar(select(Number.digits).where(Number.instance_id == instance.id)
                            .order_by(Number.id).limit(1))
    context = CallContext(caller=caller or "", dialled=number or "", instance_id=instance.id,
                          now=parse_at(at), variables=dict(variables or {}))
    return simulate_call(normalize(document), context, keys, answers, transfers or [],
                         load_flow_for(session, instance), flow_name)


# ---- numbers ----------------------------------------------------------------------------

def find_number(session: Session, instance: Instance, digits: str) -> Number:
    number = session.scalar(select(Number).where(Number.digits == digits,
                                                 Number.instance_id == instance.id))
    if number is None:
        raise NotFound(N_("no number %(digits)r in instance %(domain)s",
                          digits=digits, domain=instance.domain))
    return number


def check_bindable(session: Session, number: Number, flow: IvrFlow) -> None:
    """The one rule for what a number may run: a published flow of its own instance."""
    if number.instance_id is None or flow.instance_id != number.instance_id:
        raise Invalid(N_("flow %(flow_name)r is not in the instance of number %(digits)s",
                         flow_name=flow.name, digits=number.digits))
    if latest_version(session, flow) is None:
        raise Invalid(N_("flow %(flow_name)r has no published version: publish it first",
                         flow_name=flow.name))


def bind_number(session: Session, number: Number, flow: IvrFlow) -> None:
    """Calls to ``number`` run ``flow`` from the next call. No PBX reload: the flow is
    looked up at each call."""
    check_bindable(session, number, flow)
    number.inbound_flow_id = flow.id
    session.flush()


def bindable_flows(session: Session, instance_id: int) -> list[IvrFlow]:
    """The instance's flows that have a published version: the only ones a number may run."""
    return list(session.scalars(
        select(IvrFlow).where(IvrFlow.instance_id == instance_id, IvrFlow.id.in_(
            select(IvrFlowVersion.flow_id).where(IvrFlowVersion.state == FlowState.PUBLISHED)))
        .order_by(IvrFlow.name)))


def flow_names(session: Session, flow_ids) -> dict[int, str]:
    """Flow id -> name, for showing what numbers run."""
    ids = {i for i in flow_ids if i is not None}
    return dict(session.execute(select(IvrFlow.id, IvrFlow.name)
                                .where(IvrFlow.id.in_(ids))).all()) if ids else {}


def bound_numbers(session: Session, flow: IvrFlow) -> list[str]:
    """The numbers whose calls run this flow."""
    return list(session.scalars(select(Number.digits).where(Number.inbound_flow_id == flow.id)
                                .order_by(Number.digits)))


def published_version_for_number(session: Session, number: Number) -> IvrFlowVersion | None:
    """The latest published version of the flow bound to the number, if any."""
    if number.inbound_flow_id is None:
        return None
    return session.scalar(
        select(IvrFlowVersion)
        .where(IvrFlowVersion.flow_id == number.inbound_flow_id,
               IvrFlowVersion.state == FlowState.PUBLISHED)
        .order_by(IvrFlowVersion.version.desc()).limit(1))
