"""What each module does when a call enters it (FORMAT.md's table), for the interpreter.

A handler is a generator: it yields actions, receives the answers of those that wait
for one, and returns the id of the next node (None: the flow ends, the call hangs up).
Every wait is bounded here, whatever the document says (spec.MAX_*).
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from engine.ivr.actions import (DialAgent, DialExternal, GetDigits, Hangup, HttpRequest,
                                Play, Prompt, Queue, Record, SaveSurvey)
from engine.ivr.spec import (KEYS, MAX_COLLECT_DIGITS, MAX_HTTP_TIMEOUT, MAX_INPUT_TIMEOUT,
                             MAX_RECORD_SECONDS, MAX_RETRIES, MAX_TRANSFER_TIMEOUT, UNAVAILABLE,
                             field)
from engine.ivr.values import compare, is_open, substitute
from engine.validation import DIAL_NUMBER_RE

if TYPE_CHECKING:
    from engine.ivr.interpreter import Interpreter, Steps

DIGITS = re.compile(r"^[0-9*#]*$")
SURVEY_SCORES = "12345"


def _bounded(value, maximum: float) -> float:
    return min(float(value), maximum)


def prompt_of(call: Interpreter, node: dict) -> Prompt | None:
    if node.get("prompt"):
        return Prompt(audio=node["prompt"])
    if node.get("text"):
        return Prompt(text=substitute(node["text"], call.lookup()))
    return None


def start(call: Interpreter, node: dict) -> Steps:
    return (yield from call.leave(node, "next"))


def hangup(call: Interpreter, node: dict) -> Steps:
    yield Hangup(str(field(node, "reason")))


def play(call: Interpreter, node: dict) -> Steps:
    prompt = prompt_of(call, node)
    if prompt is None:
        raise ValueError("'prompt' or 'text' is needed")
    yield Play(prompt)
    return call.outlet(node, "next")


def menu(call: Interpreter, node: dict) -> Steps:
    """One key; a timeout or a key with no branch repeats the prompt while retries remain,
    then the call leaves through the outlet of the last failure (invalid or timeout)."""
    timeout = _bounded(field(node, "timeout"), MAX_INPUT_TIMEOUT)
    failure = "timeout"
    for _ in range(min(int(field(node, "retries")), MAX_RETRIES) + 1):
        answer = yield GetDigits(prompt_of(call, node), 1, timeout, "")
        call.pressed(answer.digits)
        if answer.digits == "":
            failure = "timeout"
        elif answer.digits in KEYS and call.outlet(node, answer.digits) is not None:
            return call.outlet(node, answer.digits)
        else:
            failure = "invalid"
    return (yield from call.leave(node, failure))


def collect(call: Interpreter, node: dict) -> Steps:
    """Digits into a variable; the terminator (if any) ends the input early and is dropped."""
    least = int(field(node, "min_digits"))
    most = min(int(node["max_digits"]), MAX_COLLECT_DIGITS)
    terminator = str(field(node, "terminator"))
    timeout = _bounded(field(node, "timeout"), MAX_INPUT_TIMEOUT)
    for _ in range(min(int(field(node, "retries")), MAX_RETRIES) + 1):
        answer = yield GetDigits(prompt_of(call, node), most, timeout, terminator)
        digits = answer.digits
        if terminator and digits.endswith(terminator):
            digits = digits[:-len(terminator)]
        if least <= len(digits) <= most and DIGITS.fullmatch(digits):
            yield from call.assign({node["variable"]: digits})
            return (yield from call.leave(node, "next"))
    return (yield from call.leave(node, "invalid"))


def time_condition(call: Interpreter, node: dict) -> Steps:
    if call.context.now is None:
        raise ValueError("the call's time is unknown")
    return (yield from call.leave(node, "open" if is_open(node, call.context.now) else "closed"))


def condition(call: Interpreter, node: dict) -> Steps:
    variables = call.lookup()
    left = variables.get(node["variable"], "")
    right = substitute(str(node.get("value", "")), variables)
    outcome = compare(node["operator"], left, right)
    return (yield from call.leave(node, "true" if outcome else "false"))


def set_variable(call: Interpreter, node: dict) -> Steps:
    value = substitute(str(node.get("value", "")), call.lookup())
    yield from call.assign({node["variable"]: value})
    return (yield from call.leave(node, "next"))


def _timeout(node: dict) -> int | None:
    value = field(node, "timeout")
    return None if value is None else int(_bounded(value, MAX_TRANSFER_TIMEOUT))


def transfer_skill_group(call: Interpreter, node: dict) -> Steps:
    yield Queue(node["skill_group"], _timeout(node), call.outlet(node, "overflow"),
                call.outlet(node, "after"))


def transfer_agent(call: Interpreter, node: dict) -> Steps:
    yield DialAgent(node["agent"], _timeout(node), call.outlet(node, "no_answer"),
                    call.outlet(node, "after"))


def transfer_external(call: Interpreter, node: dict) -> Steps:
    number = substitute(node["number"], call.lookup())
    if not DIAL_NUMBER_RE.fullmatch(number):
        # e.g. a variable the caller left empty: as if the call could not be placed
        return (yield from call.leave(node, "failed"))
    yield DialExternal(number, _timeout(node), call.outlet(node, "failed"))


def goto_flow(call: Interpreter, node: dict) -> Steps:
    loaded = call.load_flow(node["flow"]) if call.load_flow else None
    if loaded is None:
        yield Play(Prompt(audio=UNAVAILABLE))
        yield Hangup(f"flow {node['flow']!r} is not published")
    return call.switch_flow(loaded)


def voicemail(call: Interpreter, node: dict) -> Steps:
    seconds = int(_bounded(field(node, "max_seconds"), MAX_RECORD_SECONDS))
    yield Record(prompt_of(call, node), seconds)
    return call.outlet(node, "next")


def survey(call: Interpreter, node: dict) -> Steps:
    """One key 1-5; anything else (or nothing) leaves no score: the caller is not asked twice."""
    timeout = _bounded(field(node, "timeout"), MAX_INPUT_TIMEOUT)
    answer = yield GetDigits(prompt_of(call, node), 1, timeout, "")
    if len(answer.digits) == 1 and answer.digits in SURVEY_SCORES:
        yield SaveSurvey(int(answer.digits))
    return call.outlet(node, "next")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _pick(body: dict, key: str):
    """A response value by key; "a.b" reaches into nested objects."""
    value = body
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def http(call: Interpreter, node: dict) -> Steps:
    variables = call.lookup()
    body = {"caller": variables["caller"], "dialled": variables["dialled"],
            "instance": call.context.instance_id, "flow": call.flow_ref, "node": node["id"],
            "variables": call.variables}
    url = substitute(node["url"], variables, for_url=True)
    answer = yield HttpRequest(url, body, _bounded(field(node, "timeout"), MAX_HTTP_TIMEOUT))
    ok = answer.status is not None and 200 <= answer.status < 300 and \
        isinstance(answer.body, dict)
    if not ok:
        return (yield from call.leave(node, "error"))
    settings = field(node, "set") or {}
    yield from call.assign({name: _text(_pick(answer.body, key))
                            for name, key in settings.items()})
    return (yield from call.leave(node, "ok"))


HANDLERS = {
    "start": start, "hangup": hangup, "play": play, "menu": menu, "collect": collect,
    "time_condition": time_condition, "condition": condition, "set_variable": set_variable,
    "transfer_skill_group": transfer_skill_group, "transfer_agent": transfer_agent,
    "transfer_external": transfer_external, "goto_flow": goto_flow, "voicemail": voicemail,
    "survey": survey, "http": http,
}
