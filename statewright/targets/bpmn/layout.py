"""A deterministic layered layout, left to right, for the BPMN diagram (BPMN DI).

Per process or sub-process: back edges are found by a depth-first search in
node order and reversed; each node goes in the layer of its longest path from
a source; a few barycenter sweeps order each layer to cut crossings; layers
become columns and nodes stack in them. Boundary events sit on the bottom
border of their activity and their flows leave downwards. A sub-process is
laid out first and then placed as one big node. Everything depends only on the
model's order, never on hashing or time, so equal models give equal diagrams.
"""

from __future__ import annotations

from dataclasses import dataclass

from statewright.targets.bpmn.model import Flow, Model, Node

Point = tuple[int, int]
Box = tuple[int, int, int, int]

SIZES = {
    "startEvent": (36, 36),
    "endEvent": (36, 36),
    "intermediateCatchEvent": (36, 36),
    "intermediateThrowEvent": (36, 36),
    "boundaryEvent": (36, 36),
    "exclusiveGateway": (50, 50),
    "parallelGateway": (50, 50),
    "eventBasedGateway": (50, 50),
}
TASK = (100, 80)
COLUMN_GAP = 70
ROW_GAP = 50
BOUNDARY_ROOM = 40
PADDING = 40
ORIGIN = (160, 80)
SWEEPS = 4
BOUNDARY_STEP = 46


@dataclass(frozen=True, slots=True)
class Layout:
    """Bounds of every node and waypoints of every flow, in diagram coordinates."""

    bounds: dict[str, Box]
    waypoints: dict[str, tuple[Point, ...]]


@dataclass(slots=True)
class _Scope:
    size: tuple[int, int]
    bounds: dict[str, Box]
    waypoints: dict[str, list[Point]]


