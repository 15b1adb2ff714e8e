"""A deterministic layered layout, left to right, for the BPMN diagram (BPMN DI).

Per process or sub-process (inner ones first, each then placed as one big node):
`layering.layered` puts nodes in layers and every flow in a chain of dummy
vertices, ordered with the main path first, then each parallel region in turn,
then the exception paths; each vertex gets a slot in its layer (its shape, its
label below it, its boundary events and their labels and tracks; a dummy's slot
is its flow's row, with the flow's label above it), slots never overlap; y is
assigned so the main path is one straight row and other chains run straight
where room allows; `routing.order_tracks` gives each vertical piece of a flow its
own track in the channel between two layers. So a flow never crosses a node, a
label never lies on a foreign shape or another label, and every label's box is
decided here, not by the viewer. Text is measured by `text.py`. Everything
depends only on the model's order, never on hashing or time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from statewright.targets.bpmn.bands import Strip, choose_cuts, fits
from statewright.targets.bpmn.layering import Edge, Layering, layered
from statewright.targets.bpmn.model import Flow, Model, Node
from statewright.targets.bpmn.routing import MARGIN, TRACK, Hop, channel_width, order_tracks
from statewright.targets.bpmn.text import block

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
TASK_WIDTHS = (100, 120, 140, 160, 180, 200, 240)
TASK_FONT = 12
TASK_PADDING = 8
TASK_LINES = 4
LABEL_FONT = 11
NODE_LABEL_WIDTH = 120
FLOW_LABEL_WIDTH = 160
LABEL_GAP = 4
ROW_GAP = 24
MIN_CHANNEL = 44
PADDING = 24
SUB_TOP = 34
"""Room for a sub-process's own name, drawn inside its top edge."""
DUMMY_ROOM = 5
BOUNDARY_GAP = 10
ORIGIN = (160, 80)
PLACEMENTS = 4
"""Rows are placed again per band once the bands are chosen (bands get lower); if the drawing is then
too wide, more bands are chosen, at most this many placements in all."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Bounds of every node, waypoints of every flow and label boxes, in diagram coordinates."""

    bounds: dict[str, Box]
    waypoints: dict[str, tuple[Point, ...]]
    labels: dict[str, Box] = field(default_factory=dict)
    """Node or flow id -> the box of its external label (events, gateways and named flows)."""


@dataclass(slots=True)
class _Scope:
    size: tuple[int, int]
    bounds: dict[str, Box]
    waypoints: dict[str, list[Point]]
    labels: dict[str, Box]


@dataclass(frozen=True, slots=True)
class _Slot:
    """The room a vertex takes in its layer around its row y: above, below and width."""

    above: int
    below: int
    width: int


@dataclass(frozen=True, slots=True)
class _Boundaries:
    """Where an activity's boundary events sit (centre x offsets) and where their flows turn east."""

    centres: tuple[int, ...]
    tracks: tuple[int, ...]
    """Per event: the y offset below the activity's bottom edge of its flow's eastward track."""
    width: int
    room: int


def _fits(node: Node) -> tuple[int, int]:
    """A task's size: the narrowest width that holds its name in TASK_LINES lines, else taller."""
    for width in TASK_WIDTHS:
        text_width, text_height = block(node.name, width - 2 * TASK_PADDING, TASK_FONT)
        if text_height <= TASK[1] - 2 * TASK_PADDING and text_width <= width - 2 * TASK_PADDING:
            return (width, TASK[1])
    width = TASK_WIDTHS[-1]
    _, text_height = block(node.name, width - 2 * TASK_PADDING, TASK_FONT)
    return (width, max(TASK[1], text_height + 2 * TASK_PADDING))


def label_size(text: str, width: int) -> tuple[int, int]:
    """The box of an external label wrapped at `width` (0 x 0 for no text)."""
    if not text.strip():
        return (0, 0)
    text_width, text_height = block(text, width, LABEL_FONT)
    return (text_width + 4, text_height + 2)


