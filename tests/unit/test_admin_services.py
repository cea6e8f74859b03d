"""The engine rules behind the web admin, the API and the CLI: account scoping, roles,
tokens, CSV import, skill groups and number bindings."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import access
from engine.accounts.models import Role
from engine.accounts.service import find_or_create_user, get_account, get_user
from engine.accounts.tokens import create_token, user_for_token
from engine.agents.importing import ImportRejected, import_agents
from engine.agents.service import create_agent, list_agents, parse_levels, update_agent
from engine.errors import Conflict, Invalid, NotFound
from engine.models import Agent, Instance, Number, SkillGroup
from engine.numbers.service import bind_number, set_outbound_numbers
from engine.skillgroups.service import (create_skill_group, delete_skill_group, set_members,
                                        update_skill_group)
from tests.factories import add_account, add_instance


@pytest.fixture
def two_accounts(session):
    add_account(session, "acme")
    sales = add_instance(session, "acme", "Sales", "sales.acme", "01012345678", admin="alice")
    add_account(session, "globex")
    support = add_instance(session, "globex", "Support", "support.globex", "02087654321",
                           admin="mallory")
    return sales, support


def test_owned_loads_only_the_accounts_resources(session, two_accounts):
    sales, support = two_accounts
    acme = sales.instance.account_id
    assert access.owned(session, Instance, sales.instance.id, acme) is sales.instance
    assert access.owned(session, Agent, sales.admin_agent.id, acme) is sales.admin_agent
    assert access.owned(session, Number, sales.number.id, acme) is sales.number
    for model, ident in ((Instance, support.instance.id), (Agent, support.admin_agent.id),
                         (Number, support.number.id), (Instance, 999)):
        with pytest.raises(NotFound):
            access.owned(session, model, ident, acme)
    group = session.scalar(select(SkillGroup).where(
        SkillGroup.instance_id == sales.instance.id))
    with pytest.raises(NotFound):  # the account's group, but not of the instance in the path
        access.owned(session, SkillGroup, group.id, acme, instance_id=support.instance.id)


def test_who_may_configure(session, two_accounts):
    sales, support = two_accounts
    acme = get_account(session, "acme")
    owner = find_or_create_user(session, acme, "olivia", Role.OWNER)
    alice = find_or_create_user(session, acme, "alice", Role.AGENT)  # already an admin
    agent = find_or_create_user(session, acme, "andy", Role.AGENT)
    assert access.may_configure(session, owner) and access.may_configure(session, owner,
                                                                         sales.instance)
    assert alice.role is Role.INSTANCE_ADMIN
    assert access.may_configure(session, alice, sales.instance)
    assert not access.may_configure(session, alice)
    other = add_instance(session, "acme", "Other", "other.acme", "01012345679", admin="carol")
    assert not access.may_configure(session, alice, other.instance)
    assert not access.may_configure(session, agent, sales.instance)


def test_a_token_is_shown_once_and_stored_hashed(session, two_accounts):
    acme = get_account(session, "acme")
    secret = create_token(session, get_user(session, acme, "alice"))
    assert user_for_token(session, secret).name == "alice"
    assert user_for_token(session, secret + "x") is None
    assert user_for_token(session, "") is None
    with pytest.raises(NotFound):  # how every face finds the user: within its account
        get_user(session, acme, "mallory")  # a user of another account


def test_import_is_all_or_nothing_and_reports_every_row(session, two_accounts):
    sales, _ = two_accounts
    with pytest.raises(ImportRejected) as rejected:
        import_agents(session, sales.instance,
                      "name,extension,skill_groups\nok,2001,default:1\nok2,2001,\n"
                      "x,01012345678,\ny,,default:x\n")
    assert [(e.line, e.field) for e in rejected.value.errors] == [
        (3, "extension"), (4, "extension"), (5, "skill_groups")]
    assert [a.name for a in list_agents(session, sales.instance)] == ["alice"]
    for text, message in (("", "the header must name"), ("name\n", "no agent rows"),
                          ("name,phone\nx,1\n", "the header must name"),
                          ("name\nx,extra\n", "more cells than columns")):
        with pytest.raises(ImportRejected, match=message):
            import_agents(session, sales.instance, text)
    with pytest.raises(ImportRejected, match="not UTF-8"):
        import_agents(session, sales.instance, b"name\n\xff\xfe\n")
    created = import_agents(session, sales.instance, b"\xef\xbb\xbfname,skill_groups\nbea,\n")
    assert [(a.name, a.extension) for a in created] == [("bea", "1002")]


def test_agent_update_replaces_skill_groups(session, two_accounts):
    sales, _ = two_accounts
    create_skill_group(session, sales.instance, "vip")
    bob = create_agent(session, sales.instance, "bob")
    update_agent(session, bob, "bobby", {"vip": 4})
    assert (bob.name, {m.skill_group.name: m.level for m in bob.memberships}) == (
        "bobby", {"vip": 4})
    with pytest.raises(Invalid) as error:
        update_agent(session, bob, "", {"vip": 0, "nope": 1})
    assert set(error.value.fields) == {"name", "skill_groups"}
    assert parse_levels("default:1; vip : 2,gold") == {"default": 1, "vip": 2, "gold": 1}


def test_skill_group_rules(session, two_accounts):
    sales, support = two_accounts
    vip = create_skill_group(session, sales.instance, "vip", "linear", 60)
    with pytest.raises(Conflict):
        create_skill_group(session, sales.instance, "vip")
    with pytest.raises(Invalid) as error:
        update_skill_group(session, vip, "vip", "loudest", 1)
    assert set(error.value.fields) == {"strategy", "wait_timeout"}
    default = session.scalar(select(SkillGroup).where(
        SkillGroup.instance_id == sales.instance.id, SkillGroup.name == "default"))
    for change in (lambda: delete_skill_group(session, default),
                   lambda: update_skill_group(session, default, "renamed", "ringall", 60)):
        with pytest.raises(Conflict, match="default group"):
            change()
    with pytest.raises(Invalid, match="no agent"):  # another instance's agent
        set_members(session, vip, {support.admin_agent.id: 1})
    set_members(session, vip, {sales.admin_agent.id: 3})
    assert {m.skill_group.name: m.level for m in sales.admin_agent.memberships} == {
        "default": 1, "vip": 3}
    with pytest.raises(Invalid, match="no number"):
        set_outbound_numbers(session, vip, [support.number.id])
    set_outbound_numbers(session, vip, [sales.number.id])
    assert [g.name for g in sales.number.outbound_skill_groups] == ["default", "vip"]
    delete_skill_group(session, vip)
    assert [g.name for g in sales.number.outbound_skill_groups] == ["default"]
    assert session.scalar(select(func.count()).select_from(SkillGroup)) == 2


def test_a_number_binds_only_its_instances_published_flows_and_groups(session, two_accounts):
    sales, support = two_accounts
    with pytest.raises(Invalid) as error:
        bind_number(session, sales.number, support.number.inbound_flow_id,
                    [g.id for g in support.number.outbound_skill_groups])
    assert set(error.value.fields) == {"inbound_flow", "skill_groups"}
    bind_number(session, sales.number, None, [])
    assert (sales.number.inbound_flow_id, sales.number.outbound_skill_groups) == (None, [])


def test_overflow_targets_a_group_of_the_same_instance_and_is_rendered(session, settings,
                                                                      two_accounts):
    import re

    from provisioning.render import extensions_context
    from provisioning.templates import render
    sales, support = two_accounts
    default = sales.number.outbound_skill_groups[0]
    other = support.number.outbound_skill_groups[0]
    backup = create_skill_group(session, sales.instance, "backup", "ringall", 20)
    for target, message in ((other.id, "same instance"), (default.id, "into itself"),
                            ("3", "same instance")):
        with pytest.raises(Invalid, match=message):
            update_skill_group(session, default, "default", "rrmemory", 60, target)
    update_skill_group(session, default, "default", "rrmemory", 60, backup.id)
    text = render("extensions.conf", **extensions_context(session, settings))
    key = sales.instance.pbx_key
    section = text.split(f"[ccc-{key}-overflow]\n", 1)[1].split("\n\n", 1)[0]
    q = backup.queue_name
    assert section.splitlines()[:4] == [
        f"exten => {default.id},1,NoOp(ccc: skill group default overflows)",
        f" same => n,Gosub(ccc-{key}-recording,{backup.id},1)",  # the backup group's policy
        # a backup group nobody is signed in to: the queue log says so (CallsBlocked)
        f" same => n,ExecIf($[${{QUEUE_MEMBER({q},count)}} = 0]?QueueLog({q},${{UNIQUEID}},"
        "NONE,BLOCKED))",
        f" same => n,Queue({q},rb(ccc-ring-agent^s^1(${{CCC_DIALLED}})),,,20)"]
    offset = len(f"{key}-q")
    goto = (f"ccc-{key}-overflow,${{CCC_QUEUE:{offset}:12}},1")
    # Only when the flow has no overflow branch of its own (CCC_ON_FAILED empty).
    assert (f'GotoIf($["${{QUEUESTATUS}}" = "TIMEOUT" & "${{CCC_ON_FAILED}}" = "" & '
            f'${{DIALPLAN_EXISTS({goto})}}]?{goto})') in text
    # the other instance has no overflow: nothing rendered for it, no reach across
    assert f"ccc-{support.instance.pbx_key}-overflow" not in text
    assert set(re.findall(r"Queue\((i\d+)-q", section)) == {key}
    delete_skill_group(session, backup)
    assert default.overflow_id is None


def _publish(session, instance, nodes: list[dict]) -> None:
    """Publish a flow "main" of ``instance`` whose start leads to ``nodes`` (a chain)."""
    from engine.ivr.service import create_flow, find_flow, publish
    ids = ["start"] + [node["id"] for node in nodes]
    document = {"nodes": [{"id": "start", "type": "start"}] + nodes,
                "edges": [{"from": a, "to": b} for a, b in zip(ids[:-1], ids[1:], strict=True)]}
    flow = find_flow(session, instance, "main") or create_flow(session, instance, "main")
    publish(session, flow, document)


def test_targets_of_the_latest_published_version_cannot_be_deleted(session, two_accounts):
    """An agent or skill group a flow's latest version transfers to stays; once a new
    version no longer names it, it may go."""
    from engine.agents.service import delete_agent
    sales, _ = two_accounts
    bob = create_agent(session, sales.instance, "bob", "1002")
    vip = create_skill_group(session, sales.instance, "vip")
    _publish(session, sales.instance, [
        {"id": "menu", "type": "transfer_agent", "agent": "1002"},
    ])
    with pytest.raises(Conflict, match="agent 1002 cannot be deleted: .*main"):
        delete_agent(session, sales.instance, "1002")
    _publish(session, sales.instance, [
        {"id": "vip", "type": "transfer_skill_group", "skill_group": "vip"},
    ])
    with pytest.raises(Conflict, match="published flows send callers to it: main"):
        delete_skill_group(session, vip)
    delete_agent(session, sales.instance, "1002")  # version 2 no longer names bob
    assert bob not in list_agents(session, sales.instance)
    _publish(session, sales.instance, [{"id": "bye", "type": "hangup"}])
    delete_skill_group(session, vip)
    assert session.scalar(select(func.count()).select_from(SkillGroup)
                          .where(SkillGroup.name == "vip")) == 0
