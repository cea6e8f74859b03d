"""``ccc ivr`` through CliRunner on a throw-away SQLite database.

Operator mistakes end with one ``Error:`` line, exit status 1, and nothing written;
publishing and binding never touch the PBX's files (no new generation).
"""
from __future__ import annotations

import json

import pytest

# The CLI tests' fixtures (a throw-away database, the acme account); test arguments named
# like them are those fixtures, not redefinitions.
# ruff: noqa: F811
from tests.unit.test_cli import acme, ccc, ccc_json, settings, snapshot  # noqa: F401

FLOW = {"format": 1, "nodes": [
    {"id": "start", "type": "start"},
    {"id": "hours", "type": "time_condition", "timezone": "Asia/Shanghai",
     "rules": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}]},
    {"id": "menu", "type": "menu", "text": "Press 1 for sales", "retries": 0},
    {"id": "sales", "type": "transfer_skill_group", "skill_group": "default"},
    {"id": "vm", "type": "voicemail", "text": "We are closed"},
    {"id": "bye", "type": "hangup", "reason": "no choice"}],
    "edges": [{"from": "start", "to": "hours"},
              {"from": "hours", "to": "menu", "when": "open"},
              {"from": "hours", "to": "vm", "when": "closed"},
              {"from": "menu", "to": "sales", "when": "1"},
              {"from": "menu", "to": "bye", "when": "timeout"}]}

BROKEN_YAML = """
nodes:
  - {id: start, type: start}
  - {id: hello, type: play, prompt: not-uploaded}
  - {id: q, type: transfer_skill_group, skill_group: elsewhere}
edges:
  - {from: start, to: hello}
  - {from: hello, to: q}
"""

SALES = ("--instance", "sales.acme")


@pytest.fixture
def main_flow(acme, ccc, tmp_path):
    path = tmp_path / "main.json"
    path.write_text(json.dumps(FLOW))
    ccc("ivr", "import", str(path), *SALES)
    return path


def error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_import_publish_bind_and_list(ccc, settings, main_flow):
    before = snapshot(settings)
    assert "version 1 published" in ccc("ivr", "publish", "main", *SALES).stdout
    assert "01012345678 runs flow main" in ccc("ivr", "bind", "01012345678", "main",
                                               *SALES).stdout
    after = snapshot(settings)
    assert after["generation"] == before["generation"]  # no PBX reload
    assert after["ivr_flow_version"] == before["ivr_flow_version"]  # the draft became v1
    rows = ccc_json(ccc, "ivr", "list", *SALES)
    assert {"name": "main", "published": 1, "draft": False} in rows
    numbers = ccc_json(ccc, "number", "list", *SALES)
    assert numbers[0]["inbound_flow_id"] is not None


def test_import_keeps_an_invalid_draft_and_lists_its_problems(acme, ccc, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_YAML)
    result = ccc("ivr", "import", str(path), *SALES)
    assert "2 problem(s)" in result.stdout
    assert "missing_audio: node 'hello'" in result.stdout
    assert "unknown_target: node 'q'" in result.stdout
    checked = ccc("ivr", "validate", "broken", *SALES, ok=False)
    assert "node 'hello'" in checked.stdout and "node 'q'" in checked.stdout
    assert error_line(checked) == "Error: flow broken has 2 problem(s)"
    refused = ccc("ivr", "publish", "broken", *SALES, ok=False)
    assert "missing_audio: node 'hello'" in refused.stdout
    assert error_line(refused) == "Error: flow broken not published: 2 problem(s)"
    rows = ccc_json(ccc, "ivr", "versions", "broken", *SALES)
    assert [(r["version"], r["state"]) for r in rows] == [(None, "draft")]


def test_validate_a_good_flow(ccc, main_flow):
    assert ccc("ivr", "validate", "main", *SALES).stdout == "flow main is valid\n"


def test_versions_and_export(ccc, main_flow, tmp_path):
    ccc("ivr", "publish", "main", *SALES)
    changed = dict(FLOW, nodes=[*FLOW["nodes"][:-1], {"id": "bye", "type": "hangup"}])
    main_flow.write_text(json.dumps(changed))
    ccc("ivr", "import", str(main_flow), *SALES)
    ccc("ivr", "publish", "main", *SALES)
    rows = ccc_json(ccc, "ivr", "versions", "main", *SALES)
    assert [(r["version"], r["state"]) for r in rows] == [(1, "published"), (2, "published")]
    assert json.loads(ccc("ivr", "export", "main", *SALES, "--version", "1").stdout) == FLOW
    out = tmp_path / "out.json"
    ccc("ivr", "export", "main", *SALES, "-o", str(out))
    assert json.loads(out.read_text()) == changed