def _boundaries(events: Sequence[Node]) -> _Boundaries:
    """Events left to right along the bottom edge, each label right of its event, tracks below all.

    The leftmost event's flow takes the lowest track, so no two boundary flows cross.
    """
    centres: list[int] = []
    x = BOUNDARY_GAP
    tallest = 0
    for event in events:
        label_w, label_h = label_size(event.name, NODE_LABEL_WIDTH)
        centres.append(x + 18)
        x += 36 + (label_w + LABEL_GAP if label_w else 0) + BOUNDARY_GAP
        tallest = max(tallest, label_h)
    first = 18 + max(tallest + LABEL_GAP, 6)
    count = len(events)
    tracks = tuple(first + (count - 1 - index) * TRACK for index in range(count))
    room = (max(tracks) + 12) if events else 0
    return _Boundaries(tuple(centres), tracks, x, room)


def main_path(model: Model, nodes: Sequence[Node]) -> list[str]:
    """From the first start event, always the first flow to a node not yet on the path."""
    starts = [node.id for node in nodes if node.kind == "startEvent"]
    if not starts:
        return []
    path = [starts[0]]
    seen = {starts[0]}
    while True:
        step = next((f.target for f in model.outgoing[path[-1]] if f.target not in seen), None)
        if step is None or model.by_id[step].scope != model.by_id[path[-1]].scope:
            return path
        path.append(step)
        seen.add(step)


def regions(model: Model, nodes: Sequence[Node], anchor: Mapping[str, str]) -> dict[str, int]:
    """Region index of each node reached from a parallel split's branches (first branch wins)."""
    region: dict[str, int] = {}
    for split in (node for node in nodes if node.role == "split"):
        for index, flow in enumerate(model.outgoing[split.id]):
            pending = [flow.target]
            while pending:
                current = anchor.get(pending.pop(), "")
                if current in region or current not in anchor or model.by_id[current].role == "join":
                    continue
                region[current] = index
                followers = [f.target for f in model.outgoing[current]]
                for event in model.boundaries.get(current, ()):
                    followers += [f.target for f in model.outgoing[event.id]]
                pending.extend(reversed(followers))
    return region


def _groups(
    model: Model, nodes: Sequence[Node], flows: Sequence[Flow], anchor: Mapping[str, str]
) -> dict[str, tuple[int, ...]]:
    """Vertical groups: the main path (0,), its own flows' rows too; then each region; then the rest."""
    main = main_path(model, nodes)
    on_main = set(main)
    main_edges = {(a, b) for a, b in itertools.pairwise(main)}
    region = regions(model, nodes, anchor)
    group: dict[str, tuple[int, ...]] = {}
    for node in nodes:
        group[node.id] = (0,) if node.id in on_main else (1, region.get(node.id, -1))
    for flow in flows:
        source, target = anchor[flow.source], anchor[flow.target]
        if (flow.source, flow.target) in main_edges:
            group[flow.id] = (0,)
        elif source in on_main and target in on_main:
            group[flow.id] = (0, 1)
        else:
            group[flow.id] = (1, region.get(source, region.get(target, -1)))
    return group


