"""The simulator: a call through a flow with scripted caller input (pure, no PBX).

It performs no HTTP: a simulation must never reach a live service, and canned answers
make it repeatable. Each ``GetDigits`` takes the next scripted digits ("" or none left:
the caller stays silent), each ``HttpRequest`` the next canned ``HttpResult`` (none
left: no answer). A transfer ends the run unless ``transfers`` says what the dialplan
reported (overflow, no_answer, failed, after): the run then resumes at that outlet's
node with the call's variables, on the version it was running, as the adapter does.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.errors import Invalid
from engine.ivr.actions import (TERMINAL, Action, DialAgent, DialExternal, DigitsResult,
                                GetDigits, Hangup, HttpRequest, HttpResult, Play, Prompt, Queue,
                                Record, RecordResult, Result, SaveSurvey, SetVariables)
from engine.ivr.interpreter import CallContext, FlowError, FlowLoader, Interpreter
from engine.messages import N_

TRANSFER_OUTCOMES = ("answered", "overflow", "no_answer", "failed", "after")
RECORDED_SECONDS = 10  # how long the simulated caller speaks into a voicemail


@dataclass(frozen=True)
class Step:
    node: str | None
    action: Action
    answer: Result | None = None


@dataclass
class Simulation:
    path: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # the flow could not run on (a draft's FlowError)

    @property
    def actions(self) -> list[Action]:
        return [step.action for step in self.steps]

    def as_dict(self) -> dict:
        return {"path": self.path, "variables": self.variables, "error": self.error,
                "steps": [{"node": s.node, "action": describe(s.action),
                           "answer": describe_answer(s.answer)} for s in self.steps]}


def simulate_call(document: dict, context: CallContext, digits: Iterable[str] = (),
                  http: Iterable[HttpResult] = (), transfers: Iterable[str] = (),
                  load_flow: FlowLoader | None = None,
                  flow_ref: str | None = None) -> Simulation:
    """Run the call to its end; a FlowError ends it with ``error`` set."""
    keys, answers, outcomes = list(digits), list(http), list(transfers)
    run = Simulation()
    resume_at: str | None = None
    variables = dict(context.variables)
    while True:
        session_context = CallContext(context.caller, context.dialled, context.instance_id,
                                      context.now, variables)
        interpreter = Interpreter(document, session_context, load_flow, flow_ref, resume_at)
        try:
            last = _session(interpreter, keys, answers, run)
        except FlowError as error:
            run.error = str(error)
        run.path += interpreter.path
        run.variables = variables = interpreter.variables
        if run.error or not outcomes:
            return run
        resume_at = _resume_point(last, outcomes.pop(0))
        if resume_at is None:
            return run
        document, flow_ref = interpreter.document, interpreter.flow_ref


def _session(interpreter: Interpreter, keys: list[str], answers: list[HttpResult],
             run: Simulation) -> Action:
    while True:
        action = interpreter.next_action()
        answer = _answer(action, keys, answers)
        run.steps.append(Step(interpreter.current, action, answer))
        if answer is not None:
            interpreter.give(answer)
        if isinstance(action, TERMINAL):
            return action


def _answer(action: Action, keys: list[str], answers: list[HttpResult]) -> Result | None:
    if isinstance(action, GetDigits):
        return DigitsResult(keys.pop(0) if keys else "")
    if isinstance(action, Record):
        return RecordResult(min(RECORDED_SECONDS, action.max_seconds))
    if isinstance(action, HttpRequest):
        return answers.pop(0) if answers else HttpResult(None)
    return None


def _resume_point(action: Action, outcome: str) -> str | None:
    if outcome not in TRANSFER_OUTCOMES:
        raise Invalid(N_("unknown transfer outcome %(outcome)r: one of %(value)s",
                         outcome=outcome, value=', '.join(TRANSFER_OUTCOMES)))
    return getattr(action, f"on_{outcome}", None)


# ---- reading scripted input -------------------------------------------------------------

def parse_digits(text: str | None) -> list[str]:
    """"1,2,,1234#" -> one answer per prompt; an empty one is a silent caller."""
    if not text:
        return []
    answers = [part.strip() for part in text.split(",")]
    for answer in answers:
        if any(c not in "0123456789*#" for c in answer):
            raise Invalid(N_("invalid digits %(answer)r: keys are 0-9, * and #", answer=answer))
    return answers


def parse_http_response(text: str) -> HttpResult:
    """'{"a": 1}' (200 with that body), '503', '404:{"a": 1}', or 'timeout'."""
    text = text.strip()
    if text == "timeout":
        return HttpResult(None)
    status, _, body = text.partition(":") if text[:3].isdigit() else ("200", "", text)
    if not status.isdigit() or not 100 <= int(status) <= 599:
        raise Invalid(N_("invalid HTTP status %(status)r", status=status))
    if not body:
        return HttpResult(int(status), None)
    try:
        parsed = json.loads(body)
    except ValueError:
        raise Invalid(N_("invalid HTTP response body %(body)r: give JSON", body=body)) from None
    return HttpResult(int(status), parsed if isinstance(parsed, dict) else None)


def parse_at(text: str | datetime | None) -> datetime:
    """The simulated call's time: ISO 8601; without an offset it is UTC; default now."""
    if text is None or text == "":
        return datetime.now(UTC)
    try:
        moment = text if isinstance(text, datetime) else datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(N_("invalid time %(text)r: use e.g. 2026-11-23T20:00", text=text)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---- describing ------------------------------------------------------------------------

def _prompt(prompt: Prompt | None) -> str:
    if prompt is None:
        return "no prompt"
    return f"audio {prompt.audio!r}" if prompt.audio else f"text {prompt.text!r}"


def _then(**outlets: str | None) -> str:
    named = [f"{name} -> {node}" for name, node in outlets.items() if node]
    return f"; {', '.join(named)}" if named else ""


def describe(action: Action) -> str:
    match action:
        case Play(prompt):
            return f"play {_prompt(prompt)}"
        case GetDigits(prompt, most, timeout, terminator):
            end = f", ends with {terminator}" if terminator else ""
            return f"get up to {most} digit(s) in {timeout:g} s{end} ({_prompt(prompt)})"
        case Record(prompt, seconds):
            return f"record voicemail of at most {seconds} s ({_prompt(prompt)})"
        case HttpRequest(url, _body, timeout):
            return f"POST {url} (timeout {timeout:g} s)"
        case SaveSurvey(score):
            return f"save survey score {score}"
        case SetVariables(values):
            return "set " + ", ".join(f"{k}={v!r}" for k, v in values.items())
        case Queue(group, timeout, on_overflow, on_after):
            wait = f"{timeout} s" if timeout is not None else "the group's timeout"
            return f"queue for skill group {group!r} ({wait}" + \
                _then(overflow=on_overflow, after=on_after) + ")"
        case DialAgent(extension, timeout, on_no_answer, on_after):
            return f"dial agent {extension} ({timeout} s" + \
                _then(no_answer=on_no_answer, after=on_after) + ")"
        case DialExternal(number, timeout, on_failed):
            return f"dial {number} ({timeout} s" + _then(failed=on_failed) + ")"
        case Hangup(reason):
            return f"hang up ({reason})" if reason else "hang up"
    return repr(action)


def describe_answer(answer: Result | None) -> str | None:
    match answer:
        case DigitsResult(""):
            return "no key (timeout)"
        case DigitsResult(digits):
            return f"keys {digits}"
        case RecordResult(seconds):
            return f"{seconds} s recorded"
        case HttpResult(None, _):
            return "no answer"
        case HttpResult(status, body):
            return f"{status} {json.dumps(body, sort_keys=True)}"
    return None
