"""Validation of a flow document (pure): every problem, each naming its node.

A draft may have problems; ``engine.ivr.service.publish`` refuses one that has any, so a
published version never does. Field checks are in ``engine.ivr.fields``.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from engine.ivr.fields import check_fields
from engine.ivr.spec import FORMAT, KEYS, MODULES
from engine.validation import IVR_NODE_ID_RE
from engine.messages import N_

MAX_NODES = 500  # an editor's flow is far smaller; this bounds the graph walks


@dataclass(frozen=True)
class FlowProblem:
    node: str | None  # the node to show it on; None: the document as a whole
    code: str
    message: str

    def __str__(self) -> str:
        return str(self.text())

    def text(self) -> str:
        """The message with the node it is on (a Message the faces can translate)."""
        return N_("node %(node)r: %(message)s", node=self.node, message=self.message) \
            if self.node else self.message

    def as_dict(self) -> dict:
        return {"node": self.node, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Catalog:
    """What a flow may name, all of its own instance (service.catalog_for builds it)."""

    audio: frozenset[str] = frozenset()
    skill_groups: frozenset[str] = frozenset()
    agents: frozenset[str] = frozenset()
    flows: dict[str, dict] = field(default_factory=dict)  # published: name -> document
    flow_name: str | None = None  # the flow being checked, for goto_flow recursion


def validate(document, catalog: Catalog) -> list[FlowProblem]:
    """Every problem of ``document`` against ``catalog``, in the order of its nodes."""
    problems: list[FlowProblem] = []
    nodes = _nodes(document, problems)
    if nodes is None:
        return problems
    for node_id, node in nodes.items():
        problems += [FlowProblem(node_id, code, message)
                     for code, message in check_fields(node, catalog)]
    graph = _edges(document, nodes, problems)
    start = _start(nodes, problems)
    problems += _no_way_out(nodes, graph)
    if start is not None:
        problems += _unreachable(nodes, graph, start)
    problems += _silent_cycles(nodes, graph)
    problems += _recursion(document, nodes, catalog)
    order = {n.get("id"): index for index, n in enumerate(document["nodes"])
             if isinstance(n, dict) and isinstance(n.get("id"), str)}
    return sorted(problems, key=lambda p: order.get(p.node, -1))


def _nodes(document, problems: list[FlowProblem]) -> dict[str, dict] | None:
    """The well-formed nodes of a known module, by id; None if the document isn't one."""
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list) or \
            not isinstance(document.get("edges", []), list):
        problems.append(FlowProblem(None, "bad_field",
                                    N_("a flow is an object with a list of nodes and of edges")))
        return None
    if document.get("format", FORMAT) != FORMAT:
        problems.append(FlowProblem(None, "bad_field", N_("unknown format %(value)r",
                                                          value=document['format'])))
    if len(document["nodes"]) > MAX_NODES:
        problems.append(FlowProblem(None, "bad_field", N_("more than %(max_nodes)s nodes",
                                                          max_nodes=MAX_NODES)))
        return None
    nodes: dict[str, dict] = {}
    for node in document["nodes"]:
        node_id = node.get("id") if isinstance(node, dict) else None
        if not isinstance(node_id, str) or not IVR_NODE_ID_RE.fullmatch(node_id):
            problems.append(FlowProblem(None, "bad_field", N_("invalid node id %(node_id)r: a "
                                                              "letter, then letters, digits, '_' "
                                                              "or '-', at most 32",
                                                              node_id=node_id)))
        elif node_id in nodes:
            problems.append(FlowProblem(node_id, "bad_field", N_("another node has this id")))
        elif node.get("type") not in MODULES:
            problems.append(FlowProblem(node_id, "unknown_module",
                                        N_("unknown module %(value)r", value=node.get('type'))))
        else:
            nodes[node_id] = node
    return nodes


def _edges(document: dict, nodes: dict, problems: list[FlowProblem]) -> dict[str, dict]:
    """Valid edges as node id -> {outlet: target}; the others become problems."""
    graph: dict[str, dict[str, str]] = {node_id: {} for node_id in nodes}
    for edge in document.get("edges", []):
        source = edge.get("from") if isinstance(edge, dict) else None
        target = edge.get("to") if isinstance(edge, dict) else None
        outlet = (edge.get("when") or "next") if isinstance(edge, dict) else None
        if not isinstance(source, str) or not isinstance(target, str) or \
                not isinstance(outlet, str):
            problems.append(FlowProblem(None, "bad_field", N_("invalid edge %(edge)r", edge=edge)))
        elif source not in nodes:
            if not any(isinstance(n, dict) and n.get("id") == source for n in document["nodes"]):
                problems.append(FlowProblem(None, "missing_node",
                                            N_("an edge leaves a missing node %(source)r",
                                               source=source)))
        elif target not in nodes and not _declared(document, target):
            problems.append(FlowProblem(source, "missing_node",
                                        N_("edge %(outlet)r goes to a missing node %(target)r",
                                           outlet=outlet, target=target)))
        elif outlet not in MODULES[nodes[source]["type"]].outlets:
            problems.append(FlowProblem(source, "bad_outlet", N_("a %(value)s has no outlet "
                                                                 "%(outlet)r",
                                                                 value=nodes[source]['type'],
                                                                 outlet=outlet)))
        elif outlet in graph[source]:
            problems.append(FlowProblem(source, "duplicate_outlet",
                                        N_("two edges leave by outlet %(outlet)r", outlet=outlet)))
        else:  # possibly to a node of an unknown module: that is reported on its own
            graph[source][outlet] = target
    return graph