def _place_rows(
    columns: Sequence[Sequence[str]],
    slots: Mapping[str, _Slot],
    neighbours: Mapping[str, Sequence[str]],
    main: set[str],
    top: int,
) -> dict[str, int]:
    """Row y of every vertex: the main path on one row, others near their placed neighbours, no overlap."""
    main_row = top + max((slots[v].above for v in main), default=0)
    row: dict[str, int] = {}
    for column in columns:
        floor = top
        for vertex in column:
            slot = slots[vertex]
            placed = [row[n] for n in neighbours[vertex] if n in row]
            wanted = main_row if vertex in main else (sum(placed) // len(placed) if placed else 0)
            row[vertex] = max(wanted, floor + slot.above)
            floor = row[vertex] + slot.below + ROW_GAP
    for column in reversed(columns):
        limit: int | None = None
        for vertex in reversed(column):
            slot = slots[vertex]
            if vertex not in main:
                later = [row[n] for n in neighbours[vertex] if n in row and row[n] > row[vertex]]
                if later:
                    wanted = min(later)
                    if limit is not None:
                        wanted = min(wanted, limit - slot.below)
                    row[vertex] = max(row[vertex], wanted)
            limit = row[vertex] - slot.above - ROW_GAP
    return row


def _scope_layout(model: Model, scope: str, inner: Mapping[str, _Scope]) -> _Scope:
    in_scope = model.in_scope(scope)
    nodes = [n for n in in_scope if n.kind != "boundaryEvent"]
    anchor = {n.id: n.attached_to or n.id for n in in_scope}
    flows = [f for f in model.flows if f.scope == scope]
    by_id = model.by_id
    edges = [Edge(f.id, anchor[f.source], anchor[f.target], 2 if f.name else 1) for f in flows]
    group = _groups(model, nodes, flows, anchor)
    placed: Layering = layered([n.id for n in nodes], edges, group)
    layer = placed.layer
    column_of = placed.column

    sizes: dict[str, tuple[int, int]] = {}
    boundaries: dict[str, _Boundaries] = {}
    node_labels: dict[str, tuple[int, int]] = {}
    slots: dict[str, _Slot] = {}
    for node in nodes:
        size = inner[node.id].size if node.kind == "subProcess" else SIZES.get(node.kind) or _fits(node)
        room = 0
        if node.id in model.boundaries:
            found = _boundaries(model.boundaries[node.id])
            boundaries[node.id] = found
            size = (max(size[0], found.width), size[1])
            room = found.room
        sizes[node.id] = size
        label = label_size(node.name, NODE_LABEL_WIDTH) if node.kind in SIZES else (0, 0)
        node_labels[node.id] = label
        below = size[1] - size[1] // 2 + (label[1] + LABEL_GAP if label[1] else 0)
        slots[node.id] = _Slot(
            size[1] // 2, max(below, size[1] - size[1] // 2 + room), max(size[0], label[0])
        )
    flow_labels: dict[str, tuple[int, int]] = {}
    for flow in flows:
        chain = placed.chains[flow.id]
        label = label_size(flow.name, FLOW_LABEL_WIDTH) if flow.name and chain else (0, 0)
        flow_labels[flow.id] = label
        for index, vertex in enumerate(chain):
            above = label[1] + LABEL_GAP + DUMMY_ROOM if index == 0 and label[1] else DUMMY_ROOM
            slots[vertex] = _Slot(above, DUMMY_ROOM, label[0] if index == 0 else 0)

    neighbours: dict[str, list[str]] = {v: [] for column in placed.columns for v in column}
    for edge in edges:
        links = [edge.source, *placed.chains[edge.key], edge.target]
        for a, b in itertools.pairwise(links):
            if a != b and column_of[a] != column_of[b]:
                neighbours[a].append(b)
                neighbours[b].append(a)
    main = {v for v, g in group.items() if g == (0,) and v in neighbours}
    main |= {v for f in flows if group.get(f.id) == (0,) for v in placed.chains[f.id]}
    top = SUB_TOP if scope != model.process_id else PADDING
    row = _place_rows(placed.columns, slots, neighbours, main, top)

    def exit_y(flow: Flow) -> int:
        if flow.source != anchor[flow.source]:
            owner = anchor[flow.source]
            index = model.boundaries[owner].index(by_id[flow.source])
            return row[owner] + sizes[owner][1] - sizes[owner][1] // 2 + boundaries[owner].tracks[index]
        return row[flow.source]

    count = len(placed.columns)
    cuts: tuple[int, ...] = ()
    plan = _track_plan(flows, edges, placed)
    column_width = [max((slots[v].width for v in column), default=0) for column in placed.columns]
    for attempt in range(PLACEMENTS):
        tops = [min((row[v] - slots[v].above for v in column), default=top) for column in placed.columns]
        bottoms = [max((row[v] + slots[v].below for v in column), default=top) for column in placed.columns]
        strip = Strip(
            columns=column_width,
            channels=[channel_width(tracks, MIN_CHANNEL) for tracks in plan.tracks(row, exit_y)],
            tops=tops,
            bottoms=bottoms,
            crossing=plan.crossing,
            corridor=TRACK,
        )
        if scope != model.process_id or attempt == PLACEMENTS - 1 or (attempt and fits(strip, cuts)):
            break
        cuts = choose_cuts(strip, len(cuts) + 2 if attempt else 1)
        if not cuts:
            break
        row = {}
        for band_start, band_end in itertools.pairwise([0, *cuts, count]):
            row.update(_place_rows(placed.columns[band_start:band_end], slots, neighbours, main, top))
    channels, legs, buses = _route(flows, edges, placed, row, exit_y)
    plain = [order_tracks(hops) for hops in channels]
    frame = _frame(channels, plain, strip, cuts, top, list(buses.values()))

    bounds: dict[str, Box] = {}
    labels: dict[str, Box] = {}
    for node in nodes:
        w, h = sizes[node.id]
        column = layer[node.id]
        nx = frame.left[column] + (column_width[column] - w) // 2
        ny = row[node.id] + frame.shift[column] - h // 2
        bounds[node.id] = (nx, ny, w, h)
        lw, lh = node_labels[node.id]
        if lw:
            labels[node.id] = (nx + w // 2 - lw // 2, ny + h + LABEL_GAP, lw, lh)
        placed_events = boundaries.get(node.id)
        if placed_events is not None:
            for event, centre in zip(model.boundaries[node.id], placed_events.centres, strict=True):
                bounds[event.id] = (nx + centre - 18, ny + h - 18, 36, 36)
                lw, lh = label_size(event.name, NODE_LABEL_WIDTH)
                if lw:
                    labels[event.id] = (nx + centre + 18 + LABEL_GAP, ny + h + 2, lw, lh)
    waypoints: dict[str, list[Point]] = {}
    for flow, edge in zip(flows, edges, strict=True):
        sx, sy, sw, sh = bounds[flow.source]
        if flow.source != edge.source:
            shift = frame.shift[column_of[edge.source]]
            points: list[Point] = [(sx + sw // 2, sy + sh), (sx + sw // 2, exit_y(flow) + shift)]
        else:
            points = [(sx + sw, sy + sh // 2)]
        for leg in legs[flow.id]:
            points += frame.points(leg)
        if flow.id in buses:
            bus = buses[flow.id]
            points += frame.bus_points(
                bus, points[-1][1], bounds[flow.target][1] + sizes[edge.target][1] // 2
            )
        tx, ty, _, th = bounds[flow.target]
        points.append((tx, ty + th // 2))
        waypoints[flow.id] = _clean(points)
        lw, lh = flow_labels[flow.id]
        if lw:
            first = placed.chains[flow.id][0]
            column = column_of[first]
            labels[flow.id] = (
                frame.left[column] + (column_width[column] - lw) // 2,
                row[first] + frame.shift[column] - LABEL_GAP - lh,
                lw,
                lh,
            )
    return _Scope((frame.width + PADDING, frame.height + PADDING), bounds, waypoints, labels)


@dataclass(frozen=True, slots=True)
class _TrackPlan:
    """What each channel's width needs, known before any row is placed (see `_route` for the hops).

    A row placement is tried up to PLACEMENTS times; each try needs only how many tracks each
    channel takes, so the hops themselves are built once, for the rows finally kept.
    """

    fixed: list[int]
    """Per channel: the hops that always take a track (turning, exit and entry hops)."""
    crossing: list[int]
    """Per channel: how many flows pass through it from one layer to the next."""
    through: list[tuple[int, Flow | None, str, str]]
    """Each through hop: its channel, its flow when it starts at the flow's exit (else None), its ends."""

    def tracks(self, row: Mapping[str, int], exit_y: Callable[[Flow], int]) -> list[int]:
        """Tracks per channel for these rows: a through hop needs one unless its ends are level."""
        tracks = list(self.fixed)
        for channel, flow, a, b in self.through:
            if (row[a] if flow is None else exit_y(flow)) != row[b]:
                tracks[channel] += 1
        return tracks


def _track_plan(flows: Sequence[Flow], edges: Sequence[Edge], placed: Layering) -> _TrackPlan:
    """The hops `_route` makes, by channel, without their heights."""
    count = len(placed.columns)
    column_of = placed.column
    fixed = [0] * (count + 1)
    crossing = [0] * (count + 1)
    through: list[tuple[int, Flow | None, str, str]] = []
    entries: set[tuple[int, str]] = set()
    for flow, edge in zip(flows, edges, strict=True):
        if edge.key in placed.bus:
            cs, ct = column_of[edge.source], column_of[edge.target]
            fixed[cs + 1] += 1
            if (ct, edge.target) not in entries:
                entries.add((ct, edge.target))
                fixed[ct] += 1
            continue
        links = [edge.source, *placed.chains[edge.key], edge.target]
        for step, (a, b) in enumerate(itertools.pairwise(links)):
            ca, cb = column_of[a], column_of[b]
            if cb == ca + 1 or cb == ca - 1:
                channel = max(ca, cb)
                crossing[channel] += 1
                through.append((channel, flow if step == 0 else None, a, b))
            else:
                fixed[ca + 1 if step == 0 else ca] += 1
    return _TrackPlan(fixed, crossing, through)


def _route(
    flows: Sequence[Flow],
    edges: Sequence[Edge],
    placed: Layering,
    row: Mapping[str, int],
    exit_y: Callable[[Flow], int],
) -> tuple[list[list[Hop]], dict[str, list[_Leg]], dict[str, _Bus]]:
    """Every flow's hops, channel by channel in flow order, its legs, and the long flows' buses."""
    column_of = placed.column
    channels: list[list[Hop]] = [[] for _ in range(len(placed.columns) + 1)]
    legs: dict[str, list[_Leg]] = {}
    buses: dict[str, _Bus] = {}
    entries: dict[tuple[int, str], int] = {}
    for flow, edge in zip(flows, edges, strict=True):
        legs[flow.id] = []
        if edge.key in placed.bus:
            cs, ct = column_of[edge.source], column_of[edge.target]
            exit_hop = len(channels[cs + 1])
            channels[cs + 1].append(Hop("exit", exit_y(flow), BELOW))
            if (ct, edge.target) not in entries:
                entries[(ct, edge.target)] = len(channels[ct])
                channels[ct].append(Hop("entry", BELOW, row[edge.target]))
            buses[flow.id] = _Bus(edge.target, cs, exit_hop, ct, entries[(ct, edge.target)])
            continue
        links = [edge.source, *placed.chains[edge.key], edge.target]
        ys = [exit_y(flow), *(row[v] for v in links[1:])]
        for step, (a, b) in enumerate(itertools.pairwise(links)):
            ca, cb = column_of[a], column_of[b]
            ya, yb = ys[step], ys[step + 1]
            if cb == ca + 1:
                channel, hop = cb, Hop("through", ya, yb)
            elif cb == ca - 1:
                channel, hop = ca, Hop("through", yb, ya)
            elif step == 0:
                channel, hop = ca + 1, Hop("east", ya, yb)
            else:
                channel, hop = ca, Hop("west", ya, yb)
            legs[flow.id].append(_Leg(channel, len(channels[channel]), ya, yb, ca, cb))
            channels[channel].append(hop)
    return channels, legs, buses


@dataclass(frozen=True, slots=True)
class _Leg:
    """One hop of a flow: its channel, its index there, the y it comes from and goes to, its ends' layers."""

    channel: int
    index: int
    start: int
    end: int
    start_column: int
    end_column: int


@dataclass(frozen=True, slots=True)
class _Bus:
    """A long flow, routed along the bus below its band instead of through dummy vertices.

    Down its source's channel to the bus, along it (and the spine on the left when the target is
    in another band), up its target's channel; flows to one target share a lane.
    """

    target: str
    source_column: int
    exit_index: int
    target_column: int
    entry_index: int


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where each layer and channel went once the layers were wrapped into bands."""

    left: list[int]
    """x of each layer's left edge."""
    shift: list[int]
    """How far each layer's band moved down."""
    tracks: dict[tuple[int, str], list[int]]
    """(channel, part) -> the x of each hop's track; part is "" for a channel inside a band, else "exit"
    (right of the upper band) or "entry" (left of the lower band)."""
    lanes: dict[tuple[int, int], int]
    """(channel, hop index) -> the y of a wrapping hop's lane in the corridor."""
    cuts: frozenset[int]
    width: int
    height: int
    bus_lanes: dict[tuple[int, str], int]
    """(band, target) -> the y of the bus lane below that band leading to the target (or to the spine)."""
    spine: dict[str, int]
    """Target -> the x of its track in the spine left of all bands (flows between bands)."""
    band_of: list[int]

    def _track(self, channel: int, index: int, side: str) -> int:
        part = "" if channel not in self.cuts else side
        return self.tracks[(channel, part)][index]

    def bus_points(self, bus: _Bus, y_from: int, y_to: int) -> list[Point]:
        """The bends of a long flow from its source's exit y to its target's entry y."""
        exit_x = self._track(bus.source_column + 1, bus.exit_index, "exit")
        entry_x = self._track(bus.target_column, bus.entry_index, "entry")
        first, last = self.band_of[bus.source_column], self.band_of[bus.target_column]
        lane = self.bus_lanes[(first, bus.target)]
        if first == last:
            return [(exit_x, y_from), (exit_x, lane), (entry_x, lane), (entry_x, y_to)]
        spine = self.spine[bus.target]
        arrival = self.bus_lanes[(last, bus.target)]
        return [
            (exit_x, y_from),
            (exit_x, lane),
            (spine, lane),
            (spine, arrival),
            (entry_x, arrival),
            (entry_x, y_to),
        ]

    def points(self, leg: _Leg) -> list[Point]:
        """The bends of one hop, in the direction the flow runs."""
        y_from = leg.start + self.shift[leg.start_column]
        y_to = leg.end + self.shift[leg.end_column]
        if leg.channel not in self.cuts:
            x = self.tracks[(leg.channel, "")][leg.index]
            return [] if x < 0 else [(x, y_from), (x, y_to)]
        if leg.start_column == leg.end_column:
            part = "exit" if leg.start_column < leg.channel else "entry"
            x = self.tracks[(leg.channel, part)][leg.index]
            return [(x, y_from), (x, y_to)]
        lane = self.lanes[(leg.channel, leg.index)]
        exit_x = self.tracks[(leg.channel, "exit")][leg.index]
        entry_x = self.tracks[(leg.channel, "entry")][leg.index]
        if leg.start_column < leg.end_column:
            return [(exit_x, y_from), (exit_x, lane), (entry_x, lane), (entry_x, y_to)]
        return [(entry_x, y_from), (entry_x, lane), (exit_x, lane), (exit_x, y_to)]


def _frame(
    channels: Sequence[Sequence[Hop]],
    plain: Sequence[Sequence[int]],
    strip: Strip,
    cuts: Sequence[int],
    top: int,
    buses: Sequence[_Bus],
) -> _Frame:
    """Place layers and channel tracks band by band.

    A wrapping hop gets an exit track, a lane and an entry track, nested so that flows that do not
    cross before the cut do not cross after it.
    """
    count = len(strip.columns)
    band_of = [0] * count
    for cut in cuts:
        for column in range(cut, count):
            band_of[column] += 1
    tracks: dict[tuple[int, str], list[int]] = {}
    lanes: dict[tuple[int, int], int] = {}
    left = [0] * count
    shift = [0] * count
    width = 0
    spine: dict[str, int] = {}
    for bus in buses:
        if band_of[bus.source_column] != band_of[bus.target_column] and bus.target not in spine:
            spine[bus.target] = PADDING + MARGIN + len(spine) * TRACK
    origin = PADDING + (channel_width(len(spine), MIN_CHANNEL) if spine else 0)
    bus_lanes: dict[tuple[int, str], int] = {}
    x = origin
    bounds = [0, *cuts, count]
    y_offset = 0
    height = top
    for band, (first, end) in enumerate(itertools.pairwise(bounds)):
        band_top = min(strip.tops[first:end], default=top)
        if band > 0:
            hops = channels[first]
            wrapping = [i for i, hop in enumerate(hops) if hop.kind == "through"]
            west = [i for i, hop in enumerate(hops) if hop.kind in ("west", "entry")]
            corridor = height + MARGIN
            exit_x = tracks[(first, "exit")]
            order = sorted(wrapping, key=lambda i: (exit_x[i], i))
            for rank, index in enumerate(order):
                lanes[(first, index)] = corridor + rank * TRACK
            height = corridor + max(len(order) - 1, 0) * TRACK + MARGIN
            y_offset = height + ROW_GAP - band_top
            west_order = order_tracks([hops[i] for i in west])
            entry = [-1] * len(hops)
            for rank, index in enumerate(order):
                entry[index] = PADDING + MARGIN + rank * TRACK
            base = origin + MARGIN + len(order) * TRACK
            for index, track in zip(west, west_order, strict=True):
                entry[index] = base + track * TRACK
            tracks[(first, "entry")] = entry
            x = origin + channel_width(len(order) + len(west), MIN_CHANNEL)
        else:
            x = _channel(tracks, (first, ""), plain[first], origin)
        for column in range(first, end):
            left[column] = x
            shift[column] = y_offset
            x += strip.columns[column]
            if column + 1 < end or end == count:
                x = _channel(tracks, (column + 1, ""), plain[column + 1], x)
        if end < count:
            hops = channels[end]
            exits = [
                Hop("exit", hop.start, BELOW) if hop.kind == "through" else hop
                for hop in hops
                if hop.kind in ("through", "east", "exit")
            ]
            keep = [i for i, hop in enumerate(hops) if hop.kind in ("through", "east", "exit")]
            order = order_tracks(exits)
            exit_x = [-1] * len(hops)
            for index, track in zip(keep, order, strict=True):
                exit_x[index] = x + MARGIN + track * TRACK
            tracks[(end, "exit")] = exit_x
            x += channel_width(len(keep), MIN_CHANNEL)
        width = max(width, x)
        height = max(strip.bottoms[first:end], default=top) + y_offset
        height = _bus_lanes(band, buses, band_of, tracks, frozenset(cuts), spine, height, bus_lanes)
    return _Frame(left, shift, tracks, lanes, frozenset(cuts), width, height, bus_lanes, spine, band_of)


def _bus_lanes(
    band: int,
    buses: Sequence[_Bus],
    band_of: Sequence[int],
    tracks: Mapping[tuple[int, str], Sequence[int]],
    cuts: frozenset[int],
    spine: Mapping[str, int],
    height: int,
    lanes: dict[tuple[int, str], int],
) -> int:
    """Give every target reached along the bus below `band` a lane there; return the new bottom.

    A lane spans from its leftmost to its rightmost end; shorter lanes lie higher, so a lane nested in
    another is not crossed by the other's vertical ends.
    """
    spans: dict[str, tuple[int, int]] = {}

    def extend(target: str, *xs: int) -> None:
        low, high = spans.get(target, (min(xs), max(xs)))
        spans[target] = (min(low, *xs), max(high, *xs))

    for bus in buses:
        first, last = band_of[bus.source_column], band_of[bus.target_column]
        if band not in (first, last):
            continue
        exit_channel = bus.source_column + 1
        entry_channel = bus.target_column
        if band == first:
            exit_x = tracks[(exit_channel, "exit" if exit_channel in cuts else "")][bus.exit_index]
            extend(bus.target, exit_x)
        if band == last:
            entry_x = tracks[(entry_channel, "entry" if entry_channel in cuts else "")][bus.entry_index]
            extend(bus.target, entry_x)
        if first != last:
            extend(bus.target, spine[bus.target])
    if not spans:
        return height
    ordered = sorted(
        spans, key=lambda target: (spans[target][1] - spans[target][0], spans[target][0], target)
    )
    for rank, target in enumerate(ordered):
        lanes[(band, target)] = height + MARGIN + rank * TRACK
    return height + MARGIN + len(ordered) * TRACK


BELOW = 1 << 30
"""The y an exit hop runs down to: below everything in its band."""


def _channel(
    tracks: dict[tuple[int, str], list[int]], key: tuple[int, str], order: Sequence[int], x: int
) -> int:
    """Record the track x of every hop of a channel that starts at `x`; return where the channel ends."""
    tracks[key] = [-1 if track < 0 else x + MARGIN + track * TRACK for track in order]
    return x + channel_width(max(order, default=-1) + 1, MIN_CHANNEL)


def _clean(points: list[Point]) -> list[Point]:
    """Drop repeated points and the middle one of three collinear points."""
    kept: list[Point] = []
    for point in points:
        if kept and kept[-1] == point:
            continue
        if len(kept) >= 2:
            (ax, ay), (bx, by) = kept[-2], kept[-1]
            if (ax == bx == point[0] and (ay - by) * (by - point[1]) >= 0) or (
                ay == by == point[1] and (ax - bx) * (bx - point[0]) >= 0
            ):
                kept[-1] = point
                continue
        kept.append(point)
    if len(kept) < 2:
        kept.append((kept[0][0] + 1, kept[0][1]))
    return kept


def layout(model: Model) -> Layout:
    """Place every node, route every flow and box every external label of the model."""
    depth: dict[str, int] = {}
    for node in model.nodes:
        if node.kind == "subProcess":
            level, scope = 1, node.scope
            while scope != model.process_id:
                scope = model.by_id[scope].scope
                level += 1
            depth[node.id] = level
    inner: dict[str, _Scope] = {}
    for scope in sorted(depth, key=lambda s: -depth[s]):
        inner[scope] = _scope_layout(model, scope, inner)
    top = _scope_layout(model, model.process_id, inner)
    bounds: dict[str, Box] = {}
    waypoints: dict[str, tuple[Point, ...]] = {}
    labels: dict[str, Box] = {}

    def place(scope: _Scope, dx: int, dy: int) -> None:
        for node_id, (x, y, w, h) in scope.bounds.items():
            bounds[node_id] = (x + dx, y + dy, w, h)
            if node_id in inner:
                place(inner[node_id], x + dx, y + dy)
        for flow_id, points in scope.waypoints.items():
            waypoints[flow_id] = tuple((px + dx, py + dy) for px, py in points)
        for owner, (x, y, w, h) in scope.labels.items():
            labels[owner] = (x + dx, y + dy, w, h)

    place(top, ORIGIN[0] - PADDING, ORIGIN[1] - PADDING)
    return Layout(bounds, waypoints, labels)
