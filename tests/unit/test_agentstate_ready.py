"""``get_ready``: the one rule that decides whether READY signs an agent in to skill
groups or only ends its break, for the workbench page and ``ccc agent state ready``.

The PBX side is replaced by a recorder: what matters here is which operation is chosen.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.agentstate import service
from engine.agentstate.states import AgentState, Presence
from engine.errors import Invalid

SIGNED_IN = Presence(AgentState.BREAK, "Meal", ("i1-q1",), "PJSIP/i1-1002")
OFFLINE = Presence(AgentState.OFFLINE)


@pytest.fixture
def pbx(monkeypatch):
    done: list[tuple] = []
    state = {"now": OFFLINE}
    monkeypatch.setattr(service, "presence", lambda settings, agent: state["now"])
    monkeypatch.setattr(service, "ready", lambda settings, agent: done.append(("ready",)))
    monkeypatch.setattr(service, "sign_in", lambda settings, agent, names, device: done.append(
        ("sign_in", names, device)))
    return SimpleNamespace(done=done, state=state)


def agent():
    groups = [SimpleNamespace(skill_group=SimpleNamespace(name=n)) for n in ("default", "vip")]
    return SimpleNamespace(memberships=groups, extension="1002")


def test_an_agent_signed_in_who_names_nothing_only_ends_the_break(pbx):
    pbx.state["now"] = SIGNED_IN
    service.get_ready(None, agent())
    assert pbx.done == [("ready",)]


def test_an_offline_agent_signs_in_to_all_its_groups_on_the_faces_phone(pbx):
    service.get_ready(None, agent(), default_device="web")
    service.get_ready(None, agent())
    assert pbx.done == [("sign_in", ["default", "vip"], "web"),
                        ("sign_in", ["default", "vip"], "sip")]


def test_naming_groups_or_a_device_signs_in_again(pbx):
    pbx.state["now"] = SIGNED_IN
    service.get_ready(None, agent(), ["vip"])
    service.get_ready(None, agent(), None, "web")
    assert pbx.done == [("sign_in", ["vip"], "sip"), ("sign_in", ["default", "vip"], "web")]


@pytest.mark.parametrize("names", ["vip", [1], {"vip": 1}])
def test_groups_that_are_not_a_list_of_names_are_refused_before_the_pbx(pbx, names):
    with pytest.raises(Invalid) as refused:
        service.get_ready(None, agent(), names)
    assert set(refused.value.fields) == {"skill_groups"} and pbx.done == []
