"""IVR flow services on SQLite and PostgreSQL: drafts, publishing, versions, binding."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.errors import Conflict, Invalid, NotFound
from engine.instances.service import get_instance
from engine.ivr import service
from engine.ivr.actions import Play, Prompt, Queue
from engine.ivr.interpreter import CallContext, Interpreter
from engine.ivr.models import FlowState, IvrFlowVersion
from engine.ivr.runtime import plan_for_number
from engine.models import AudioFile, Number
from engine.uow import _PBX_CHANGED
from tests.factories import add_account, add_instance


@pytest.fixture
def sales(session):
    add_account(session)
    add_instance(session)
    add_instance(session, name="Hotline", domain="hotline.acme", number="01087654321",
                 admin="carol")
    return get_instance(session, "sales.acme")


def greeting(prompt: str = "welcome", group: str = "default") -> dict:
    return {"format": 1, "nodes": [
        {"id": "start", "type": "start"},
        {"id": "hello", "type": "play", "prompt": prompt},
        {"id": "queue", "type": "transfer_skill_group", "skill_group": group}],
        "edges": [{"from": "start", "to": "hello"}, {"from": "hello", "to": "queue"}]}


def add_audio(session, instance, name: str) -> None:
    session.add(AudioFile(instance_id=instance.id, name=name, size_bytes=44, duration_ms=0,
                          sha256="0" * 64))
    session.flush()


def test_a_draft_may_be_invalid_and_is_kept_once(session, sales):
    flow = service.create_flow(session, sales, "main")
    problems = service.save_draft(session, flow, greeting(group="nowhere"))
    assert [(p.node, p.code) for p in problems] == [("queue", "unknown_target")]
    service.save_draft(session, flow, greeting())
    drafts = session.scalars(select(IvrFlowVersion).where(IvrFlowVersion.flow_id == flow.id))
    assert [(v.state, v.version) for v in drafts] == [(FlowState.DRAFT, None)]
    assert service.current_document(session, flow) == greeting()


def test_something_not_a_document_is_refused(session, sales):
    flow = service.create_flow(session, sales, "main")
    with pytest.raises(Invalid, match="JSON object"):
        service.save_draft(session, flow, ["nodes"])
    assert service.current_document(session, flow) == service.empty_document()


def test_flow_names_are_checked_and_unique_per_instance(session, sales):
    service.create_flow(session, sales, "main")
    with pytest.raises(Conflict, match="already has a flow named 'main'"):
        service.create_flow(session, sales, "main")
    with pytest.raises(Invalid, match="invalid flow name"):
        service.create_flow(session, sales, "main\n")
    other = get_instance(session, "hotline.acme")
    assert service.create_flow(session, other, "main").instance_id == other.id
    with pytest.raises(NotFound, match="no flow 'ghost' in instance sales.acme"):
        service.get_flow(session, sales, "ghost")


def test_publish_numbers_versions_and_leaves_no_draft(session, sales):
    flow = service.create_flow(session, sales, "main", greeting())
    first = service.publish(session, flow)
    second = service.publish(session, flow, greeting(prompt="unavailable"))
    assert (first.version, second.version) == (1, 2)
    assert [(v.version, v.state) for v in service.versions(session, flow)] == \
        [(1, FlowState.PUBLISHED), (2, FlowState.PUBLISHED)]
    assert service.draft_of(session, flow) is None
    assert service.document_of(session, flow, 1) == greeting()
    with pytest.raises(Conflict, match="no draft"):
        service.publish(session, flow)
    with pytest.raises(NotFound, match="no version 7"):
        service.document_of(session, flow, 7)


def test_publish_refuses_an_invalid_draft_and_keeps_it(session, sales):
    flow = service.create_flow(session, sales, "main", greeting(prompt="no-such-audio"))
    with pytest.raises(service.FlowInvalid) as refused:
        service.publish(session, flow)
    assert [(p.node, p.code) for p in refused.value.problems] == [("hello", "missing_audio")]
    assert "node 'hello'" in str(refused.value)
    assert service.latest_version(session, flow) is None
    assert service.draft_of(session, flow) is not None


def test_a_published_version_is_immutable(session, sales):
    flow = service.create_flow(session, sales, "main", greeting())
    version = service.publish(session, flow)
    service.save_draft(session, flow, greeting(prompt="unavailable"))
    session.refresh(version)
    assert json.loads(version.definition) == greeting()
    assert service.versions(session, flow)[-1].state == FlowState.DRAFT


def test_publishing_and_binding_need_no_pbx_reload(session, sales):
    session.info.pop(_PBX_CHANGED, None)
    flow = service.create_flow(session, sales, "main", greeting())
    service.publish(session, flow)
    number = service.find_number(session, sales, "01012345678")
    service.bind_number(session, number, flow)
    assert _PBX_CHANGED not in session.info


def test_a_number_runs_its_flows_latest_published_version(session, sales):
    flow = service.create_flow(session, sales, "main", greeting())
    service.publish(session, flow)
    number = service.find_number(session, sales, "01012345678")
    service.bind_number(session, number, flow)
    service.publish(session, flow, greeting(prompt="unavailable"))
    service.save_draft(session, flow, greeting(prompt="call-refused"))  # drafts never run
    plan = plan_for_number(session, "01012345678")
    action = Interpreter(plan.document, CallContext()).next_action()
    assert action == Play(Prompt("unavailable"))


def test_bind_only_published_flows_of_the_numbers_instance(session, sales):
    number = service.find_number(session, sales, "01012345678")
    draft_only = service.create_flow(session, sales, "main", greeting())
    with pytest.raises(Invalid, match="no published version"):
        service.bind_number(session, number, draft_only)
    other = get_instance(session, "hotline.acme")
    foreign = service.find_flow(session, other, "welcome")
    with pytest.raises(Invalid, match="not in the instance of number 01012345678"):
        service.bind_number(session, number, foreign)
    with pytest.raises(NotFound, match="no number '01087654321' in instance sales.acme"):
        service.find_number(session, sales, "01087654321")
    assert session.get(Number, number.id).inbound_flow_id != foreign.id


def test_targets_are_resolved_in_the_flows_own_instance(session, sales):
    other = get_instance(session, "hotline.acme")
    add_audio(session, other, "promo")
    from engine.skillgroups.service import create_skill_group
    create_skill_group(session, other, "vip")
    flow = service.create_flow(session, sales, "main")
    problems = service.save_draft(session, flow, greeting(prompt="promo", group="vip"))
    assert [(p.node, p.code) for p in problems] == [("hello", "missing_audio"),
                                                    ("queue", "unknown_target")]
    add_audio(session, sales, "promo")
    assert [p.code for p in service.problems(session, flow, greeting("promo"))] == []


def test_goto_flow_sees_only_published_flows_and_recursion(session, sales):
    target = service.create_flow(session, sales, "target", greeting())
    document = {"format": 1, "nodes": [{"id": "start", "type": "start"},
                                       {"id": "go", "type": "goto_flow", "flow": "target"}],
                "edges": [{"from": "start", "to": "go"}]}
    main = service.create_flow(session, sales, "main")
    assert [p.code for p in service.save_draft(session, main, document)] == ["unknown_target"]
    service.publish(session, target)
    assert service.save_draft(session, main, document) == []
    service.publish(session, main)
    back = json.loads(json.dumps(document).replace('"target"', '"main"'))
    problems = service.save_draft(session, target, back)
    assert [(p.node, p.code) for p in problems] == [("go", "flow_recursion")]


def test_audio_in_use_is_what_the_latest_versions_play(session, sales):
    for name in ("old", "new", "drafted"):
        add_audio(session, sales, name)
    flow = service.create_flow(session, sales, "main", greeting("old"))
    service.publish(session, flow)
    service.publish(session, flow, greeting("new"))
    service.save_draft(session, flow, greeting("drafted"))
    assert service.audio_in_use(session, sales) == {"new", "welcome"}
    assert service.audio_in_use(session, get_instance(session, "hotline.acme")) == {"welcome"}


def test_simulate_follows_goto_flow_into_published_flows(session, sales):
    service.create_published_flow(session, sales, "target", greeting("unavailable"))
    document = {"nodes": [{"id": "start", "type": "start"},
                          {"id": "go", "type": "goto_flow", "flow": "target"}],
                "edges": [{"from": "start", "to": "go"}]}
    result = service.simulate(session, sales, document, digits="", at="2026-11-23T20:00",
                              caller="138")
    assert result.actions == [Play(Prompt("unavailable")), Queue("default")]
    assert result.path == ["start", "go", "start", "hello", "queue"]
    with pytest.raises(Invalid, match="invalid variable name"):
        service.simulate(session, sales, document, variables={"Bad": "x"})


def test_the_database_holds_at_most_one_draft_per_flow(session, sales):
    from sqlalchemy.exc import IntegrityError
    flow = service.create_flow(session, sales, "main", greeting())
    service.publish(session, flow)
    service.publish(session, flow, greeting("unavailable"))  # many published versions: fine
    service.save_draft(session, flow, greeting())
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(IvrFlowVersion(flow_id=flow.id, version=None, state=FlowState.DRAFT,
                                       definition="{}"))
            session.flush()
