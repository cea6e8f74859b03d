"""The simulator (scripted digits, canned HTTP, transfer outcomes) and its input parsing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from engine.errors import Invalid
from engine.ivr.actions import (DialAgent, DigitsResult, GetDigits, Hangup, HttpResult, Play,
                                Prompt, Queue, Record, SaveSurvey)
from engine.ivr.interpreter import CallContext, LoadedFlow
from engine.ivr.simulator import (describe, describe_answer, parse_at, parse_digits,
                                  parse_http_response, simulate_call)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

FLOW = {"nodes": [
    {"id": "start", "type": "start"},
    {"id": "menu", "type": "menu", "text": "1 sales, 2 account"},
    {"id": "sales", "type": "transfer_skill_group", "skill_group": "sales"},
    {"id": "ask", "type": "collect", "variable": "account", "max_digits": 4},
    {"id": "crm", "type": "http", "url": "http://crm/x", "set": {"tier": "tier"}},
    {"id": "vm", "type": "voicemail", "text": "leave a message"},
    {"id": "rate", "type": "survey", "text": "rate us"},
    {"id": "bye", "type": "hangup", "reason": "bye"}],
    "edges": [{"from": "start", "to": "menu"},
              {"from": "menu", "to": "sales", "when": "1"},
              {"from": "menu", "to": "ask", "when": "2"},
              {"from": "ask", "to": "crm"},
              {"from": "crm", "to": "sales", "when": "ok"},
              {"from": "crm", "to": "bye", "when": "error"},
              {"from": "sales", "to": "vm", "when": "overflow"},
              {"from": "sales", "to": "rate", "when": "after"}]}


def run(**kwargs):
    return simulate_call(FLOW, CallContext(caller="138", now=NOW), **kwargs)


def test_digits_and_canned_http_answers_drive_the_call():
    result = run(digits=["2", "1234#"], http=[HttpResult(200, {"tier": "gold"})])
    assert result.path == ["start", "menu", "ask", "crm", "sales"]
    assert result.actions[-1] == Queue("sales", None, "vm", "rate")
    assert result.variables == {"account": "1234", "tier": "gold"}
    assert result.error is None


def test_no_canned_answer_means_no_http_answer():
    result = run(digits=["2", "1"])
    assert result.steps[3].answer == HttpResult(None)
    assert result.actions[-1] == Hangup("bye")


def test_a_transfer_outcome_resumes_at_its_outlet_with_the_variables():
    result = run(digits=["2", "77", "4"], http=[HttpResult(200, {"tier": "x"})],
                 transfers=["after"])
    assert result.path[-2:] == ["sales", "rate"]
    assert SaveSurvey(4) in result.actions and result.variables["account"] == "77"
    overflow = run(digits=["1"], transfers=["overflow"])
    assert isinstance(overflow.actions[-2], Record) and overflow.path[-1] == "vm"


def test_an_answered_transfer_or_a_missing_outlet_ends_the_run():
    assert run(digits=["1"], transfers=["answered"]).path[-1] == "sales"
    assert run(digits=["1"], transfers=["no_answer"]).path[-1] == "sales"
    with pytest.raises(Invalid, match="unknown transfer outcome"):
        run(digits=["1"], transfers=["maybe"])


def test_resume_after_goto_flow_stays_on_the_loaded_version():
    other = {"nodes": [{"id": "start", "type": "start"},
                       {"id": "agent", "type": "transfer_agent", "agent": "1001"},
                       {"id": "sorry", "type": "play", "text": "no one"}],
             "edges": [{"from": "start", "to": "agent"},
                       {"from": "agent", "to": "sorry", "when": "no_answer"}]}
    main = {"nodes": [{"id": "start", "type": "start"},
                      {"id": "go", "type": "goto_flow", "flow": "other"}],
            "edges": [{"from": "start", "to": "go"}]}
    flows = {"other": LoadedFlow("7", other)}
    result = simulate_call(main, CallContext(now=NOW), transfers=["no_answer"],
                           load_flow=flows.get, flow_ref="6")
    assert result.actions == [DialAgent("1001", 30, "sorry", None),
                              Play(Prompt(text="no one")), Hangup("flow ended")]


def test_a_broken_draft_reports_where_it_stopped():
    broken = {"nodes": [{"id": "start", "type": "start"}, {"id": "x", "type": "teleport"}],
              "edges": [{"from": "start", "to": "x"}]}
    result = simulate_call(broken, CallContext(now=NOW))
    assert result.error == "node 'x': unknown module 'teleport'" and result.path == ["start", "x"]


def test_parse_digits():
    assert parse_digits("1,2,,1234#") == ["1", "2", "", "1234#"]
    assert parse_digits("") == []
    with pytest.raises(Invalid, match="invalid digits 'a'"):
        parse_digits("1,a")


@pytest.mark.parametrize(("text", "expected"), [
    ('{"tier": "gold"}', HttpResult(200, {"tier": "gold"})), ("503", HttpResult(503)),
    ('404:{"a": 1}', HttpResult(404, {"a": 1})), ("timeout", HttpResult(None)),
    ("[1, 2]", HttpResult(200, None)),
])
def test_parse_http_response(text, expected):
    assert parse_http_response(text) == expected


@pytest.mark.parametrize("text", ["999", "{nope", "200:{nope"])
def test_parse_http_response_refuses_nonsense(text):
    with pytest.raises(Invalid):
        parse_http_response(text)


def test_parse_at():
    assert parse_at("2026-11-23T20:00") == datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    assert parse_at("2026-11-23T20:00+08:00").utcoffset() == timedelta(hours=8)
    assert parse_at(None).tzinfo is not None
    assert parse_at(datetime(2026, 1, 1, tzinfo=timezone.utc)).year == 2026
    with pytest.raises(Invalid, match="invalid time 'tonight'"):
        parse_at("tonight")


def test_descriptions_read_plainly():
    assert describe(GetDigits(Prompt("main"), 1, 5.0, "")) == \
        "get up to 1 digit(s) in 5 s (audio 'main')"
    assert describe(Queue("sales", None, "vm", None)) == \
        "queue for skill group 'sales' (the group's timeout; overflow -> vm)"
    assert describe(Hangup("")) == "hang up"
    assert describe_answer(DigitsResult("")) == "no key (timeout)"
    assert describe_answer(HttpResult(200, {"a": 1})) == '200 {"a": 1}'
