"""Serialise a laid-out model as BPMN 2.0 XML with lxml (names and documentation escaped by lxml).

Children are written in the order the OMG schema requires: documentation,
extension elements, incoming, outgoing, then the element's own parts (resource
roles, loop characteristics, script, event definitions). Global messages and
escalations come before the process, the diagram after it.
"""

from __future__ import annotations

import re

from lxml import etree

from statewright import __version__
from statewright.targets.bpmn.flavors import MODELER_NS, ZEEBE_NS, Extension, Generic
from statewright.targets.bpmn.layout import Layout
from statewright.targets.bpmn.model import Model, Node

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
FORMAL = "bpmn:tFormalExpression"


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _b(tag: str) -> str:
    return _q(BPMN_NS, tag)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold (even as references) written as `\\xNN`.

    The front end refuses them in spec strings (SW018); a file name the document
    cites may still hold them, and must not make the target fail.
    """
    return _NOT_XML.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: xml_safe(v) for k, v in attributes.items() if v != ""})
    if text is not None:
        element.text = xml_safe(text)
    return element


def _formal(parent: etree._Element, tag: str, text: str, language: str = "") -> etree._Element:
    element = _sub(parent, _b(tag), text)
    element.set(_q(XSI_NS, "type"), FORMAL)
    if language:  # without it an expression is XPath, the definitions' default expression language
        element.set("language", language)
    return element


def _extensions(parent: etree._Element, extensions: tuple[Extension, ...]) -> None:
    if not extensions:
        return
    holder = _sub(parent, _b("extensionElements"))

    def write(into: etree._Element, extension: Extension) -> None:
        element = _sub(into, _q(ZEEBE_NS, extension.tag), **dict(extension.attributes))
        for child in extension.children:
            write(element, child)

    for extension in extensions:
        write(holder, extension)


def _documentation(parent: etree._Element, text: str) -> None:
    if text:
        _sub(parent, _b("documentation"), text)


def _node(parent: etree._Element, node: Node, model: Model, flavor: Generic) -> etree._Element:
    attributes = {"id": node.id, "name": node.name}
    if node.kind == "boundaryEvent":
        attributes["attachedToRef"] = node.attached_to or ""
        if not node.interrupting:
            attributes["cancelActivity"] = "false"
    if node.kind == "scriptTask" and flavor.script(node) is not None:
        attributes["scriptFormat"] = flavor.language
    default = model.defaults.get(node.id)
    if default is not None:
        attributes["default"] = default
    element = _sub(parent, _b(node.kind), **attributes)
    _documentation(element, node.doc)
    _extensions(element, flavor.extensions(node))
    for flow in model.incoming[node.id]:
        _sub(element, _b("incoming"), flow.id)
    for flow in model.outgoing[node.id]:
        _sub(element, _b("outgoing"), flow.id)
    if node.kind == "userTask":
        owner = flavor.potential_owner(node)
        if owner:
            role = _sub(element, _b("potentialOwner"))
            _formal(_sub(role, _b("resourceAssignmentExpression")), "formalExpression", owner)
        if node.quorum > 1:
            loop = _sub(element, _b("multiInstanceLoopCharacteristics"), isSequential="false")
            _extensions(loop, flavor.loop_extensions(node.quorum))
            if flavor.name != "zeebe":
                _formal(loop, "loopCardinality", flavor.cardinality(node.quorum), flavor.language)
            _formal(loop, "completionCondition", flavor.completion(), flavor.language)
    if node.kind == "scriptTask":
        script = flavor.script(node)
        if script is not None:
            _sub(element, _b("script"), script)
    if node.event is not None:
        event = node.event
        if event.kind == "timer":
            definition = _sub(element, _b("timerEventDefinition"), id=f"{node.id}_timer")
            _formal(definition, "timeDuration", flavor.timer(event.duration_ms or 0), flavor.timer_language)
        elif event.kind == "message":
            _sub(element, _b("messageEventDefinition"), id=f"{node.id}_message", messageRef=event.ref or "")
        elif event.kind == "error":
            _sub(element, _b("errorEventDefinition"), id=f"{node.id}_error", errorRef=event.ref or "")
        else:
            _sub(
                element,
                _b("escalationEventDefinition"),
                id=f"{node.id}_escalation",
                escalationRef=event.ref or "",
            )
    return element


def _scope(parent: etree._Element, scope: str, model: Model, flavor: Generic) -> None:
    for node in model.in_scope(scope):
        element = _node(parent, node, model, flavor)
        if node.kind == "subProcess":
            _scope(element, node.id, model, flavor)
    for flow in model.flows:
        if flow.scope != scope:
            continue
        element = _sub(
            parent,
            _b("sequenceFlow"),
            id=flow.id,
            name=flow.name,
            sourceRef=flow.source,
            targetRef=flow.target,
        )
        _documentation(element, flow.doc)
        if flow.condition is not None:
            _formal(element, "conditionExpression", flavor.condition(flow.condition), flavor.language)


def _diagram(root: etree._Element, model: Model, placed: Layout) -> None:
    used = {node.id for node in model.nodes} | {flow.id for flow in model.flows} | {model.process_id}

    def di_id(base: str) -> str:
        candidate = f"{base}_di"
        while candidate in used:
            candidate += "_"
        used.add(candidate)
        return candidate

    diagram = _sub(root, _q(BPMNDI_NS, "BPMNDiagram"), id=di_id(f"Diagram_{model.process_id}"))
    plane = _sub(
        diagram,
        _q(BPMNDI_NS, "BPMNPlane"),
        id=di_id(f"Plane_{model.process_id}"),
        bpmnElement=model.process_id,
    )
    for node in model.nodes:
        attributes = {"id": di_id(node.id), "bpmnElement": node.id}
        if node.kind == "subProcess":
            attributes["isExpanded"] = "true"
        if node.kind == "exclusiveGateway":
            attributes["isMarkerVisible"] = "true"
        shape = _sub(plane, _q(BPMNDI_NS, "BPMNShape"), **attributes)
        _bounds(shape, placed.bounds[node.id])
        _label(shape, placed.labels.get(node.id))
    for flow in model.flows:
        edge = _sub(plane, _q(BPMNDI_NS, "BPMNEdge"), id=di_id(flow.id), bpmnElement=flow.id)
        for px, py in placed.waypoints[flow.id]:
            _sub(edge, _q(DI_NS, "waypoint"), x=str(px), y=str(py))
        _label(edge, placed.labels.get(flow.id))


def _bounds(parent: etree._Element, box: tuple[int, int, int, int]) -> None:
    x, y, w, h = box
    _sub(parent, _q(DC_NS, "Bounds"), x=str(x), y=str(y), width=str(w), height=str(h))


def _label(parent: etree._Element, box: tuple[int, int, int, int] | None) -> None:
    """The layout's label box, so the viewer draws the label where the layout kept room for it."""
    if box is not None:
        _bounds(_sub(parent, _q(BPMNDI_NS, "BPMNLabel")), box)


