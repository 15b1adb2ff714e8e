"""Shared checks for the BPMN tests: the OMG XSD, bpmnlint, and the diagram's completeness."""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

import SpiffWorkflow
import xmlschema
from lxml import etree

from tests.tools import node_tool

XSD = Path(SpiffWorkflow.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "scriptTask",
    "serviceTask",
    "userTask",
    "exclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "subProcess",
)


@functools.cache
def schema() -> xmlschema.XMLSchema:
    """The OMG BPMN 2.0 schema as shipped with SpiffWorkflow."""
    return xmlschema.XMLSchema(str(XSD))


def xsd_errors(text: str) -> list[str]:
    """Every schema violation of a document (empty when it is valid)."""
    return [f"{error.reason} at {error.path}" for error in schema().iter_errors(text)]


def bpmnlint(paths: Iterable[Path]) -> subprocess.CompletedProcess[str]:
    """Run bpmnlint@11 (recommended rules) over many files in one call, from their common folder."""
    files = sorted(paths)
    folder = files[0].parent
    assert all(f.parent == folder for f in files)
    (folder / ".bpmnlintrc").write_text(json.dumps({"extends": "bpmnlint:recommended"}), "utf-8")
    return subprocess.run(
        [str(node_tool("bpmnlint")), *(f.name for f in files)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def diagram_problems(text: str) -> list[str]:
    """What makes the diagram incomplete: missing shapes, bounds, edges, waypoints, misplaced boundaries."""
    root = etree.fromstring(text.encode("utf-8"))
    problems: list[str] = []
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    bounds: dict[str, tuple[float, float, float, float]] = {}
    for tag in FLOW_NODES:
        for node in root.iterfind(f".//bpmn:{tag}", NS):
            node_id = node.get("id") or ""
            shape = shapes.get(node_id)
            box = None if shape is None else shape.find("dc:Bounds", NS)
            if box is None:
                problems.append(f"{tag} {node_id} has no shape with bounds")
                continue
            bounds[node_id] = tuple(float(box.get(k) or "nan") for k in ("x", "y", "width", "height"))  # type: ignore[assignment]
            if not node.findall("bpmn:incoming", NS) and tag not in ("startEvent", "boundaryEvent"):
                problems.append(f"{tag} {node_id} lists no incoming flow")
            if not node.findall("bpmn:outgoing", NS) and tag != "endEvent":
                problems.append(f"{tag} {node_id} lists no outgoing flow")
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        edge = edges.get(flow.get("id"))
        if edge is None or len(edge.findall("di:waypoint", NS)) < 2:
            problems.append(f"flow {flow.get('id')} has no edge with two waypoints")
    for event in root.iterfind(".//bpmn:boundaryEvent", NS):
        x, y, w, h = bounds[event.get("id") or ""]
        ax, ay, aw, ah = bounds[event.get("attachedToRef") or ""]
        cx, cy = x + w / 2, y + h / 2
        on_border = ax <= cx <= ax + aw and (abs(cy - ay) < 1 or abs(cy - (ay + ah)) < 1)
        if not on_border:
            problems.append(f"boundary event {event.get('id')} is not on its activity's border")
    return problems
