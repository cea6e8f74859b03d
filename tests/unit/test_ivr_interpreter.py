"""The pure IVR interpreter, module by module: no PBX, no database, no clock."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.ivr.interpreter import (MAX_STEPS, CallContext, DialAgent, DialExternal,
                                    DigitsResult, FlowError, GetDigits, Hangup, HttpRequest,
                                    HttpResult, Interpreter, LoadedFlow, Play, Prompt, Queue,
                                    Record, RecordResult, SaveSurvey, SetVariables, run_to_end)
from engine.ivr.service import welcome_document

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
SORRY = [Play(Prompt("unavailable"))]


def flow(*nodes: dict, edges: list[tuple] = ()) -> dict:
    """start -> the first node, then the edges given as (from, to[, when])."""
    first = [{"from": "start", "to": nodes[0]["id"]}] if nodes else []
    return {"format": 1, "nodes": [{"id": "start", "type": "start"}, *nodes],
            "edges": first + [{"from": e[0], "to": e[1], **({"when": e[2]} if len(e) > 2 else {})}
                              for e in edges]}


BYE = {"id": "bye", "type": "hangup", "reason": "bye"}
TWO = {"id": "two", "type": "hangup", "reason": "two"}


def drive(document: dict, answers=(), context: CallContext | None = None, **kwargs):
    """Run a session, answering each waiting action from ``answers`` in order."""
    interpreter = Interpreter(document, context or CallContext(now=NOW), **kwargs)
    pending = list(answers)
    actions = []
    while not interpreter.finished:
        action = interpreter.next_action()
        actions.append(action)
        if isinstance(action, (GetDigits, Record, HttpRequest)):
            interpreter.give(pending.pop(0))
    assert pending == [], "answers left over"
    return actions, interpreter


def keys(*digits: str) -> list[DigitsResult]:
    return [DigitsResult(d) for d in digits]


# ---- start, play, hangup ----------------------------------------------------------------

def test_welcome_flow_plays_then_queues():
    actions, path = run_to_end(welcome_document("sales"))
    assert actions == [Play(Prompt("welcome")), Queue("sales")]
    assert path == ["start", "welcome", "queue"]


def test_play_speaks_text_with_variables_then_ends_without_next():
    document = flow({"id": "p", "type": "play", "text": "You called from ${caller}"})
    actions, interpreter = drive(document, context=CallContext(caller="1380", now=NOW))
    assert actions == [Play(Prompt(text="You called from 1380")), Hangup("flow ended")]
    assert interpreter.finished and interpreter.path == ["start", "p"]


def test_hangup_gives_its_reason_and_ends_the_session():
    actions, interpreter = drive(flow(BYE))
    assert actions == [Hangup("bye")]
    with pytest.raises(FlowError, match="ended"):
        interpreter.next_action()


def test_start_without_next_ends_politely():
    actions, _ = drive({"nodes": [{"id": "start", "type": "start"}], "edges": []})
    assert actions == SORRY + [Hangup("no 'next' branch at node 'start'")]


# ---- menu ------------------------------------------------------------------------------

MENU = {"id": "m", "type": "menu", "prompt": "main", "timeout": 4, "retries": 2}
ASK = GetDigits(Prompt("main"), 1, 4.0, "")


def menu_flow(*extra_edges):
    return flow(MENU, BYE, TWO, edges=[("m", "bye", "1"), ("m", "two", "#"), *extra_edges])


def test_menu_key_takes_its_branch():
    actions, interpreter = drive(menu_flow(), keys("#"))
    assert actions == [ASK, Hangup("two")]
    assert interpreter.path == ["start", "m", "two"]


def test_the_trail_keeps_the_keys_pressed_at_each_menu_visit():
    _, interpreter = drive(menu_flow(), keys("", "7", "1"))
    assert interpreter.trail() == ["start", "m:71", "bye"]   # no key, then 7, then 1
    _, interpreter = drive(menu_flow(), keys("#"))
    assert interpreter.trail() == ["start", "m:#", "two"]


def test_menu_retries_after_a_timeout_and_a_wrong_key():
    actions, _ = drive(menu_flow(), keys("", "7", "1"))
    assert actions == [ASK, ASK, ASK, Hangup("bye")]


def test_menu_leaves_by_the_last_failure_outlet():
    timeout_end = menu_flow(("m", "two", "timeout"), ("m", "bye", "invalid"))
    assert drive(timeout_end, keys("9", "9", ""))[0][-1] == Hangup("two")
    assert drive(timeout_end, keys("", "", "9"))[0][-1] == Hangup("bye")


def test_menu_without_failure_outlets_ends_politely():
    actions, _ = drive(menu_flow(), keys("", "", ""))
    assert actions == [ASK] * 3 + SORRY + [Hangup("no 'timeout' branch at node 'm'")]


def test_menu_timeout_and_retries_are_capped():
    greedy = dict(MENU, timeout=600, retries=50)
    actions, _ = drive(flow(greedy, BYE, edges=[("m", "bye", "timeout")]), keys(*[""] * 6))
    assert actions[0].timeout == 30.0
    assert len(actions) == 7  # 1 + at most 5 retries, then the timeout branch


# ---- collect ---------------------------------------------------------------------------

COLLECT = {"id": "c", "type": "collect", "text": "Your account", "variable": "account",
           "min_digits": 3, "max_digits": 6, "retries": 1}


def test_collect_stores_digits_without_the_terminator():
    actions, interpreter = drive(flow(COLLECT, BYE, edges=[("c", "bye")]), keys("1234#"))
    assert actions == [GetDigits(Prompt(text="Your account"), 6, 5.0, "#"),
                       SetVariables({"account": "1234"}), Hangup("bye")]
    assert interpreter.variables == {"account": "1234"}


def test_collect_retries_then_goes_invalid():
    document = flow(COLLECT, BYE, TWO, edges=[("c", "bye"), ("c", "two", "invalid")])
    actions, interpreter = drive(document, keys("12", ""))
    assert [type(a) for a in actions] == [GetDigits, GetDigits, Hangup]
    assert actions[-1] == Hangup("two") and interpreter.variables == {}


def test_collect_accepts_exactly_max_digits_without_terminator():
    no_terminator = dict(COLLECT, terminator="", min_digits=1, max_digits=2)
    actions, _ = drive(flow(no_terminator, BYE, edges=[("c", "bye")]), keys("42"))
    assert actions[0].terminator == "" and actions[1] == SetVariables({"account": "42"})


# ---- time_condition --------------------------------------------------------------------

HOURS = {"id": "t", "type": "time_condition", "timezone": "Asia/Shanghai",
         "rules": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}],
         "holidays": ["2026-12-25"], "open_dates": [{"date": "2026-11-28", "from": "10:00",
                                                     "to": "12:00"}]}
OPEN = {"id": "open", "type": "hangup", "reason": "open"}
CLOSED = {"id": "closed", "type": "hangup", "reason": "closed"}


def branch_at(moment: datetime, node: dict = HOURS) -> str:
    document = flow(node, OPEN, CLOSED, edges=[("t", "open", "open"), ("t", "closed", "closed")])
    actions, _ = drive(document, context=CallContext(now=moment))
    return actions[-1].reason


@pytest.mark.parametrize(("utc", "expected"), [
    ("2026-11-23T01:00", "open"),     # Monday 09:00 in Shanghai
    ("2026-11-23T00:59", "closed"),   # Monday 08:59 there
    ("2026-11-23T10:00", "closed"),   # Monday 18:00 there: the end is excluded
    ("2026-11-28T03:00", "open"),     # Saturday 11:00 there: an open date
    ("2026-11-28T05:00", "closed"),   # Saturday 13:00 there
    ("2026-12-25T03:00", "closed"),   # Friday, a holiday
    ("2026-11-23T12:00", "closed"),   # Monday 20:00 there, though 12:00 in UTC
])
def test_time_condition_in_its_time_zone(utc, expected):
    assert branch_at(datetime.fromisoformat(utc).replace(tzinfo=UTC)) == expected


def test_time_condition_overnight_rule_belongs_to_its_first_day():
    night = {"id": "t", "type": "time_condition",
             "rules": [{"days": ["fri"], "from": "22:00", "to": "06:00"}]}
    assert branch_at(datetime(2026, 11, 27, 23, 0, tzinfo=UTC), night) == "open"   # Fri 23:00
    assert branch_at(datetime(2026, 11, 28, 5, 0, tzinfo=UTC), night) == "open"    # Sat 05:00
    assert branch_at(datetime(2026, 11, 28, 23, 0, tzinfo=UTC), night) == "closed"  # Sat 23:00
    all_day = {"id": "t", "type": "time_condition", "rules": [{"from": "00:00", "to": "24:00"}]}
    assert branch_at(datetime(2026, 11, 29, 23, 59, tzinfo=UTC), all_day) == "open"


def test_time_condition_needs_the_call_time():
    document = flow(HOURS, OPEN, CLOSED, edges=[("t", "open", "open"), ("t", "closed", "closed")])
    with pytest.raises(FlowError, match="node 't'.*time"):
        Interpreter(document).next_action()


# ---- condition and set_variable ---------------------------------------------------------

def decide(operator: str, value: str, variable: str = "caller", caller: str = "13800001111",
           variables: dict | None = None) -> str:
    node = {"id": "if", "type": "condition", "variable": variable, "operator": operator,
            "value": value}
    document = flow(node, OPEN, CLOSED, edges=[("if", "open", "true"), ("if", "closed", "false")])
    context = CallContext(caller=caller, now=NOW, variables=variables or {})
    return drive(document, context=context)[0][-1].reason


@pytest.mark.parametrize(("operator", "value", "expected"), [
    ("equals", "13800001111", "open"), ("equals", "138", "closed"),
    ("not_equals", "138", "open"), ("starts_with", "138", "open"),
    ("starts_with", "139", "closed"), ("contains", "0001", "open"),
    ("contains", "999", "closed"), ("is_empty", "", "closed"),
    ("less_than", "13900000000", "open"), ("greater_than", "13900000000", "closed"),
    ("less_than", "abc", "closed"), ("greater_than", "abc", "closed"),
])
def test_condition_operators_on_the_caller(operator, value, expected):
    assert decide(operator, value) == expected


def test_condition_on_unset_and_substituted_variables():
    assert decide("is_empty", "", variable="account") == "open"
    assert decide("equals", "${limit}", variable="amount",
                  variables={"amount": "5", "limit": "5"}) == "open"
    assert decide("greater_than", "10", variable="amount", variables={"amount": "10.5"}) == "open"


def test_set_variable_substitutes_and_mirrors_the_change():
    node = {"id": "s", "type": "set_variable", "variable": "greeting", "value": "hi ${caller}"}
    actions, interpreter = drive(flow(node, BYE, edges=[("s", "bye")]),
                                 context=CallContext(caller="42", now=NOW))
    assert actions == [SetVariables({"greeting": "hi 42"}), Hangup("bye")]
    assert interpreter.variables == {"greeting": "hi 42"}


def test_builtin_variables_are_read_only():
    node = {"id": "s", "type": "set_variable", "variable": "caller", "value": "x"}
    with pytest.raises(FlowError, match="read-only"):
        drive(flow(node, BYE, edges=[("s", "bye")]))


# ---- transfers -------------------------------------------------------------------------

def test_transfer_skill_group_names_its_resume_points():
    node = {"id": "q", "type": "transfer_skill_group", "skill_group": "sales", "timeout": 60}
    document = flow(node, BYE, TWO, edges=[("q", "bye", "overflow"), ("q", "two", "after")])
    actions, interpreter = drive(document)
    assert actions == [Queue("sales", 60, "bye", "two")] and interpreter.finished


def test_transfer_agent_defaults_and_outlets():
    node = {"id": "a", "type": "transfer_agent", "agent": "1001"}
    actions, _ = drive(flow(node, BYE, edges=[("a", "bye", "no_answer")]))
    assert actions == [DialAgent("1001", 30, "bye", None)]


def test_transfer_external_substitutes_and_checks_the_number():
    node = {"id": "x", "type": "transfer_external", "number": "${target}"}
    document = flow(node, BYE, edges=[("x", "bye", "failed")])
    context = CallContext(now=NOW, variables={"target": "+8613800001111"})
    assert drive(document, context=context)[0] == [DialExternal("+8613800001111", 60, "bye")]
    # A variable that isn't a number never reaches the dialplan: the failed branch.
    hostile = CallContext(now=NOW, variables={"target": "123&Dial(PJSIP/x)"})
    assert drive(document, context=hostile)[0] == [Hangup("bye")]


# ---- goto_flow -------------------------------------------------------------------------

def test_goto_flow_runs_the_other_flow_with_the_same_variables():
    other = flow({"id": "p", "type": "play", "text": "${who}"})
    loaded = {"other": LoadedFlow(ref="42", document=other)}
    node = {"id": "g", "type": "goto_flow", "flow": "other"}
    context = CallContext(now=NOW, variables={"who": "Ann"})
    actions, interpreter = drive(flow(node), context=context, load_flow=loaded.get, flow_ref="41")
    assert actions == [Play(Prompt(text="Ann")), Hangup("flow ended")]
    assert interpreter.flow_ref == "42"
    assert interpreter.path == ["start", "g", "start", "p"]


def test_goto_flow_to_an_unpublished_flow_ends_politely():
    node = {"id": "g", "type": "goto_flow", "flow": "gone"}
    actions, _ = drive(flow(node), load_flow=lambda name: None)
    assert actions == SORRY + [Hangup("flow 'gone' is not published")]


def test_goto_flow_recursion_hits_the_loop_cap():
    selfish = flow({"id": "g", "type": "goto_flow", "flow": "me"})
    actions, interpreter = drive(selfish, load_flow=lambda name: LoadedFlow("1", selfish))
    assert actions == [Hangup("loop cap reached")] and interpreter.steps == MAX_STEPS


# ---- resume ----------------------------------------------------------------------------

def test_resume_at_an_outlet_with_the_kept_variables():
    node = {"id": "q", "type": "transfer_skill_group", "skill_group": "sales"}
    thanks = {"id": "p", "type": "play", "text": "Sorry ${name}"}
    document = flow(node, thanks, edges=[("q", "p", "overflow")])
    first, session = drive(document, context=CallContext(now=NOW, variables={"name": "Bo"}))
    resumed_at = first[0].on_overflow
    context = CallContext(now=NOW, variables=session.variables)
    actions, interpreter = drive(document, context=context, resume_at=resumed_at)
    assert actions == [Play(Prompt(text="Sorry Bo")), Hangup("flow ended")]
    assert interpreter.path == ["p"]


def test_resume_at_a_missing_node_is_a_flow_error():
    with pytest.raises(FlowError, match="missing node 'ghost'"):
        Interpreter(flow(BYE), resume_at="ghost").next_action()


# ---- voicemail and survey ----------------------------------------------------------------

def test_voicemail_records_with_a_bounded_length():
    node = {"id": "v", "type": "voicemail", "prompt": "leave-message", "max_seconds": 900}
    actions, _ = drive(flow(node, BYE, edges=[("v", "bye")]), [RecordResult(12)])
    assert actions == [Record(Prompt("leave-message"), 300), Hangup("bye")]


@pytest.mark.parametrize(("key", "saved"), [("5", [SaveSurvey(5)]), ("1", [SaveSurvey(1)]),
                                            ("0", []), ("6", []), ("", [])])
def test_survey_saves_only_a_1_to_5_score(key, saved):
    node = {"id": "s", "type": "survey", "text": "Rate us"}
    actions, _ = drive(flow(node), keys(key))
    assert actions == [GetDigits(Prompt(text="Rate us"), 1, 5.0, "")] + saved + \
        [Hangup("flow ended")]


# ---- http ------------------------------------------------------------------------------

HTTP = {"id": "h", "type": "http", "url": "https://crm.example/lookup?n=${account}",
        "timeout": 20, "set": {"tier": "customer.tier", "vip": "vip", "none": "missing"}}


def http_flow():
    return flow(HTTP, OPEN, CLOSED, edges=[("h", "open", "ok"), ("h", "closed", "error")])


def test_http_posts_the_call_context_and_sets_variables():
    context = CallContext(caller="1380", dialled="0101", instance_id=7, now=NOW,
                          variables={"account": "a b/c"})
    answer = HttpResult(200, {"customer": {"tier": "gold"}, "vip": True})
    actions, interpreter = drive(http_flow(), [answer], context=context, flow_ref="9")
    assert actions[0] == HttpRequest(
        "https://crm.example/lookup?n=a%20b%2Fc",
        {"caller": "1380", "dialled": "0101", "instance": 7, "flow": "9", "node": "h",
         "variables": {"account": "a b/c"}}, 10.0)
    assert actions[1] == SetVariables({"tier": "gold", "vip": "true", "none": ""})
    assert actions[-1] == Hangup("open")
    assert interpreter.variables["tier"] == "gold"


@pytest.mark.parametrize("answer", [HttpResult(None), HttpResult(500, {"x": 1}),
                                    HttpResult(200, None), HttpResult(302, {})])
def test_http_errors_take_the_error_branch_and_set_nothing(answer):
    actions, interpreter = drive(http_flow(), [answer])
    assert actions[-1] == Hangup("closed") and "tier" not in interpreter.variables


# ---- the driving contract ----------------------------------------------------------------

def test_an_answer_is_required_and_must_match():
    interpreter = Interpreter(menu_flow(), CallContext(now=NOW))
    assert interpreter.next_action() == ASK
    with pytest.raises(FlowError, match="waits for an answer"):
        interpreter.next_action()
    with pytest.raises(FlowError, match="needs a DigitsResult"):
        interpreter.give(RecordResult(3))
    interpreter.give(DigitsResult("1"))
    with pytest.raises(FlowError, match="no action waits"):
        interpreter.give(DigitsResult("1"))


def test_an_endless_loop_is_capped():
    looping = flow({"id": "p", "type": "play", "prompt": "x"}, edges=[("p", "p")])
    actions, interpreter = drive(looping)
    assert len(actions) == MAX_STEPS
    assert actions[-1] == Hangup("loop cap reached")


def test_structural_mistakes_are_flow_errors():
    with pytest.raises(FlowError, match="exactly one start"):
        Interpreter({"nodes": [{"id": "s", "type": "start"}, {"id": "a", "type": "start"}]})
    unknown = flow({"id": "x", "type": "teleport"})
    with pytest.raises(FlowError, match="unknown module 'teleport'"):
        Interpreter(unknown).next_action()
    missing = {"nodes": [{"id": "s", "type": "start"}], "edges": [{"from": "s", "to": "ghost"}]}
    with pytest.raises(FlowError, match="missing node 'ghost'"):
        Interpreter(missing).next_action()
    no_field = flow({"id": "q", "type": "transfer_skill_group"})
    with pytest.raises(FlowError, match="node 'q': bad field 'skill_group'"):
        Interpreter(no_field).next_action()


def test_variable_values_lose_control_characters_and_are_bounded():
    node = {"id": "s", "type": "set_variable", "variable": "v", "value": "${x}"}
    context = CallContext(now=NOW, variables={"x": "a\nb\r\x00" + "z" * 2000})
    actions, interpreter = drive(flow(node, BYE, edges=[("s", "bye")]), context=context)
    value = interpreter.variables["v"]
    assert value.startswith("a b  ") and len(value) == 1024
    assert actions[0] == SetVariables({"v": value})


def test_a_play_without_prompt_or_text_is_a_flow_error():
    with pytest.raises(FlowError, match="node 'p': bad field .*'prompt' or 'text'"):
        drive(flow({"id": "p", "type": "play"}))


def test_missing_error_outlets_end_politely():
    http_alone = flow(dict(HTTP, set={}), OPEN, edges=[("h", "open", "ok")])
    assert drive(http_alone, [HttpResult(503)])[0][1:] == \
        SORRY + [Hangup("no 'error' branch at node 'h'")]
    number = {"id": "x", "type": "transfer_external", "number": "${nothing}"}
    assert drive(flow(number))[0] == SORRY + [Hangup("no 'failed' branch at node 'x'")]
    agent = {"id": "a", "type": "transfer_agent", "agent": "1001", "timeout": 15}
    assert drive(flow(agent))[0] == [DialAgent("1001", 15, None, None)]


@pytest.mark.parametrize("finish", ["terminal", "midway"])
def test_a_closed_session_is_freed_without_the_garbage_collector(finish):
    # A busy server ends many sessions a second; one the collector must free waits
    # for its rare full passes, and the process grows meanwhile.
    import gc
    import weakref
    document = flow({"id": "hello", "type": "play", "prompt": "welcome"}, BYE,
                    edges=[("hello", "bye")])
    gc.disable()
    try:
        interpreter = Interpreter(document, CallContext(now=NOW))
        interpreter.next_action()
        if finish == "terminal":
            assert isinstance(interpreter.next_action(), Hangup)
        interpreter.close()
        assert interpreter.finished
        gone = weakref.ref(interpreter)
        del interpreter
        assert gone() is None
    finally:
        gc.enable()
