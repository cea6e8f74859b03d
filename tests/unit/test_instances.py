"""An instance ready to take calls in one step, and the mistakes that must write nothing."""
import json

import pytest
from sqlalchemy import func, select

from engine.errors import Conflict, Invalid, NotFound
from engine.instances.service import create_instance, get_instance, update_instance
from engine.ivr.interpreter import Play, Prompt, Queue, run_to_end
from engine.ivr.models import FlowState, IvrFlow
from engine.models import Agent, Instance, Number, SkillGroup
from engine.uow import transaction
from engine.accounts.service import get_account
from tests.factories import add_account, add_instance


def test_instance_comes_ready_to_take_calls(session):
    add_account(session)
    created = add_instance(session)
    instance = created.instance
    groups = session.scalars(select(SkillGroup).where(SkillGroup.instance_id == instance.id)).all()
    assert [g.name for g in groups] == ["default"]
    admin = created.admin_agent
    assert admin.extension == "1001" and len(admin.sip_secret) == 32
    assert [(m.skill_group.name, m.level) for m in admin.memberships] == [("default", 1)]
    flow = session.get(IvrFlow, created.number.inbound_flow_id)
    assert flow.name == "welcome"
    assert [(v.version, v.state) for v in flow.versions] == [(1, FlowState.PUBLISHED)]
    actions, _ = run_to_end(json.loads(flow.versions[0].definition))
    assert actions == [Play(Prompt("welcome")), Queue("default")]
    assert [g.name for g in created.number.outbound_skill_groups] == ["default"]


def test_a_400_number_is_not_bound_for_outbound_calls(session):
    add_account(session)
    created = add_instance(session, number="4001234567", number_type="400")
    assert created.number.outbound_skill_groups == []
    assert created.number.inbound_flow_id is not None


def test_secrets_differ_between_agents(session):
    add_account(session)
    one = add_instance(session).admin_agent
    two = add_instance(session, name="Support", domain="support.acme", number="01012345679",
                       admin="bob").admin_agent
    assert one.sip_secret != two.sip_secret
    assert one.sip_username != two.sip_username  # both are extension 1001


@pytest.mark.parametrize("change, error, message", [
    (("Sales", "other.acme", "01099999999"), Conflict, "already has an instance named"),
    (("Other", "sales.acme", "01099999999"), Conflict, "already taken"),
    (("Other", "other.acme", "01012345678"), Conflict, "already in use"),
    (("Other", "other.acme", "12345"), Invalid, "malformed landline number"),
    (("Other", "Bad Domain!", "01099999999"), Invalid, "invalid access domain"),
    (("Other", "other.acme", "4001234567"), Invalid, "malformed landline"),
])
def test_mistakes_write_nothing(settings, change, error, message):
    with transaction(settings) as session:
        add_account(session)
        add_instance(session)
    with pytest.raises(error, match=message):
        with transaction(settings) as session:
            name, domain, number = change
            create_instance(session, get_account(session, "acme"), name, domain, number,
                            "landline", "carol")
    with transaction(settings) as session:
        assert session.scalar(select(func.count()).select_from(Instance)) == 1
        assert session.scalar(select(func.count()).select_from(Number)) == 1
        assert session.scalar(select(func.count()).select_from(Agent)) == 1


def test_a_domain_cannot_be_changed(session):
    add_account(session)
    add_instance(session)
    with pytest.raises(Invalid, match="cannot be changed"):
        update_instance(session, "sales.acme", new_domain="new.acme")
    assert update_instance(session, "sales.acme", description="hello").description == "hello"


def test_unknown_instance_and_account(session):
    with pytest.raises(NotFound, match="unknown instance 'nowhere.acme'"):
        get_instance(session, "nowhere.acme")
    with pytest.raises(NotFound, match="unknown account 'ghost'"):
        add_instance(session, account="ghost")


def test_bad_number_type(session):
    add_account(session)
    with pytest.raises(Invalid, match="invalid number type 'mobile'"):
        add_instance(session, number_type="mobile")


def test_an_extension_may_not_be_one_of_the_instance_numbers(session):
    from engine.agents.service import create_agent
    add_account(session)
    created = add_instance(session, number="95123", number_type="95")
    with pytest.raises(Conflict, match="is one of sales.acme's numbers"):
        create_agent(session, created.instance, "dave", "95123")
    assert create_agent(session, created.instance, "dave", "95124").extension == "95124"
