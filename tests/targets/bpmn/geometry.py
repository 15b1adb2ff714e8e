"""Measure the drawing a `.bpmn` file's DI describes: what a modeller would call a bad layout.

Read from the file alone (shapes, edges, labels and the process nesting), so the
same measures apply to our layout and to `bpmn-auto-layout`'s:

- flows through nodes: a flow segment entering the interior of a shape that is
  neither the flow's source nor its target nor a sub-process containing the flow;
- crossings: pairs of flow segments in one plane crossing at a point inside both;
- label overlaps: pairs of `BPMNLabel` boxes sharing area;
- labels on foreign shapes: a label box sharing area with a shape that is not its
  owner (for a flow: its source or target) nor a sub-process around it;
- width and height of everything drawn.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from lxml import etree

from tests.targets.bpmn.support import FLOW_NODES, NS

Box = tuple[float, float, float, float]
Segment = tuple[float, float, float, float]
T = TypeVar("T")
U = TypeVar("U")
INSET = 2.0
"""Tolerance: touching a border (where flows connect) is not entering a shape."""


@dataclass(frozen=True)
class Geometry:
    """The measures of one diagram."""

    flows: int
    through_nodes: list[str] = field(default_factory=list)
    crossings: int = 0
    label_overlaps: list[str] = field(default_factory=list)
    labels_on_shapes: list[str] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    labels: int = 0

    @property
    def ratio(self) -> float:
        """Width over height of the whole drawing."""
        return self.width / self.height if self.height else float("inf")


def _box(element: etree._Element) -> Box | None:
    bounds = element.find("dc:Bounds", NS)
    if bounds is None:
        return None
    return (
        float(bounds.get("x", "0")),
        float(bounds.get("y", "0")),
        float(bounds.get("width", "0")),
        float(bounds.get("height", "0")),
    )


def _segments(points: list[tuple[float, float]]) -> list[Segment]:
    return [(*a, *b) for a, b in itertools.pairwise(points) if a != b]


def _enters(segment: Segment, box: Box) -> bool:
    """Whether the segment passes through the interior of the box (shrunk by INSET)."""
    x1, y1, x2, y2 = segment
    left, top = box[0] + INSET, box[1] + INSET
    right, bottom = box[0] + box[2] - INSET, box[1] + box[3] - INSET
    if right <= left or bottom <= top:
        return False
    # Liang-Barsky clipping against the open rectangle.
    t0, t1 = 0.0, 1.0
    dx, dy = x2 - x1, y2 - y1
    for p, q in ((-dx, x1 - left), (dx, right - x1), (-dy, y1 - top), (dy, bottom - y1)):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            if t > t1:
                return False
            t0 = max(t0, t)
        else:
            if t < t0:
                return False
            t1 = min(t1, t)
    return t1 - t0 > 1e-9


def _cross(a: Segment, b: Segment) -> bool:
    """Whether two segments cross at a point inside both (touching ends and overlaps do not count)."""
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b

    def side(px: float, py: float, qx: float, qy: float, rx: float, ry: float) -> float:
        return (qx - px) * (ry - py) - (qy - py) * (rx - px)

    d1 = side(bx1, by1, bx2, by2, ax1, ay1)
    d2 = side(bx1, by1, bx2, by2, ax2, ay2)
    d3 = side(ax1, ay1, ax2, ay2, bx1, by1)
    d4 = side(ax1, ay1, ax2, ay2, bx2, by2)
    return d1 * d2 < 0 and d3 * d4 < 0


def _overlap(a: Box, b: Box) -> bool:
    return (
        min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]) > 0.5
        and min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]) > 0.5
    )


def _pairs(boxes: list[tuple[Box, T]]) -> Iterator[tuple[tuple[Box, T], tuple[Box, T]]]:
    """Pairs whose x ranges meet (a sweep over x: near-linear for drawings)."""
    ordered = sorted(boxes, key=lambda item: item[0][0])
    active: list[tuple[Box, T]] = []
    for item in ordered:
        left = item[0][0]
        active = [other for other in active if other[0][0] + other[0][2] >= left]
        for other in active:
            yield other, item
        active.append(item)


def _meets(first: list[tuple[Box, T]], second: list[tuple[Box, U]]) -> Iterator[tuple[T, U]]:
    """Pairs of one item of each list whose boxes' x ranges meet."""
    tagged: list[tuple[Box, tuple[int, int]]] = [(box, (0, i)) for i, (box, _) in enumerate(first)]
    tagged += [(box, (1, i)) for i, (box, _) in enumerate(second)]
    for (_, (side_a, a)), (_, (side_b, b)) in _pairs(tagged):
        if side_a == 0 and side_b == 1:
            yield first[a][1], second[b][1]
        elif side_a == 1 and side_b == 0:
            yield first[b][1], second[a][1]


