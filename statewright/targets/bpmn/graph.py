"""A mutable graph under construction, turned into a frozen `Model` at the end.

Flows may point at a *state placeholder* (`enter(state)`) before that state's
nodes exist; `finish` resolves them, then makes the graph read well as BPMN:
a node with several incoming flows gets an exclusive merge gateway in front of
it (no implicit joins, no gateway that both joins and forks), and every id is
unique and an XML NCName.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence

from statewright.targets.bpmn.conditions import Condition
from statewright.targets.bpmn.model import EventDef, Flow, Model, Node, NodeKind, NodeRole, Root, RootKind

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
PLACEHOLDER = "@"


def ncname(text: str) -> str:
    """An ASCII XML NCName made from `text` (unsafe runs become `_`, a leading digit gets `_`)."""
    safe = _UNSAFE.sub("_", text).strip("_") or "x"
    return safe if safe[0].isalpha() or safe[0] == "_" else f"_{safe}"


def enter(state: str) -> str:
    """A flow target meaning "the entry of leaf `state`", resolved by `Graph.finish`."""
    return PLACEHOLDER + state


class UniqueNames:
    """Names handed out at most once: `base`, else `base_N` with the lowest free N >= 2.

    Names are only ever added, so the numbers below the last one found for a base
    stay taken: the search resumes there instead of trying `base_2, base_3, ...`
    each time, which keeps handing out n names of one base linear.
    """

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._used = set(taken)
        self._next: dict[str, int] = {}
        """Base -> the lowest suffix number not yet seen taken."""

    def claim(self, base: str) -> str:
        """A name not handed out before, derived from `base`."""
        unique = base
        if unique in self._used:
            number = self._next.get(base, 2)
            unique = f"{base}_{number}"
            while unique in self._used:
                number += 1
                unique = f"{base}_{number}"
            self._next[base] = number + 1
        self._used.add(unique)
        return unique


class Graph:
    """Nodes and flows being built; ids are allocated in creation order, so they are stable."""

    def __init__(self, process_id: str) -> None:
        self.process_id = process_id
        self.nodes: list[Node] = []
        self.flows: list[Flow] = []
        self.roots: dict[tuple[str, str], Root] = {}
        self.defaults: dict[str, str] = {}
        self._ids = UniqueNames({process_id})
        self._scopes: dict[str, str] = {}
        """Node id -> its container, kept as nodes are added (a lookup per flow, not a scan)."""
        self.entries: dict[str, str] = {}

    def fresh(self, base: str) -> str:
        """A new unique id derived from `base`: `base`, else `base_N` with the lowest free N >= 2."""
        return self._ids.claim(ncname(base))

    def node(self, base: str, kind: NodeKind, name: str, scope: str, role: NodeRole, **fields: object) -> str:
        """Add a node and return its id."""
        node_id = self.fresh(base)
        self._scopes[node_id] = scope
        self.nodes.append(Node(node_id, kind, name, scope, role, **fields))  # type: ignore[arg-type]
        return node_id

    def link(
        self,
        source: str,
        target: str,
        *,
        condition: Condition | None = None,
        name: str = "",
        default: bool = False,
        doc: str = "",
    ) -> str:
        """Add a sequence flow (in the source's scope); `default` marks it the source's default flow."""
        scope = self.scope_of(source)
        flow_id = self.fresh(f"Flow_{source}")
        self.flows.append(Flow(flow_id, source, target, scope, name, condition, doc))
        if default:
            self.defaults[source] = flow_id
        return flow_id

    def scope_of(self, node_id: str) -> str:
        """The container of a node."""
        return self._scopes[node_id]

    def root(self, kind: RootKind, name: str, code: str | None = None, event: str | None = None) -> str:
        """The id of a global message, error or escalation (declared once)."""
        key = (kind, name)
        if key not in self.roots:
            prefix = {"message": "Message", "error": "Error", "escalation": "Escalation"}[kind]
            self.roots[key] = Root(self.fresh(f"{prefix}_{name}"), kind, name, code, event)
        return self.roots[key].id

    def event(self, kind: RootKind, name: str, code: str | None = None, event: str | None = None) -> EventDef:
        """An event definition referring to a global element (`event`: the IR event a message delivers)."""
        return EventDef(kind, self.root(kind, name, code, event))

    def spread(self, node_id: str, variants: Sequence[Mapping[str, object]]) -> None:
        """Make node `node_id` a chain of copies, each with one variant's fields replaced, in order.

        The first keeps the id and the incoming flows; the last takes the outgoing ones.
        """
        index = next(i for i, node in enumerate(self.nodes) if node.id == node_id)
        node = self.nodes[index]
        self.nodes[index] = dataclasses.replace(node, **variants[0])  # type: ignore[arg-type]
        self._scopes[node_id] = self.nodes[index].scope
        made: list[str] = []
        for variant in variants[1:]:
            fields = {**_fields(node), **variant}
            made.append(self.node(node_id, node.kind, node.name, node.scope, node.role, **fields))
        if not made:
            return
        for position, flow in enumerate(self.flows):
            if flow.source == node_id:
                self.flows[position] = dataclasses.replace(flow, source=made[-1])
        chain(self, node_id, made)

    # ------------------------------------------------------------------ finishing

    def finish(self, name: str, doc: str) -> Model:
        """Resolve placeholders, insert merge gateways, and freeze."""
        self.flows = [
            dataclasses.replace(f, target=self._resolve(f.target)) if f.target.startswith(PLACEHOLDER) else f
            for f in self.flows
        ]
        self._prune()
        self._insert_merges()
        used = {ref for node in self.nodes if node.event is not None for ref in [node.event.ref] if ref}
        roots = tuple(sorted((r for r in self.roots.values() if r.id in used), key=lambda r: (r.kind, r.id)))
        return Model(
            self.process_id, name, doc, tuple(self.nodes), tuple(self.flows), roots, dict(self.defaults)
        )

    def _resolve(self, target: str) -> str:
        if not target.startswith(PLACEHOLDER):
            return target
        return self.entries[target[len(PLACEHOLDER) :]]

    def _prune(self) -> None:
        """Drop what the start cannot reach (states no transition leads to)."""
        by_id = {node.id: node for node in self.nodes}
        successors: dict[str, list[str]] = {node.id: [] for node in self.nodes}
        for flow in self.flows:
            successors[flow.source].append(flow.target)
        for node in self.nodes:
            if node.attached_to is not None:
                successors[node.attached_to].append(node.id)
            if node.kind == "startEvent" and node.scope != self.process_id:
                successors[node.scope].append(node.id)
        reached: set[str] = set()
        pending = [n.id for n in self.nodes if n.kind == "startEvent" and n.scope == self.process_id]
        while pending:
            current = pending.pop()
            if current not in reached:
                reached.add(current)
                pending.extend(successors[current])
        self.nodes = [node for node in self.nodes if node.id in reached]
        self.flows = [f for f in self.flows if f.source in reached and f.target in reached]
        self.defaults = {k: v for k, v in self.defaults.items() if k in reached}
        del by_id

    def _insert_merges(self) -> None:
        by_id = {node.id: node for node in self.nodes}
        incoming: dict[str, list[int]] = {}
        outgoing: dict[str, int] = {}
        for index, flow in enumerate(self.flows):
            incoming.setdefault(flow.target, []).append(index)
            outgoing[flow.source] = outgoing.get(flow.source, 0) + 1
        before: dict[str, Node] = {}
        """Node id -> the merge gateway placed just before it (nodes are re-listed once, at the end)."""
        for node_id, indices in incoming.items():
            node = by_id[node_id]
            if len(indices) < 2 or node.kind == "parallelGateway":
                continue
            if node.kind == "exclusiveGateway" and outgoing.get(node_id, 0) <= 1:
                continue
            merge = self.fresh(f"{node_id}_merge")
            self._scopes[merge] = node.scope
            before[node_id] = Node(merge, "exclusiveGateway", "", node.scope, "merge", state=node.state)
            for index in indices:
                self.flows[index] = dataclasses.replace(self.flows[index], target=merge)
            self.flows.append(Flow(self.fresh(f"Flow_{merge}"), merge, node_id, node.scope))
        if before:
            self.nodes = [
                placed
                for node in self.nodes
                for placed in ((before[node.id], node) if node.id in before else (node,))
            ]


def _fields(node: Node) -> dict[str, object]:
    """The keyword fields of a node beyond id, kind, name, scope and role (to copy it)."""
    skip = {"id", "kind", "name", "scope", "role"}
    return {f.name: getattr(node, f.name) for f in dataclasses.fields(node) if f.name not in skip}


def chain(graph: Graph, first: str, rest: Iterable[str]) -> str:
    """Link `first` to each of `rest` in turn; return the last id."""
    current = first
    for node_id in rest:
        graph.link(current, node_id)
        current = node_id
    return current
