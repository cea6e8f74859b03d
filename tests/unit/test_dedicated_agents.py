"""Dedicated agents: the rules of a tie, and which device a call rings first.

On both databases: the look-up the IVR makes at each queue handoff is one SQL query
over the state log, and its answer depends only on the agent's last logged state.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from engine.agents import dedicated
from engine.agents.models import DedicatedAgent
from engine.agents.service import create_agent, delete_agent
from engine.agentstate.models import AgentStateChange
from engine.errors import Conflict, Invalid, NotFound
from engine.instances.models import Instance
from tests.factories import add_account, add_instance

CUSTOMER = "13800138000"
T0 = datetime(2026, 3, 2, 9, 0, 0)


@pytest.fixture
def center(session):
    """Sales (i1) with agents bob (1002) and dave (1003); Hotline (i2) with its admin."""
    add_account(session)
    sales = add_instance(session).instance
    hotline = add_instance(session, name="Hotline", domain="hotline.acme",
                           number="4001234567", number_type="400", admin="carol")
    bob = create_agent(session, sales, "bob", "1002")
    dave = create_agent(session, sales, "dave", "1003")
    return {"sales": sales, "hotline": hotline.instance, "bob": bob, "dave": dave,
            "carol": hotline.admin_agent}


def log(session, agent, state: str, seconds: int, interface: str | None = None) -> None:
    session.add(AgentStateChange(
        agent_id=agent.id, instance_id=agent.instance_id, state=state, queues="i1-q1",
        interface=interface or f"PJSIP/{agent.sip_username}",
        at=T0 + timedelta(seconds=seconds)))
    session.flush()


def ties(session) -> int:
    return session.scalar(select(func.count()).select_from(DedicatedAgent))


# ---- the rules ----------------------------------------------------------------------------

def test_a_tie_is_listed_and_serialised_once(session, center):
    dedicated.tie(session, center["sales"], CUSTOMER, center["dave"].id)
    dedicated.tie(session, center["sales"], "+8613900139000", center["bob"].id)
    listed = [dedicated.as_dict(t) for t in dedicated.list_ties(session, center["sales"])]
    assert listed == [
        {"customer_number": "+8613900139000", "agent_id": center["bob"].id,
         "extension": "1002", "agent_name": "bob"},
        {"customer_number": CUSTOMER, "agent_id": center["dave"].id, "extension": "1003",
         "agent_name": "dave"}]
    assert dedicated.list_ties(session, center["hotline"]) == []


@pytest.mark.parametrize("number", [
    "12", "1" * 21, "138-0013-8000", "138 0013 8000", "+", "++13800138000",
    "１３８００１３８０００", "١٣٨٠٠١٣٨٠٠٠",
    "13800138000\n", "1380&PJSIP/x", "", None, 13800138000])
def test_a_bad_customer_number_is_a_field_error_and_nothing_is_written(session, center,
                                                                        number):
    with pytest.raises(Invalid) as refused:
        dedicated.tie(session, center["sales"], number, center["dave"].id)
    assert set(refused.value.fields) == {"customer_number"}
    assert ties(session) == 0


def test_another_instances_agent_is_not_found(session, center):
    for agent_id in (center["carol"].id, 99999):
        with pytest.raises(NotFound) as refused:
            dedicated.tie(session, center["sales"], CUSTOMER, agent_id)
        assert set(refused.value.fields) == {"agent_id"}
    assert ties(session) == 0


def test_every_bad_field_is_reported_at_once(session, center):
    for agent_id in ("1003", None, True):
        with pytest.raises(Invalid) as refused:
            dedicated.tie(session, center["sales"], "12", agent_id)
        assert set(refused.value.fields) == {"customer_number", "agent_id"}
    assert ties(session) == 0


def test_a_customer_has_one_dedicated_agent_per_instance(session, center):
    dedicated.tie(session, center["sales"], CUSTOMER, center["dave"].id)
    with pytest.raises(Conflict) as refused:
        dedicated.tie(session, center["sales"], CUSTOMER, center["bob"].id)
    assert set(refused.value.fields) == {"customer_number"}
    # The same customer may have a dedicated agent in another instance.
    dedicated.tie(session, center["hotline"], CUSTOMER, center["carol"].id)
    assert ties(session) == 2


def test_untie_removes_only_that_customers_tie(session, center):
    dedicated.tie(session, center["sales"], CUSTOMER, center["dave"].id)
    dedicated.tie(session, center["hotline"], CUSTOMER, center["carol"].id)
    dedicated.untie(session, center["sales"], CUSTOMER)
    assert [t.instance_id for t in session.scalars(select(DedicatedAgent))] == [
        center["hotline"].id]
    for number in (CUSTOMER, "13900139000", None):
        with pytest.raises(NotFound):
            dedicated.untie(session, center["sales"], number)


def test_ties_go_with_their_agent(session, center):
    dedicated.tie(session, center["sales"], CUSTOMER, center["dave"].id)
    dedicated.tie(session, center["sales"], "13900139000", center["bob"].id)
    delete_agent(session, center["sales"], "1003")
    session.expire_all()
    assert [t.customer_number for t in session.scalars(select(DedicatedAgent))] == [
        "13900139000"]


def test_ties_go_with_their_instance(session, center):
    dedicated.tie(session, center["sales"], CUSTOMER, center["dave"].id)
    dedicated.tie(session, center["hotline"], CUSTOMER, center["carol"].id)
    session.delete(session.get(Instance, center["sales"].id))
    session.flush()
    session.expire_all()
    assert [t.instance_id for t in session.scalars(select(DedicatedAgent))] == [
        center["hotline"].id]


# ---- the device a call rings first --------------------------------------------------------

def ready_device(session, caller=CUSTOMER, instance_id=1):
    return dedicated.ready_device(session, instance_id, caller)


def test_a_ready_dedicated_agent_is_rung_first_on_its_device(session, center):
    dave = center["dave"]
    dedicated.tie(session, center["sales"], CUSTOMER, dave.id)
    assert ready_device(session) is None  # never signed in: nothing logged
    log(session, dave, "READY", 0)
    assert ready_device(session) == "PJSIP/i1-1003"
    log(session, dave, "BREAK", 5)
    assert ready_device(session) is None
    log(session, dave, "READY", 10, interface="PJSIP/i1-1003-web")
    assert ready_device(session) == "PJSIP/i1-1003-web"  # the workbench page's phone


@pytest.mark.parametrize("state", ["OFFLINE", "BREAK", "WORKING", "RINGING", "DIALING",
                                   "TALKING"])
def test_an_agent_that_is_not_ready_is_not_rung(session, center, state):
    dave = center["dave"]
    dedicated.tie(session, center["sales"], CUSTOMER, dave.id)
    log(session, dave, "READY", 0)
    log(session, dave, state, 1)
    assert ready_device(session) is None


def test_the_latest_logged_state_counts_whatever_order_rows_were_added(session, center):
    dave = center["dave"]
    dedicated.tie(session, center["sales"], CUSTOMER, dave.id)
    log(session, dave, "READY", 20)
    log(session, dave, "BREAK", 10)  # written later, but it happened earlier
    assert ready_device(session) == "PJSIP/i1-1003"
    log(session, center["bob"], "BREAK", 30)  # another agent's rows do not count
    assert ready_device(session) == "PJSIP/i1-1003"


def test_other_callers_and_other_instances_ring_nobody_first(session, center):
    dave = center["dave"]
    dedicated.tie(session, center["sales"], CUSTOMER, dave.id)
    log(session, dave, "READY", 0)
    assert ready_device(session, caller="13900139000") is None
    assert ready_device(session, instance_id=center["hotline"].id) is None
    for caller in ("", "anonymous", CUSTOMER + "&PJSIP/x", None):
        assert ready_device(session, caller=caller) is None


def test_a_logged_interface_of_another_shape_is_never_rung(session, center):
    dave = center["dave"]
    dedicated.tie(session, center["sales"], CUSTOMER, dave.id)
    for shape in ("PJSIP/i1-1002", "PJSIP/i1-1003&PJSIP/x", "SIP/i1-1003", "PJSIP/i1-1003-x"):
        log(session, dave, "READY", len(shape), interface=shape)
        assert ready_device(session) is None, shape


def test_the_look_up_is_one_query(session, center):
    dave = center["dave"]
    dedicated.tie(session, center["sales"], CUSTOMER, dave.id)
    for second in range(5):
        log(session, dave, "READY" if second % 2 == 0 else "BREAK", second)
    statements = []
    connection = session.connection()
    event.listen(connection, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    assert ready_device(session) == "PJSIP/i1-1003"
    assert len(statements) == 1