def measure(text: str) -> Geometry:
    """Measure the diagram of one `.bpmn` document."""
    root = etree.fromstring(text.encode("utf-8"))
    parents: dict[str, list[str]] = {}
    """Element id -> the ids of the sub-processes around it (innermost first)."""
    ends: dict[str, tuple[str, str]] = {}
    for tag in (*FLOW_NODES, "sequenceFlow"):
        for element in root.iterfind(f".//bpmn:{tag}", NS):
            chain = []
            parent = element.getparent()
            while parent is not None and etree.QName(parent).localname == "subProcess":
                chain.append(parent.get("id") or "")
                parent = parent.getparent()
            parents[element.get("id") or ""] = chain
            if tag == "sequenceFlow":
                ends[element.get("id") or ""] = (
                    element.get("sourceRef") or "",
                    element.get("targetRef") or "",
                )
    shapes: dict[str, Box] = {}
    labels: list[tuple[Box, str]] = []
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        box = _box(shape)
        owner = shape.get("bpmnElement") or ""
        if box is not None:
            shapes[owner] = box
        label = shape.find("bpmndi:BPMNLabel", NS)
        if label is not None and (found := _box(label)) is not None:
            labels.append((found, owner))
    edges: dict[str, list[Segment]] = {}
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        owner = edge.get("bpmnElement") or ""
        points = [(float(p.get("x", "0")), float(p.get("y", "0"))) for p in edge.iterfind("di:waypoint", NS)]
        edges[owner] = _segments(points)
        label = edge.find("bpmndi:BPMNLabel", NS)
        if label is not None and (found := _box(label)) is not None:
            labels.append((found, owner))

    through: list[str] = []
    shape_items = [(box, owner) for owner, box in shapes.items()]
    segment_items: list[tuple[Box, tuple[str, Segment]]] = []
    for flow_id, segments in edges.items():
        for segment in segments:
            x1, y1, x2, y2 = segment
            span = (min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))
            segment_items.append((span, (flow_id, segment)))
    for (flow_id, segment), node in _meets(segment_items, shape_items):
        source, target = ends.get(flow_id, ("", ""))
        if node in (source, target) or node in parents.get(flow_id, []):
            continue
        if _enters(segment, shapes[node]):
            through.append(f"{flow_id} through {node}")

    crossings = 0
    for (_, (flow_a, seg_a)), (_, (flow_b, seg_b)) in _pairs(segment_items):
        if flow_a != flow_b and _cross(seg_a, seg_b):
            crossings += 1

    overlaps = [f"{a} and {b}" for (box_a, a), (box_b, b) in _pairs(labels) if _overlap(box_a, box_b)]
    on_shapes: list[str] = []
    for label_owner, shape_owner in _meets(labels, shape_items):
        own = {label_owner, *ends.get(label_owner, ()), *parents.get(label_owner, [])}
        label_box = next(box for box, owner in labels if owner == label_owner)
        if shape_owner in own or not _overlap(label_box, shapes[shape_owner]):
            continue
        on_shapes.append(f"label of {label_owner} on {shape_owner}")

    xs: list[float] = []
    ys: list[float] = []
    for box in [*shapes.values(), *(box for box, _ in labels)]:
        xs += [box[0], box[0] + box[2]]
        ys += [box[1], box[1] + box[3]]
    for segments in edges.values():
        for x1, y1, x2, y2 in segments:
            xs += [x1, x2]
            ys += [y1, y2]
    return Geometry(
        flows=len(ends),
        through_nodes=through,
        crossings=crossings,
        label_overlaps=overlaps,
        labels_on_shapes=on_shapes,
        width=max(xs) - min(xs) if xs else 0.0,
        height=max(ys) - min(ys) if ys else 0.0,
        labels=len(labels),
    )
