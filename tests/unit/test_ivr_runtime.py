"""What a call reads of its flow: the latest published version of the number's flow, its
document parsed once and then kept (a published version never changes), on SQLite and
PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, event

from engine.instances.service import get_instance
from engine.ivr import runtime, service
from engine.ivr.models import IvrFlow
from tests.factories import add_account, add_instance
from tests.unit.test_ivr_service import greeting

NUMBER = "01012345678"


@pytest.fixture
def sales(session):
    add_account(session)
    add_instance(session)
    runtime.forget_documents()
    return get_instance(session, "sales.acme")


def statements(session):
    seen: list[str] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def publish_bound(session, sales, name="main", prompt="welcome"):
    flow = service.create_flow(session, sales, name, greeting(prompt=prompt))
    service.publish(session, flow)
    service.bind_number(session, service.find_number(session, sales, NUMBER), flow)
    return flow


def test_a_second_call_reads_no_flow_text(session, sales):
    publish_bound(session, sales)
    first = runtime.plan_for_number(session, NUMBER)
    seen, stop = statements(session)
    try:
        again = runtime.plan_for_number(session, NUMBER)
    finally:
        stop()
    assert again.document == first.document == greeting()
    assert again.flows["main"].document == greeting()
    assert seen and not any("definition" in s for s in seen), seen


def test_a_second_call_asks_only_for_the_stamp(session, sales):
    publish_bound(session, sales)
    first = runtime.plan_for_number(session, NUMBER)
    seen, stop = statements(session)
    try:
        again = runtime.plan_for_number(session, NUMBER)
    finally:
        stop()
    assert again is first
    assert len(seen) == 1, seen


def test_another_flow_published_or_a_new_binding_is_seen_at_once(session, sales):
    publish_bound(session, sales)
    assert "other" not in runtime.plan_for_number(session, NUMBER).flows
    # A goto_flow target published later is in the next call's plan.
    other = service.create_flow(session, sales, "other", greeting(prompt="unavailable"))
    service.publish(session, other)
    assert "other" in runtime.plan_for_number(session, NUMBER).flows
    # The number bound to the other flow: the next call runs it.
    service.bind_number(session, service.find_number(session, sales, NUMBER), other)
    assert runtime.plan_for_number(session, NUMBER).document == greeting(prompt="unavailable")


def test_a_new_publication_is_run_at_once(session, sales):
    flow = publish_bound(session, sales)
    runtime.plan_for_number(session, NUMBER)
    service.publish(session, flow, greeting(prompt="unavailable"))
    plan = runtime.plan_for_number(session, NUMBER)
    assert plan.document == greeting(prompt="unavailable")
    assert plan.flows["main"].document == greeting(prompt="unavailable")


def test_a_call_in_progress_keeps_its_version(session, sales):
    flow = publish_bound(session, sales)
    first = runtime.plan_for_number(session, NUMBER)
    service.publish(session, flow, greeting(prompt="unavailable"))
    assert runtime.plan_for_version(session, first.flow_version_id).document == greeting()


def test_a_deleted_flow_never_lends_its_document_to_a_new_one(session, sales):
    """SQLite may give a deleted row's id to the next row: the kept document must not
    be taken for the new version's."""
    old = publish_bound(session, sales)
    assert runtime.plan_for_number(session, NUMBER).document == greeting()
    number = service.find_number(session, sales, NUMBER)
    number.inbound_flow_id = None
    session.execute(delete(IvrFlow).where(IvrFlow.id == old.id))
    session.flush()
    session.expire_all()
    assert runtime.plan_for_number(session, NUMBER) is None
    publish_bound(session, sales, name="other", prompt="unavailable")
    assert runtime.plan_for_number(session, NUMBER).document == greeting(prompt="unavailable")


def test_a_draft_or_an_unknown_version_is_no_plan(session, sales):
    flow = service.create_flow(session, sales, "main", greeting(prompt="unavailable"))
    [draft] = flow.versions
    assert runtime.plan_for_version(session, draft.id) is None
    assert runtime.plan_for_version(session, 10**9) is None
    assert runtime.plan_for_number(session, "999") is None
    # The number still runs the flow it was given when the instance was made.
    assert runtime.plan_for_number(session, NUMBER).document != greeting(prompt="unavailable")


def test_only_so_many_documents_are_kept(session, sales, monkeypatch):
    monkeypatch.setattr(runtime, "DOCUMENTS_KEPT", 2)
    for n in range(4):
        service.publish(session, service.create_flow(session, sales, f"f{n}", greeting()))
    publish_bound(session, sales)
    runtime.plan_for_number(session, NUMBER)
    assert len(runtime._documents) == 2
