"""The IVR interpreter: pure and engine-agnostic: it knows nothing of AGI or ESL.

A flow document, the call's context and the answers so far yield the next action. It
knows nothing of AGI, the event socket, the clock or the network: the time is in the
context, HTTP is an action the adapter performs. Adapters, the simulator and the unit
tests drive it the same way::

    interpreter = Interpreter(document, context=CallContext(...), load_flow=..., flow_ref="41")
    action = interpreter.next_action()
    if isinstance(action, GetDigits):
        interpreter.give(DigitsResult("1"))

The module handlers are in ``engine.ivr.modules``; the document format in FORMAT.md.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime

from engine.ivr.actions import (EXPECTS, TERMINAL, Action, DialAgent, DialExternal,  # noqa: F401
                                DigitsResult, GetDigits, Hangup, HttpRequest, HttpResult, Play,
                                Prompt, Queue, Record, RecordResult, Result, SaveSurvey,
                                SetVariables)
from engine.ivr.spec import BUILTIN_VARIABLES, MAX_STEPS, UNAVAILABLE


class FlowError(Exception):
    """The flow cannot be run; the adapter sends the caller to the dialplan's fallback."""


@dataclass(frozen=True)
class CallContext:
    caller: str = ""
    dialled: str = ""
    instance_id: int = 0
    now: datetime | None = None          # aware; needed by time conditions
    variables: dict[str, str] = field(default_factory=dict)  # the flow's own, when resuming


@dataclass(frozen=True)
class LoadedFlow:
    """A published flow version that goto_flow moves to; ``ref`` names it for a resume."""

    ref: str
    document: dict


FlowLoader = Callable[[str], LoadedFlow | None]
MAX_VALUE = 1024  # characters of a variable's value
MAX_KEYS_KEPT = 16  # menu keys kept per visit of a node (the last ones)
# Values come from callers and HTTP answers and end up in AGI commands and speech: no
# control characters (a newline would end an AGI command early).
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
Steps = Generator[Action, Result | None, str | None]


