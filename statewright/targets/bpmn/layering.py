"""The layered (Sugiyama) half of the BPMN layout: layers, dummy vertices and the order in each layer.

As in ELK's layered algorithm: back edges (found by a depth-first search in
model order) are reversed; each node goes in the layer of its longest weighted
path from a source (a labelled edge spans at least two layers, so its label gets
a vertex of its own in the middle); every edge becomes a chain of dummy
vertices, one per layer it passes (a back edge passes the layers from its source
back to its target, so it is routed around the nodes like any other); barycenter
sweeps order each layer, within the groups the caller gives (the main path
first, then each parallel region in turn), to cut crossings. Linear in the graph
per sweep; everything follows the given order, never hashing, so equal inputs
give equal layers.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from statewright.targets.bpmn.ordering import order_layers


@dataclass(frozen=True, slots=True)
class Edge:
    """One flow between two laid-out vertices (a boundary event's flow starts at its activity)."""

    key: str
    source: str
    target: str
    span: int = 1
    """The fewest layers the edge must cross forwards (2 for a labelled edge)."""


@dataclass(frozen=True, slots=True)
class Layering:
    """Layers of the nodes, each edge's chain of dummies, and the ordered vertices of each layer."""

    layer: dict[str, int]
    reversed: frozenset[str]
    bus: frozenset[str]
    """Edges longer than LONG layers: no dummies; they run in the bus below their band (see `layout`)."""
    chains: dict[str, tuple[str, ...]]
    """Edge key -> its dummy vertices in path order, from the source's side to the target's."""
    columns: tuple[tuple[str, ...], ...]
    column: dict[str, int]
    """The layer of every vertex, nodes and dummies alike."""


DUMMIES_PER_ELEMENT = 1
"""Dummy vertices allowed per edge (at least MIN_DUMMIES); beyond that the longest edges go on the bus."""
MIN_DUMMIES = 4000


def _bus_edges(edges: Sequence[Edge], spans: Mapping[str, range]) -> frozenset[str]:
    """The longest edges, until the others' dummies fit the budget.

    Dummies grow with edge length times edge count: in a large spec every state's `cancel` flow
    runs to one shared node, which would make the layout quadratic. Those edges get no dummies
    and are routed along a bus below their band instead (see `layout`).
    """
    budget = max(MIN_DUMMIES, DUMMIES_PER_ELEMENT * len(edges))
    total = sum(len(span) for span in spans.values())
    if total <= budget:
        return frozenset()
    longest = sorted(range(len(edges)), key=lambda i: (-len(spans[edges[i].key]), i))
    chosen: set[str] = set()
    for index in longest:
        if total <= budget:
            break
        key = edges[index].key
        total -= len(spans[key])
        chosen.add(key)
    return frozenset(chosen)


def dummy(key: str, index: int) -> str:
    """The id of the `index`-th dummy vertex of an edge (never a valid NCName, so never a node id)."""
    return f"~{index}~{key}"


def _back_edges(order: Sequence[str], edges: Sequence[Edge]) -> frozenset[str]:
    """Keys of the edges a depth-first search in `order` meets as back edges (self-loops included)."""
    successors: dict[str, list[Edge]] = {node: [] for node in order}
    for edge in edges:
        successors[edge.source].append(edge)
    back: set[str] = set()
    state: dict[str, int] = {}
    for root in order:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            node, index = stack.pop()
            if index < len(successors[node]):
                stack.append((node, index + 1))
                edge = successors[node][index]
                if state.get(edge.target) == 1:
                    back.add(edge.key)
                elif edge.target not in state:
                    state[edge.target] = 1
                    stack.append((edge.target, 0))
            else:
                state[node] = 2
    return frozenset(back)


def _longest_path(order: Sequence[str], forward: Sequence[Edge]) -> dict[str, int]:
    """Each node's layer: its longest weighted path from a source (Kahn's order, linear)."""
    incoming = {node: 0 for node in order}
    successors: dict[str, list[Edge]] = {node: [] for node in order}
    for edge in forward:
        incoming[edge.target] += 1
        successors[edge.source].append(edge)
    layer = {node: 0 for node in order}
    ready = [node for node in order if incoming[node] == 0]
    ready.reverse()
    while ready:
        node = ready.pop()
        for edge in successors[node]:
            layer[edge.target] = max(layer[edge.target], layer[node] + edge.span)
            incoming[edge.target] -= 1
            if incoming[edge.target] == 0:
                ready.append(edge.target)
    return layer


def _chains(edges: Sequence[Edge], layer: Mapping[str, int], back: frozenset[str]) -> dict[str, range]:
    """The layers each edge's dummies sit in, in path order (ranges: long edges cost nothing here)."""
    chains: dict[str, range] = {}
    for edge in edges:
        start, end = layer[edge.source], layer[edge.target]
        if edge.key in back or end <= start:
            chains[edge.key] = range(start, end - 1, -1)
        else:
            chains[edge.key] = range(start + 1, end)
    return chains


def layered(
    order: Sequence[str],
    edges: Sequence[Edge],
    group: Mapping[str, tuple[int, ...]],
) -> Layering:
    """Layer and order a graph; `group` keeps vertices of lower groups above higher ones in each layer.

    A dummy vertex takes its edge's group (`group[edge.key]`, else the group of its source).
    """
    back = _back_edges(order, edges)
    forward = [
        Edge(e.key, e.target, e.source, 1) if e.key in back else e for e in edges if e.source != e.target
    ]
    layer = _longest_path(order, forward)
    spans = _chains(edges, layer, back)
    bus = _bus_edges(edges, spans)
    for key in bus:
        spans[key] = range(0)
    count = max(layer.values(), default=-1) + 1
    columns: list[list[str]] = [[] for _ in range(count)]
    for node in order:
        columns[layer[node]].append(node)
    rank: dict[str, tuple[int, ...]] = {node: group.get(node, ()) for node in order}
    before: dict[str, list[str]] = {node: [] for node in order}
    after: dict[str, list[str]] = {node: [] for node in order}
    chains: dict[str, tuple[str, ...]] = {}
    where: dict[str, int] = dict(layer)
    for edge in edges:
        path = [dummy(edge.key, i) for i in range(len(spans[edge.key]))]
        for vertex, column in zip(path, spans[edge.key], strict=True):
            columns[column].append(vertex)
            where[vertex] = column
            before[vertex], after[vertex] = [], []
            rank[vertex] = group.get(edge.key, rank[edge.source])
        chains[edge.key] = tuple(path)
        links = [edge.source, *path, edge.target]
        for a, b in itertools.pairwise(links):
            if where[a] + 1 == where[b]:
                after[a].append(b)
                before[b].append(a)
            elif where[b] + 1 == where[a]:
                after[b].append(a)
                before[a].append(b)
    attached: dict[str, tuple[str, int]] = {}
    for index, edge in enumerate(edges):
        turned = chains[edge.key]
        if turned and (edge.key in back or layer[edge.target] <= layer[edge.source]):
            attached[turned[0]] = (edge.source, len(turned) * len(edges) + index)
            if len(turned) > 1:
                attached[turned[-1]] = (edge.target, len(turned) * len(edges) + index)
    ordered = order_layers(columns, before, after, rank, attached)
    return Layering(
        layer=layer,
        reversed=back,
        bus=bus,
        chains=chains,
        columns=tuple(tuple(column) for column in ordered),
        column=where,
    )
