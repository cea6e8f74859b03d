"""Flow validation: every problem code, each naming its node (pure, no database)."""
from __future__ import annotations

import copy

import pytest

from engine.ivr.validation import Catalog, FlowProblem, validate

CATALOG = Catalog(audio=frozenset({"main-menu", "closed"}), skill_groups=frozenset({"sales"}),
                  agents=frozenset({"1001"}),
                  flows={"after-hours": {"nodes": [{"id": "start", "type": "start"}],
                                         "edges": []}},
                  flow_name="main")


def good() -> dict:
    """A valid flow using most modules."""
    return {"format": 1, "nodes": [
        {"id": "start", "type": "start"},
        {"id": "hours", "type": "time_condition", "timezone": "Asia/Shanghai",
         "rules": [{"days": ["mon", "fri"], "from": "09:00", "to": "18:00"}],
         "holidays": ["2026-12-25"], "open_dates": [{"date": "2026-12-26", "from": "10:00",
                                                     "to": "24:00"}]},
        {"id": "menu", "type": "menu", "prompt": "main-menu", "timeout": 5, "retries": 2},
        {"id": "sales", "type": "transfer_skill_group", "skill_group": "sales", "timeout": 60},
        {"id": "agent", "type": "transfer_agent", "agent": "1001"},
        {"id": "ask", "type": "collect", "text": "Account?", "variable": "account",
         "max_digits": 8},
        {"id": "crm", "type": "http", "url": "https://crm.example/x?a=${account}",
         "set": {"tier": "customer.tier"}},
        {"id": "vip", "type": "condition", "variable": "tier", "operator": "equals",
         "value": "gold"},
        {"id": "mark", "type": "set_variable", "variable": "seen", "value": "${caller}"},
        {"id": "out", "type": "transfer_external", "number": "+86${account}"},
        {"id": "later", "type": "goto_flow", "flow": "after-hours"},
        {"id": "vm", "type": "voicemail", "prompt": "closed", "max_seconds": 120},
        {"id": "rate", "type": "survey", "prompt": "welcome"},
        {"id": "bye", "type": "hangup", "reason": "done"},
    ], "edges": [
        {"from": "start", "to": "hours"},
        {"from": "hours", "to": "menu", "when": "open"},
        {"from": "hours", "to": "later", "when": "closed"},
        {"from": "menu", "to": "sales", "when": "1"},
        {"from": "menu", "to": "agent", "when": "2"},
        {"from": "menu", "to": "ask", "when": "3"},
        {"from": "menu", "to": "bye", "when": "timeout"},
        {"from": "sales", "to": "vm", "when": "overflow"},
        {"from": "sales", "to": "rate", "when": "after"},
        {"from": "ask", "to": "crm"},
        {"from": "crm", "to": "vip", "when": "ok"},
        {"from": "crm", "to": "bye", "when": "error"},
        {"from": "vip", "to": "mark", "when": "true"},
        {"from": "vip", "to": "bye", "when": "false"},
        {"from": "mark", "to": "out"},
        {"from": "rate", "to": "bye"},
    ]}


def node(document: dict, node_id: str) -> dict:
    return next(n for n in document["nodes"] if n["id"] == node_id)


def found(document, catalog: Catalog = CATALOG) -> list[tuple[str | None, str]]:
    return [(p.node, p.code) for p in validate(document, catalog)]


def test_a_good_flow_has_no_problems():
    assert validate(good(), CATALOG) == []


def test_the_welcome_flow_is_valid_where_its_group_exists():
    from engine.ivr.service import welcome_document
    assert validate(welcome_document("sales"), CATALOG) == []
    assert found(welcome_document("support")) == [("queue", "unknown_target")]


def test_unknown_module():
    document = good()
    node(document, "bye")["type"] = "teleport"
    problems = validate(document, CATALOG)
    assert ("bye", "unknown_module") in [(p.node, p.code) for p in problems]
    assert "teleport" in next(p.message for p in problems if p.code == "unknown_module")


def test_edge_to_a_missing_node():
    document = good()
    document["edges"].append({"from": "mark", "to": "ghost", "when": "next"})
    document["edges"] = [e for e in document["edges"] if e != {"from": "mark", "to": "out"}]
    problems = validate(document, CATALOG)
    assert ("mark", "missing_node") in [(p.node, p.code) for p in problems]
    assert str(next(p for p in problems if p.code == "missing_node")) == \
        "node 'mark': edge 'next' goes to a missing node 'ghost'"