class Interpreter:
    """Walks one call (one session of it) through a flow, one action at a time."""

    def __init__(self, document: dict, context: CallContext | None = None,
                 load_flow: FlowLoader | None = None, flow_ref: str | None = None,
                 resume_at: str | None = None):
        self.context = context or CallContext()
        self.load_flow = load_flow
        self._variables = dict(self.context.variables)
        self.path: list[str] = []
        self.keys: dict[int, str] = {}  # a visit in the path -> the keys pressed there
        self.steps = 0
        self.current: str | None = None  # the node being run
        self.finished = False
        self._waiting: Action | None = None
        self._answer: Result | None = None
        self._use(document, flow_ref)
        first = resume_at if resume_at is not None else self._start_id()
        self._run = self._walk(first)

    # ---- driving ------------------------------------------------------------------

    def next_action(self) -> Action:
        """The next thing to do; a terminal action (TERMINAL) ends the session."""
        if self.finished:
            raise FlowError("the session has ended")
        if self._waiting is not None:
            raise FlowError(f"{type(self._waiting).__name__} waits for an answer: give() it")
        answer, self._answer = self._answer, None
        try:
            action = self._run.send(answer)
        except StopIteration:
            action = Hangup("flow ended")
        except FlowError:
            self.finished = True
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # A draft may be invalid (the simulator runs drafts): say where it broke.
            self.finished = True
            raise FlowError(f"node {self.current!r}: bad field {error}") from None
        if type(action) in EXPECTS:
            self._waiting = action
        if isinstance(action, TERMINAL):
            self.finished = True
        return action

    def close(self) -> None:
        """The session is over, however it ended: its walk is dropped. The walk (a
        generator) refers to the interpreter, which refers to it: left alone, the pair
        and all it holds wait for the garbage collector's rare full passes, and a busy
        server's memory grows with every call in between."""
        self.finished = True
        self._run.close()

    def give(self, answer: Result) -> None:
        """The answer to the action that waits for one (GetDigits, Record, HttpRequest)."""
        if self._waiting is None:
            raise FlowError("no action waits for an answer")
        expected = EXPECTS[type(self._waiting)]
        if not isinstance(answer, expected):
            raise FlowError(f"{type(self._waiting).__name__} needs a {expected.__name__}")
        self._waiting, self._answer = None, answer

    @property
    def variables(self) -> dict[str, str]:
        """The flow's own variables (not the built-in ones): kept on the channel to resume."""
        return dict(self._variables)

    # ---- what module handlers use ---------------------------------------------------

    def lookup(self) -> dict[str, str]:
        builtins = {"caller": self.context.caller, "dialled": self.context.dialled,
                    "instance": str(self.context.instance_id)}
        return self._variables | builtins

    def assign(self, values: dict[str, str]) -> Generator[Action, None, None]:
        for name in values:
            if name in BUILTIN_VARIABLES:
                raise FlowError(f"node {self.current!r}: variable {name!r} is read-only")
        clean = {name: CONTROL.sub(" ", value)[:MAX_VALUE] for name, value in values.items()}
        self._variables.update(clean)
        if clean:
            yield SetVariables(clean)

    def pressed(self, keys: str) -> None:
        """The caller pressed these menu keys at the node being run."""
        if keys:
            visit = len(self.path) - 1
            self.keys[visit] = (self.keys.get(visit, "") + keys)[-MAX_KEYS_KEPT:]

    def trail(self) -> list[str]:
        """The path with the menu keys pressed at each visit: ``node`` or ``node:keys``
        (what the agent's pop-up shows)."""
        return [f"{node}:{self.keys[i]}" if i in self.keys else node
                for i, node in enumerate(self.path)]

    def outlet(self, node: dict, name: str) -> str | None:
        return self._edges.get((node["id"], name))

    def leave(self, node: dict, name: str) -> Steps:
        """Follow an outlet; without one, end the call politely (FORMAT.md)."""
        target = self.outlet(node, name)
        if target is None:
            yield Play(Prompt(audio=UNAVAILABLE))
            yield Hangup(f"no {name!r} branch at node {node['id']!r}")
        return target

    def switch_flow(self, loaded: LoadedFlow) -> str:
        """goto_flow: the rest of the session runs ``loaded``; variables are kept."""
        self._use(loaded.document, loaded.ref)
        return self._start_id()

    # ---- internals ----------------------------------------------------------------

    def _use(self, document: dict, flow_ref: str | None) -> None:
        if not isinstance(document, dict):
            raise FlowError("a flow document is a JSON object")
        self.document = document
        nodes = document.get("nodes") or []
        self.nodes = {n["id"]: n for n in nodes if isinstance(n, dict) and "id" in n}
        self._edges: dict[tuple[str, str], str] = {}
        for edge in document.get("edges") or []:
            key = (edge.get("from"), edge.get("when") or "next")
            self._edges.setdefault(key, edge.get("to"))
        self.flow_ref = flow_ref

    def _start_id(self) -> str:
        starts = [i for i, n in self.nodes.items() if n.get("type") == "start"]
        if len(starts) != 1:
            raise FlowError("a flow needs exactly one start node")
        return starts[0]

    def _walk(self, node_id: str | None) -> Steps:
        from engine.ivr.modules import HANDLERS
        while node_id is not None:
            if self.steps >= MAX_STEPS:
                yield Hangup("loop cap reached")
                return None
            self.steps += 1
            node = self._enter(node_id)
            handler = HANDLERS.get(node.get("type"))
            if handler is None:
                raise FlowError(f"node {node_id!r}: unknown module {node.get('type')!r}")
            node_id = yield from handler(self, node)
        yield Hangup("flow ended")
        return None

    def _enter(self, node_id: str) -> dict:
        if node_id not in self.nodes:
            raise FlowError(f"edge to a missing node {node_id!r}")
        self.current = node_id
        self.path.append(node_id)
        return self.nodes[node_id]


def run_to_end(document: dict, context: CallContext | None = None,
               load_flow: FlowLoader | None = None) -> tuple[list[Action], list[str]]:
    """Every action of one session when the caller does nothing (no key, silence, no
    HTTP answer). The simulator (``engine.ivr.simulator``) takes scripted answers."""
    interpreter = Interpreter(document, context, load_flow)
    silence = {GetDigits: DigitsResult(""), Record: RecordResult(0),
               HttpRequest: HttpResult(None)}
    actions: list[Action] = []
    while not interpreter.finished:
        action = interpreter.next_action()
        actions.append(action)
        if type(action) in silence:
            interpreter.give(silence[type(action)])
    return actions, interpreter.path