def test_simulate_prints_the_path_and_the_actions(ccc, main_flow):
    result = ccc("ivr", "simulate", "main", *SALES, "--digits", "1",
                 "--at", "2026-11-23T03:00", "--caller", "13800001111")
    assert result.stdout.splitlines()[0] == "path: start > hours > menu > sales"
    assert "[sales] queue for skill group 'default'" in result.stdout
    closed = ccc_json(ccc, "ivr", "simulate", "main", *SALES, "--at", "2026-11-23T20:00")
    assert closed["path"] == ["start", "hours", "vm"]
    assert closed["steps"][0]["answer"] == "10 s recorded"


def test_simulate_with_variables_http_and_transfer_outcomes(acme, ccc, tmp_path):
    document = {"nodes": [
        {"id": "start", "type": "start"},
        {"id": "crm", "type": "http", "url": "https://crm.example/?c=${caller}&a=${account}",
         "set": {"tier": "tier"}},
        {"id": "q", "type": "transfer_skill_group", "skill_group": "default"},
        {"id": "rate", "type": "survey", "text": "rate us"}],
        "edges": [{"from": "start", "to": "crm"}, {"from": "crm", "to": "q", "when": "ok"},
                  {"from": "q", "to": "rate", "when": "after"}]}
    path = tmp_path / "crm.json"
    path.write_text(json.dumps(document))
    ccc("ivr", "import", str(path), *SALES)
    result = ccc_json(ccc, "ivr", "simulate", "crm", *SALES, "--caller", "138",
                      "--var", "account=7", "--http-response", '{"tier": "gold"}',
                      "--transfer", "after", "--digits", "5")
    assert result["steps"][0]["action"].startswith("POST https://crm.example/?c=138&a=7")
    assert result["variables"] == {"account": "7", "tier": "gold"}
    assert result["path"][-1] == "rate"
    assert "save survey score 5" in [s["action"] for s in result["steps"]]


@pytest.mark.parametrize(("args", "message"), [
    (("ivr", "publish", "ghost", *SALES), "Error: no flow 'ghost' in instance sales.acme"),
    (("ivr", "create", "main", "--instance", "nowhere.acme"), "Error: unknown instance"),
    (("ivr", "create", "bad name", *SALES), "Error: invalid flow name 'bad name'"),
    (("ivr", "bind", "4001234567", "welcome", *SALES),
     "Error: no number '4001234567' in instance sales.acme"),
    (("ivr", "bind", "01012345678", "draft-only", *SALES), "no published version"),
    (("ivr", "simulate", "draft-only", *SALES, "--digits", "x"), "Error: invalid digits 'x'"),
    (("ivr", "simulate", "draft-only", *SALES, "--at", "noon"), "Error: invalid time 'noon'"),
    (("ivr", "simulate", "draft-only", *SALES, "--var", "novalue"), "Error: invalid --var"),
    (("ivr", "simulate", "draft-only", *SALES, "--http-response", "{x"),
     "Error: invalid HTTP response body"),
    (("ivr", "export", "draft-only", *SALES, "--version", "3"), "Error: flow 'draft-only' has"),
    (("ivr", "publish", "welcome", *SALES), "Error: flow 'welcome' has no draft"),
])
def test_mistakes_are_one_line_and_write_nothing(ccc, settings, acme, args, message):
    ccc("ivr", "create", "draft-only", *SALES)
    before = snapshot(settings)
    assert message in error_line(ccc(*args, ok=False))
    assert snapshot(settings) == before


def test_import_of_a_file_that_is_no_flow_writes_nothing(ccc, settings, acme, tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]")
    before = snapshot(settings)
    assert "JSON object" in error_line(ccc("ivr", "import", str(path), *SALES, ok=False))
    named = tmp_path / "bad name.json"
    named.write_text(json.dumps(FLOW))
    assert "invalid flow name" in error_line(ccc("ivr", "import", str(named), *SALES, ok=False))
    assert snapshot(settings) == before
