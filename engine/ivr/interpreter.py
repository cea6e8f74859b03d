"""The IVR interpreter: pure and engine-agnostic (ARCHITECTURE decision 1).

A flow document plus what happened so far yields the next action. It knows nothing of
AGI or the event socket; adapters translate actions into PBX commands and feed results
back. The same code runs under the simulator and the unit tests.

A flow document::

    {"nodes": [{"id": "start", "type": "start"},
               {"id": "hello", "type": "play", "prompt": "welcome"},
               {"id": "to_queue", "type": "transfer_skill_group", "skill_group": "default"}],
     "edges": [{"from": "start", "to": "hello"}, {"from": "hello", "to": "to_queue"}]}
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_STEPS = 100  # a flow that loops without end hangs up instead of spinning forever


class FlowError(Exception):
    """The flow cannot be run; the adapter sends the caller to the dialplan's fallback."""


@dataclass(frozen=True)
class Play:
    prompt: str


@dataclass(frozen=True)
class Queue:
    skill_group: str


@dataclass(frozen=True)
class Hangup:
    reason: str = ""


Action = Play | Queue | Hangup
TERMINAL = (Queue, Hangup)  # after these the AGI session ends and the dialplan takes over


class Interpreter:
    """Walks one call through a flow; call :meth:`next_action` until a terminal action."""

    def __init__(self, document: dict):
        self.nodes = {node["id"]: node for node in document.get("nodes", [])}
        self.edges: dict[str, list[dict]] = {}
        for edge in document.get("edges", []):
            self.edges.setdefault(edge["from"], []).append(edge)
        starts = [n for n in self.nodes.values() if n.get("type") == "start"]
        if len(starts) != 1:
            raise FlowError("a flow needs exactly one start node")
        self.current: str | None = starts[0]["id"]
        self.steps = 0
        self.path: list[str] = []

    def next_action(self) -> Action:
        while True:
            self.steps += 1
            if self.steps > MAX_STEPS:
                return Hangup("loop cap reached")
            node = self._enter(self.current)
            action = self._act(node)
            if action is not None:
                return action

    def _enter(self, node_id: str | None) -> dict:
        if node_id is None or node_id not in self.nodes:
            raise FlowError(f"edge to a missing node {node_id!r}")
        self.path.append(node_id)
        return self.nodes[node_id]

    def _follow(self, node: dict, when: str | None = None) -> str | None:
        for edge in self.edges.get(node["id"], []):
            if edge.get("when") == when:
                return edge["to"]
        return None

    def _act(self, node: dict) -> Action | None:
        kind = node.get("type")
        if kind == "start":
            self.current = self._follow(node)
            return None
        if kind == "play":
            self.current = self._follow(node)
            return Play(node["prompt"])
        if kind == "transfer_skill_group":
            self.current = None
            return Queue(node["skill_group"])
        if kind == "hangup":
            self.current = None
            return Hangup(node.get("reason", ""))
        raise FlowError(f"node {node['id']!r}: unknown module {kind!r}")


def run_to_end(document: dict) -> tuple[list[Action], list[str]]:
    """Every action a caller meets, in order (no caller input in this flow's modules)."""
    interpreter = Interpreter(document)
    actions: list[Action] = []
    while True:
        action = interpreter.next_action()
        actions.append(action)
        if isinstance(action, TERMINAL):
            return actions, interpreter.path
        if interpreter.current is None:
            actions.append(Hangup("flow ended"))
            return actions, interpreter.path
