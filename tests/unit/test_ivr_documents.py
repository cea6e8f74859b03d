"""Flow documents as text (JSON, YAML) and the published JSON Schema kept in step with code."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import engine.ivr
from engine import validation
from engine.errors import Invalid
from engine.ivr.documents import MAX_DOCUMENT_BYTES, dump_document, parse_document
from engine.ivr.spec import DEFAULTS, MODULES
from engine.ivr.validation import Catalog, validate

HERE = Path(engine.ivr.__file__).parent
SCHEMA = json.loads((HERE / "schema.json").read_text())
BRANCHES = {b["if"]["properties"]["type"]["const"]: b["then"]
            for b in SCHEMA["$defs"]["node"]["allOf"]}

YAML = """
nodes:
  - {id: start, type: start}
  - id: hours
    type: time_condition
    rules: [{days: [mon], from: 9:00, to: 18:00}]
    holidays: [2026-12-25]
  - {id: menu, type: menu, prompt: welcome}
  - {id: bye, type: hangup}
edges:
  - {from: start, to: hours}
  - {from: hours, to: menu, when: open}
  - {from: hours, to: bye, when: closed}
  - {from: menu, to: bye, when: 1}
  - {from: menu, to: bye, when: 0}
"""


def test_yaml_is_read_with_its_implicit_types_undone():
    document = parse_document(YAML)
    hours = document["nodes"][1]
    assert hours["rules"] == [{"days": ["mon"], "from": "09:00", "to": "18:00"}]
    assert hours["holidays"] == ["2026-12-25"]
    assert [e.get("when") for e in document["edges"]][-2:] == ["1", "0"]
    assert document["format"] == 1
    assert validate(document, Catalog()) == []


def test_json_round_trips():
    document = parse_document(YAML)
    assert parse_document(dump_document(document)) == document


@pytest.mark.parametrize(("text", "message"), [
    ("[1, 2]", "JSON object"), ("just words", "JSON object"),
    ("nodes: [unclosed", "neither JSON nor YAML"),
    ('{"nodes": [], "edges": [], "pad": "' + "x" * MAX_DOCUMENT_BYTES + '"}', "at most"),
])
def test_not_a_document_is_refused(text, message):
    with pytest.raises(Invalid, match=message):
        parse_document(text)


def test_the_format_md_example_is_valid():
    text = (HERE / "FORMAT.md").read_text()
    example = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))
    catalog = Catalog(audio=frozenset({"main-menu"}), skill_groups=frozenset({"sales"}))
    assert validate(example, catalog) == []


def test_schema_lists_every_module_with_its_outlets():
    assert SCHEMA["$defs"]["node"]["properties"]["type"]["enum"] == list(MODULES)
    assert {kind: set(then["x-outlets"]) for kind, then in BRANCHES.items()} == \
        {kind: set(module.outlets) for kind, module in MODULES.items()}
    assert "invalid" in BRANCHES["menu"]["x-outlets"] and "#" in BRANCHES["menu"]["x-outlets"]


def test_schema_patterns_are_the_engines():
    defs = SCHEMA["$defs"]
    assert defs["audio"]["pattern"] == validation.AUDIO_NAME_RE.pattern
    assert defs["variable"]["pattern"] == validation.IVR_VARIABLE_RE.pattern
    assert defs["node"]["properties"]["id"]["pattern"] == validation.IVR_NODE_ID_RE.pattern
    assert BRANCHES["goto_flow"]["properties"]["flow"]["pattern"] == \
        validation.IVR_FLOW_NAME_RE.pattern
    assert BRANCHES["transfer_agent"]["properties"]["agent"]["pattern"] == \
        validation.EXTENSION_RE.pattern


def test_schema_defaults_are_the_interpreters():
    for kind, defaults in DEFAULTS.items():
        for name, value in defaults.items():
            assert BRANCHES[kind]["properties"][name].get("default") == value, (kind, name)