def to_xml(model: Model, placed: Layout, flavor: Generic) -> str:
    """The whole `.bpmn` document as text (UTF-8, two-space indentation, final newline)."""
    nsmap: dict[str | None, str] = {
        "bpmn": BPMN_NS,
        "bpmndi": BPMNDI_NS,
        "dc": DC_NS,
        "di": DI_NS,
        "xsi": XSI_NS,
    }
    if flavor.name == "zeebe":
        nsmap.update({"zeebe": ZEEBE_NS, "modeler": MODELER_NS})
    root = etree.Element(
        _b("definitions"),
        {
            "id": f"Definitions_{model.process_id}",
            "targetNamespace": f"https://statewright.dev/bpmn/{model.process_id}",
            "exporter": "statewright",
            "exporterVersion": __version__,
        },
        nsmap=nsmap,  # type: ignore[arg-type]
    )
    if flavor.name == "zeebe":
        root.set(_q(MODELER_NS, "executionPlatform"), "Camunda Cloud")
        root.set(_q(MODELER_NS, "executionPlatformVersion"), "8.5.0")
    for item in model.roots:
        if item.kind == "message":
            element = _sub(root, _b("message"), id=item.id, name=item.name)
            _extensions(element, flavor.message_extensions())
        elif item.kind == "escalation":
            _sub(root, _b("escalation"), id=item.id, name=item.name, escalationCode=item.code or item.name)
        else:
            _sub(root, _b("error"), id=item.id, name=item.name, errorCode=item.code or item.name)
    process = _sub(root, _b("process"), id=model.process_id, name=model.name, isExecutable="true")
    _documentation(process, model.doc)
    _scope(process, model.process_id, model, flavor)
    _diagram(root, model, placed)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8") + "\n"
