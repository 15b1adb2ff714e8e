"""The `bpmn-svg` target: a picture of the BPMN diagram, drawn from the same layout as the DI.

Events are circles (a thick ring for end events, a double ring for
intermediate and boundary events, dashed when non-interrupting), tasks rounded
rectangles, gateways diamonds with their marker (`X`, `+`, a pentagon for
event-based), sub-processes large rounded rectangles; flows are polylines with
arrowheads, conditional ones labelled. All text is escaped by lxml.
"""

from __future__ import annotations

from lxml import etree

from statewright.ir import Machine
from statewright.plugins.api import Artifact, TargetOptions, TargetOutput
from statewright.targets.bpmn.graph import ncname
from statewright.targets.bpmn.layout import Layout, layout
from statewright.targets.bpmn.model import Model, Node
from statewright.targets.bpmn.target import build_model
from statewright.targets.bpmn.xml import xml_safe

SVG_NS = "http://www.w3.org/2000/svg"
MARGIN = 40
STYLE = (
    "text{font-family:sans-serif;font-size:11px;fill:#222}"
    ".shape{fill:#fff;stroke:#333;stroke-width:1.5}"
    ".end{stroke-width:4}"
    ".soft{stroke-dasharray:4 3}"
    ".flow{fill:none;stroke:#555;stroke-width:1.2;marker-end:url(#arrow)}"
    ".sub{fill:#f8f8ff}"
)


def svg_attribute(keyword: str) -> str:
    """The SVG attribute a keyword argument names: `class_` -> `class`, `text_anchor` -> `text-anchor`.

    A trailing `_` dodges a Python keyword; every other `_` is the `-` that SVG
    presentation attributes are spelt with (no SVG attribute contains `_`).
    """
    return keyword.rstrip("_").replace("_", "-")


def _el(parent: etree._Element, tag: str, text: str | None = None, **attributes: str | int) -> etree._Element:
    element = etree.SubElement(
        parent, f"{{{SVG_NS}}}{tag}", {svg_attribute(k): xml_safe(str(v)) for k, v in attributes.items()}
    )
    if text is not None:
        element.text = xml_safe(text)
    return element


def _label(parent: etree._Element, text: str, x: int, y: int, width: int) -> None:
    if not text:
        return
    limit = max(6, width // 6)
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    label = _el(parent, "text", shown, x=x, y=y, text_anchor="middle")
    _el(label, "title", text)


def _shape(parent: etree._Element, node: Node, box: tuple[int, int, int, int]) -> None:
    x, y, w, h = box
    cx, cy = x + w // 2, y + h // 2
    group = _el(parent, "g", id=f"shape_{node.id}")
    _el(group, "title", node.name or node.id)
    if node.kind.endswith("Event"):
        extra = " end" if node.kind == "endEvent" else ""
        extra += " soft" if not node.interrupting else ""
        _el(group, "circle", class_=f"shape{extra}", cx=cx, cy=cy, r=w // 2)
        if node.kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
            _el(group, "circle", class_=f"shape{extra}", cx=cx, cy=cy, r=w // 2 - 3)
        _label(group, node.name, cx, y + h + 12, 120)
    elif node.kind.endswith("Gateway"):
        points = f"{cx},{y} {x + w},{cy} {cx},{y + h} {x},{cy}"
        _el(group, "polygon", class_="shape", points=points)
        marker = {"exclusiveGateway": "X", "parallelGateway": "+", "eventBasedGateway": "⬠"}[node.kind]
        _el(group, "text", marker, x=cx, y=cy + 4, text_anchor="middle")
        _label(group, node.name, cx, y - 6, 140)
    else:
        css = "shape sub" if node.kind == "subProcess" else "shape"
        _el(group, "rect", class_=css, x=x, y=y, width=w, height=h, rx=10)
        if node.kind == "subProcess":
            _label(group, node.name, x + w // 2, y + 14, w)
        else:
            _label(group, node.name, cx, cy + 4, w)


def render_svg(model: Model, placed: Layout) -> str:
    """The diagram as an SVG document."""
    right = max((x + w for x, _, w, _ in placed.bounds.values()), default=0) + MARGIN
    bottom = max((y + h for _, y, _, h in placed.bounds.values()), default=0) + MARGIN
    root = etree.Element(
        f"{{{SVG_NS}}}svg",
        {"width": str(right), "height": str(bottom), "viewBox": f"0 0 {right} {bottom}"},
        nsmap={None: SVG_NS},  # type: ignore[dict-item]
    )
    _el(root, "title", model.name)
    _el(root, "style", STYLE)
    defs = _el(root, "defs")
    marker = _el(
        defs, "marker", id="arrow", viewBox="0 0 10 10", refX=10, refY=5, markerWidth=7, markerHeight=7
    )
    _el(marker, "path", d="M0,0 L10,5 L0,10 z", fill="#555")
    ordered = sorted(model.nodes, key=lambda n: (n.kind != "subProcess", n.attached_to is not None))
    for node in ordered:
        _shape(root, node, placed.bounds[node.id])
    for flow in model.flows:
        points = placed.waypoints[flow.id]
        path = " ".join(f"{px},{py}" for px, py in points)
        line = _el(root, "polyline", class_="flow", points=path, id=f"edge_{flow.id}")
        if flow.name:
            _el(line, "title", flow.name)
            (ax, ay), (bx, by) = points[0], points[1]
            _label(root, flow.name, (ax + bx) // 2, min(ay, by) - 4, 160)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8") + "\n"


class BpmnSvgTarget:
    """Writes `<workflow>.bpmn.svg`: the BPMN diagram as a picture."""

    name = "bpmn-svg"
    description = "an SVG picture of the BPMN diagram (the same layout as the .bpmn's DI)"

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Lower and lay out the machine, then draw it."""
        model, _ = build_model(machine, options.source_name)
        text = render_svg(model, layout(model))
        return TargetOutput(artifacts=(Artifact(f"{ncname(machine.name)}.bpmn.svg", text),))


SVG = BpmnSvgTarget()