def _declared(document: dict, node_id: str) -> bool:
    return any(isinstance(n, dict) and n.get("id") == node_id for n in document["nodes"])


def _start(nodes: dict, problems: list[FlowProblem]) -> str | None:
    starts = [node_id for node_id, node in nodes.items() if node["type"] == "start"]
    if not starts:
        problems.append(FlowProblem(None, "start", N_("a flow needs a start node")))
        return None
    problems += [FlowProblem(node_id, "start", N_("a flow has exactly one start node"))
                 for node_id in starts[1:]]
    return starts[0]


def _no_way_out(nodes: dict, graph: dict) -> Iterator[FlowProblem]:
    for node_id, node in nodes.items():
        module, outlets = MODULES[node["type"]], graph[node_id]
        for outlet in module.required:
            if outlet not in outlets:
                yield FlowProblem(node_id, "no_way_out", N_("no edge for outlet %(outlet)r",
                                                            outlet=outlet))
        if module.keys and not any(key in outlets for key in KEYS):
            yield FlowProblem(node_id, "no_way_out", N_("no edge for any key"))


def _unreachable(nodes: dict, graph: dict, start: str) -> Iterator[FlowProblem]:
    seen, todo = {start}, [start]
    while todo:
        for target in graph.get(todo.pop(), {}).values():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for node_id in nodes:
        if node_id not in seen:
            yield FlowProblem(node_id, "unreachable", N_("no path from the start leads here"))


def _silent_cycles(nodes: dict, graph: dict) -> Iterator[FlowProblem]:
    """Cycles through nodes that neither wait for the caller nor end the session: the
    interpreter would spin in them until the loop cap."""
    silent = {node_id for node_id, node in nodes.items()
              if not MODULES[node["type"]].waits_for_caller
              and not MODULES[node["type"]].ends_session}
    links = {node_id: [t for t in graph[node_id].values() if t in silent] for node_id in silent}
    for component in _components(links):
        if len(component) > 1 or component[0] in links[component[0]]:
            ordered = [node_id for node_id in nodes if node_id in component]
            yield FlowProblem(ordered[0], "silent_cycle", N_(
                "a cycle with no caller input in it: %(cycle)s", cycle=" > ".join(ordered)))


def _components(links: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan); fine at MAX_NODES of recursion depth."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in links[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            found.append(component)

    for node in links:
        if node not in index:
            visit(node)
    return found


def _goto_targets(document) -> list[str]:
    nodes = document.get("nodes", []) if isinstance(document, dict) else []
    return [n.get("flow") for n in nodes
            if isinstance(n, dict) and n.get("type") == "goto_flow" and
            isinstance(n.get("flow"), str)]


def _recursion(document: dict, nodes: dict, catalog: Catalog) -> Iterator[FlowProblem]:
    """goto_flow chains that come back to a flow already on the chain."""
    flows = dict(catalog.flows)
    if catalog.flow_name is not None:
        flows[catalog.flow_name] = document
    for node_id, node in nodes.items():
        if node["type"] != "goto_flow" or node.get("flow") not in flows:
            continue
        chain = _loop(node["flow"], flows, [catalog.flow_name] if catalog.flow_name else [],
                      set())
        if chain:
            yield FlowProblem(node_id, "flow_recursion",
                              N_("goto_flow comes back round: %(chain)s", chain=" > ".join(chain)))


def _loop(name: str, flows: dict, chain: list[str], cleared: set[str]) -> list[str] | None:
    """The first chain from ``name`` back onto ``chain``; ``cleared`` flows lead to none."""
    if name in chain:
        return chain + [name]
    if name in cleared:
        return None
    for target in _goto_targets(flows.get(name)):
        if target in flows:
            loop = _loop(target, flows, chain + [name], cleared)
            if loop:
                return loop
    cleared.add(name)
    return None