def test_edge_from_a_missing_node():
    document = good()
    document["edges"].append({"from": "ghost", "to": "bye"})
    assert found(document) == [(None, "missing_node")]


def test_unreachable_node():
    document = good()
    document["nodes"].append({"id": "lonely", "type": "hangup"})
    assert found(document) == [("lonely", "unreachable")]


@pytest.mark.parametrize(("node_id", "edge"), [
    ("start", {"from": "start", "to": "hours"}),
    ("hours", {"from": "hours", "to": "later", "when": "closed"}),
    ("vip", {"from": "vip", "to": "bye", "when": "false"}),
    ("mark", {"from": "mark", "to": "out"}),
    ("ask", {"from": "ask", "to": "crm"}),
    ("crm", {"from": "crm", "to": "vip", "when": "ok"}),
])
def test_a_needed_outlet_without_an_edge_is_no_way_out(node_id, edge):
    document = good()
    document["edges"].remove(edge)
    assert (node_id, "no_way_out") in found(document)


def test_a_menu_needs_one_key_and_optional_outlets_may_be_left_out():
    document = good()
    document["edges"] = [e for e in document["edges"]
                         if e["from"] != "menu" or e["when"] == "timeout"]
    assert ("menu", "no_way_out") in found(document)
    optional = good()
    optional["edges"] = [e for e in optional["edges"]
                         if (e["from"], e.get("when")) not in {("sales", "overflow"),
                                                                ("rate", None),
                                                                ("crm", "error")}]
    # vm is then unreachable, bye still reached: no no_way_out for sales, rate or crm
    assert found(optional) == [("vm", "unreachable")]


def test_missing_audio_and_the_product_sounds():
    document = good()
    node(document, "vm")["prompt"] = "not-uploaded"
    node(document, "menu")["prompt"] = "unavailable"  # a product sound: always there
    problems = validate(document, CATALOG)
    assert [(p.node, p.code) for p in problems] == [("vm", "missing_audio")]
    assert "'not-uploaded'" in problems[0].message


@pytest.mark.parametrize(("node_id", "name", "value"), [
    ("sales", "skill_group", "support"),      # e.g. another instance's group
    ("agent", "agent", "1002"),
    ("later", "flow", "unpublished"),
])
def test_a_target_not_in_this_instance(node_id, name, value):
    document = good()
    node(document, node_id)[name] = value
    assert found(document) == [(node_id, "unknown_target")]


def test_a_silent_cycle_is_found_but_a_menu_loop_is_not():
    document = good()
    document["edges"] = [e for e in document["edges"] if e["from"] != "mark"]
    document["edges"].append({"from": "mark", "to": "vip"})
    problems = validate(document, CATALOG)
    assert [(p.node, p.code) for p in problems] == [("vip", "silent_cycle"),
                                                    ("out", "unreachable")]
    assert "vip > mark" in problems[0].message
    looping_menu = good()
    looping_menu["edges"].append({"from": "menu", "to": "menu", "when": "invalid"})
    assert validate(looping_menu, CATALOG) == []


def test_a_self_loop_without_input_is_a_silent_cycle():
    document = good()
    document["edges"] = [e for e in document["edges"] if e["from"] != "mark"]
    document["edges"].append({"from": "mark", "to": "mark"})
    assert ("mark", "silent_cycle") in found(document)


def test_a_loop_through_a_transfer_is_not_silent():
    document = good()
    document["edges"] = [e for e in document["edges"]
                         if (e["from"], e.get("when")) != ("sales", "overflow")]
    document["edges"].append({"from": "sales", "to": "sales", "when": "overflow"})
    assert found(document) == [("vm", "unreachable")]


def test_goto_flow_back_to_this_flow():
    catalog = Catalog(skill_groups=CATALOG.skill_groups, agents=CATALOG.agents,
                      audio=CATALOG.audio, flow_name="main", flows={
                          "after-hours": {"nodes": [{"id": "start", "type": "start"},
                                                    {"id": "g", "type": "goto_flow",
                                                     "flow": "main"}]},
                          "main": {"nodes": []}})
    problems = validate(good(), catalog)
    assert [(p.node, p.code) for p in problems] == [("later", "flow_recursion")]
    assert problems[0].message.endswith("main > after-hours > main")