def _size(node: Node, inner: dict[str, _Scope], boundaries: int) -> tuple[int, int]:
    width, height = inner[node.id].size if node.kind == "subProcess" else SIZES.get(node.kind, TASK)
    return max(width, boundaries * BOUNDARY_STEP + BOUNDARY_STEP // 2), height


def _layers(order: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering after reversing the back edges a DFS in `order` finds."""
    successors: dict[str, list[str]] = {node: [] for node in order}
    for source, target in edges:
        if target not in successors[source]:
            successors[source].append(target)
    back: set[tuple[str, str]] = set()
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
                nxt = successors[node][index]
                if state.get(nxt) == 1:
                    back.add((node, nxt))
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2
    forward = [(s, t) for s, t in edges if (s, t) not in back and s != t]
    predecessors: dict[str, list[str]] = {node: [] for node in order}
    for source, target in forward:
        predecessors[target].append(source)
    layer: dict[str, int] = {}

    def depth(node: str) -> int:
        pending = [node]
        while pending:
            current = pending[-1]
            missing = [p for p in predecessors[current] if p not in layer]
            if missing:
                pending.extend(missing)
                continue
            pending.pop()
            layer[current] = max((layer[p] + 1 for p in predecessors[current]), default=0)
        return layer[node]

    for node in order:
        if node not in layer:
            depth(node)
    return layer


def _orders(order: list[str], layer: dict[str, int], edges: list[tuple[str, str]]) -> list[list[str]]:
    """Nodes per layer, ordered by barycenter sweeps (ties keep model order)."""
    count = max(layer.values(), default=-1) + 1
    columns: list[list[str]] = [[] for _ in range(count)]
    for node in order:
        columns[layer[node]].append(node)
    neighbours: dict[str, list[str]] = {node: [] for node in order}
    for source, target in edges:
        if source != target:
            neighbours[source].append(target)
            neighbours[target].append(source)
    for sweep in range(SWEEPS):
        indices = range(1, count) if sweep % 2 == 0 else range(count - 2, -1, -1)
        for column in indices:
            reference = column - 1 if sweep % 2 == 0 else column + 1
            columns[column] = _barycentre_sorted(columns[column], columns[reference], neighbours)
    return columns


def _barycentre_sorted(
    column: list[str], reference: list[str], neighbours: dict[str, list[str]]
) -> list[str]:
    """`column` ordered by the mean position of each node's neighbours in `reference` (ties: as before)."""
    position = {node: i for i, node in enumerate(reference)}
    original = {node: i for i, node in enumerate(column)}

    def key(node: str) -> tuple[float, int]:
        near = [position[n] for n in neighbours[node] if n in position]
        centre = sum(near) / len(near) if near else float(original[node])
        return (centre, original[node])

    return sorted(column, key=key)


def _scope_layout(model: Model, scope: str, inner: dict[str, _Scope]) -> _Scope:
    nodes = [n for n in model.in_scope(scope) if n.kind != "boundaryEvent"]
    ids = [n.id for n in nodes]
    anchor = {n.id: n.attached_to or n.id for n in model.in_scope(scope)}
    flows = [f for f in model.flows if f.scope == scope]
    edges = [(anchor[f.source], anchor[f.target]) for f in flows]
    layer = _layers(ids, edges)
    columns = _orders(ids, layer, edges)
    by_id = model.by_id
    sizes = {node_id: _size(by_id[node_id], inner, len(model.boundaries.get(node_id, ()))) for node_id in ids}
    bounds: dict[str, Box] = {}
    x = PADDING
    height = 0
    for column in columns:
        width = max((sizes[n][0] for n in column), default=0)
        y = PADDING
        for node_id in column:
            w, h = sizes[node_id]
            room = h if by_id[node_id].kind in SIZES else max(h, TASK[1])
            bounds[node_id] = (x + (width - w) // 2, y + (room - h) // 2, w, h)
            y += room + ROW_GAP + (BOUNDARY_ROOM if model.boundaries.get(node_id) else 0)
        height = max(height, y)
        x += width + COLUMN_GAP
    for node in model.in_scope(scope):
        if node.attached_to is not None:
            ax, ay, aw, ah = bounds[node.attached_to]
            siblings = model.boundaries[node.attached_to]
            index = siblings.index(node)
            cx = ax + aw * (index + 1) // (len(siblings) + 1)
            bounds[node.id] = (cx - 18, ay + ah - 18, 36, 36)
    size = (x - COLUMN_GAP + PADDING, height - ROW_GAP + PADDING)
    waypoints = {f.id: _route(f, bounds, layer, anchor, size, index) for index, f in enumerate(flows)}
    return _Scope(size, bounds, waypoints)


def _route(
    flow: Flow,
    bounds: dict[str, Box],
    layer: dict[str, int],
    anchor: dict[str, str],
    size: tuple[int, int],
    index: int,
) -> list[Point]:
    sx, sy, sw, sh = bounds[flow.source]
    tx, ty, tw, th = bounds[flow.target]
    target_mid = ty + th // 2
    from_boundary = anchor[flow.source] != flow.source
    forward = layer[anchor[flow.target]] > layer[anchor[flow.source]]
    if forward:
        bend = tx - COLUMN_GAP // 2 + (index % 5) * 4 - 8
        if from_boundary:
            below = sy + sh + 12
            points = [
                (sx + sw // 2, sy + sh),
                (sx + sw // 2, below),
                (bend, below),
                (bend, target_mid),
                (tx, target_mid),
            ]
        else:
            start = (sx + sw, sy + sh // 2)
            points = [start, (bend, start[1]), (bend, target_mid), (tx, target_mid)]
    else:
        low = max(sy + sh, ty + th) + BOUNDARY_ROOM // 2 + (index % 7) * 3
        low = min(low, size[1] - 4)
        points = [(sx + sw // 2, sy + sh), (sx + sw // 2, low), (tx + tw // 2, low), (tx + tw // 2, ty + th)]
    cleaned: list[Point] = []
    for point in points:
        if not cleaned or cleaned[-1] != point:
            cleaned.append(point)
    if len(cleaned) < 2:
        cleaned.append((cleaned[0][0] + 1, cleaned[0][1]))
    return cleaned


def layout(model: Model) -> Layout:
    """Place every node and route every flow of the model."""
    scopes = [model.process_id, *(n.id for n in model.nodes if n.kind == "subProcess")]
    inner: dict[str, _Scope] = {}
    depth = {model.process_id: 0}
    for node in model.nodes:
        if node.kind == "subProcess":
            depth[node.id] = 0
    for node_id in scopes[1:]:
        scope = model.by_id[node_id].scope
        level = 1
        while scope != model.process_id:
            scope = model.by_id[scope].scope
            level += 1
        depth[node_id] = level
    for scope in sorted(scopes[1:], key=lambda s: -depth[s]):
        inner[scope] = _scope_layout(model, scope, inner)
    top = _scope_layout(model, model.process_id, inner)
    bounds: dict[str, Box] = {}
    waypoints: dict[str, tuple[Point, ...]] = {}

    def place(scope: _Scope, dx: int, dy: int) -> None:
        for node_id, (x, y, w, h) in scope.bounds.items():
            bounds[node_id] = (x + dx, y + dy, w, h)
            if node_id in inner:
                place(inner[node_id], x + dx, y + dy)
        for flow_id, points in scope.waypoints.items():
            waypoints[flow_id] = tuple((px + dx, py + dy) for px, py in points)

    place(top, ORIGIN[0] - PADDING, ORIGIN[1] - PADDING)
    return Layout(bounds, waypoints)