def test_goto_flow_to_itself():
    document = good()
    node(document, "later")["flow"] = "main"
    catalog = Catalog(**{**CATALOG.__dict__, "flows": {"main": {"nodes": []}}})
    assert found(document, catalog) == [("later", "flow_recursion")]


def test_start_must_be_exactly_one():
    document = good()
    document["nodes"].append({"id": "again", "type": "start"})
    document["edges"].append({"from": "again", "to": "bye"})
    assert ("again", "start") in found(document)
    none = {"nodes": [{"id": "bye", "type": "hangup"}], "edges": []}
    assert found(none) == [(None, "start")]


def test_duplicate_and_bad_outlets():
    document = good()
    document["edges"].append({"from": "menu", "to": "bye", "when": "1"})
    document["edges"].append({"from": "vip", "to": "bye", "when": "maybe"})
    document["edges"].append({"from": "bye", "to": "start"})
    assert found(document) == [("menu", "duplicate_outlet"), ("vip", "bad_outlet"),
                               ("bye", "bad_outlet")]


BAD_FIELDS = [
    ("menu", {"timeout": 31}), ("menu", {"retries": 6}), ("menu", {"timeout": True}),
    ("menu", {"prompt": None, "text": None}), ("menu", {"text": "both"}),
    ("menu", {"prompt": "Main Menu"}),
    ("ask", {"variable": "Account"}), ("ask", {"variable": "caller"}),
    ("ask", {"max_digits": 33}), ("ask", {"min_digits": 9}), ("ask", {"terminator": "1"}),
    ("hours", {"timezone": "Mars/Olympus"}), ("hours", {"rules": [{"days": ["monday"],
                                                                   "from": "09:00",
                                                                   "to": "18:00"}]}),
    ("hours", {"rules": [{"from": "9:00", "to": "18:00"}]}),
    ("hours", {"rules": [{"from": "09:00", "to": "09:00"}]}),
    ("hours", {"holidays": ["25/12/2026"]}), ("hours", {"open_dates": [{"date": "2026-12-26"}]}),
    ("vip", {"operator": "like"}), ("vip", {"value": None}),
    ("mark", {"variable": "instance"}),
    ("sales", {"timeout": 0}), ("agent", {"agent": "1001\n"}),
    ("out", {"number": "123;Dial(x)"}), ("out", {"number": "12"}),
    ("crm", {"url": "ftp://crm.example/"}), ("crm", {"url": "https://${host}/x"}),
    ("crm", {"timeout": 11}), ("crm", {"set": {"Bad": "x"}}), ("crm", {"set": ["tier"]}),
    ("vm", {"max_seconds": 301}), ("rate", {"timeout": 60}), ("later", {"flow": "a b"}),
    ("bye", {"reason": 5}), ("bye", {"x": "left"}),
]


@pytest.mark.parametrize(("node_id", "change"), BAD_FIELDS)
def test_bad_fields_name_their_node(node_id, change):
    document = good()
    target = node(document, node_id)
    for name, value in change.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    assert (node_id, "bad_field") in found(document)
    assert all(p.node == node_id for p in validate(document, CATALOG))


def test_a_collect_needs_max_digits():
    document = good()
    del node(document, "ask")["max_digits"]
    assert found(document) == [("ask", "bad_field")]


@pytest.mark.parametrize("document", [
    [], "flow", {"nodes": "x", "edges": []}, {"nodes": [], "edges": {}},
])
def test_not_a_flow_document(document):
    assert found(document) == [(None, "bad_field")]


def test_bad_node_ids_and_duplicates_and_format():
    document = good()
    document["format"] = 2
    document["nodes"].append({"id": "1st", "type": "hangup"})
    document["nodes"].append({"id": "bye", "type": "hangup"})
    assert found(document) == [(None, "bad_field"), (None, "bad_field"), ("bye", "bad_field")]


def test_problems_come_in_node_order_and_read_as_one_line_each():
    document = copy.deepcopy(good())
    node(document, "bye")["type"] = "teleport"
    node(document, "menu")["retries"] = 9
    problems = validate(document, CATALOG)
    assert [p.node for p in problems] == ["menu", "bye"]
    assert all("\n" not in str(p) for p in problems)
    assert FlowProblem(None, "start", "x").as_dict() == {"node": None, "code": "start",
                                                         "message": "x"}
