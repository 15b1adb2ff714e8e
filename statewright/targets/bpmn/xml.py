"""Serialise a laid-out model as BPMN 2.0 XML, written front to back as text (`textxml.XmlText`).

Children are written in the order the OMG schema requires: documentation,
extension elements, incoming, outgoing, then the element's own parts (resource
roles, loop characteristics, script, event definitions). Global messages and
escalations come before the process, the diagram after it. The bytes are those
lxml wrote for the same tree, indented (tests/targets/bpmn/test_scale.py compares
the two); the document is never held as a tree.
"""

from __future__ import annotations

import re

from statewright import __version__
from statewright.targets.bpmn.flavors import MODELER_NS, ZEEBE_NS, Extension, Generic
from statewright.targets.bpmn.layout import Layout
from statewright.targets.bpmn.model import Flow, Model, Node
from statewright.targets.bpmn.textxml import XmlText, attributes_text, escape_attribute

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
FORMAL = "bpmn:tFormalExpression"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold (even as references) written as `\\xNN`.

    The front end refuses them in spec strings (SW018); a file name the document
    cites may still hold them, and must not make the target fail.
    """
    return _NOT_XML.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _attrs(**attributes: str) -> str:
    """Attributes as text, in order; empty values are left out (as before: an absent attribute)."""
    return attributes_text((k, xml_safe(v)) for k, v in attributes.items() if v != "")


def _formal(out: XmlText, tag: str, text: str, language: str = "") -> None:
    attributes = f' xsi:type="{FORMAL}"'
    if language:  # without it an expression is XPath, the definitions' default expression language
        attributes += f' language="{escape_attribute(xml_safe(language))}"'
    out.leaf(f"bpmn:{tag}", attributes, xml_safe(text))


def _extensions(out: XmlText, extensions: tuple[Extension, ...]) -> None:
    if not extensions:
        return
    out.start("bpmn:extensionElements")

    def write(extension: Extension) -> None:
        attributes = _attrs(**dict(extension.attributes))
        if extension.children:
            out.start(f"zeebe:{extension.tag}", attributes)
            for child in extension.children:
                write(child)
            out.end()
        else:
            out.leaf(f"zeebe:{extension.tag}", attributes)

    for extension in extensions:
        write(extension)
    out.end()


def _documentation(out: XmlText, text: str) -> None:
    if text:
        out.leaf("bpmn:documentation", "", xml_safe(text))


def _node(out: XmlText, node: Node, model: Model, flavor: Generic) -> None:
    """Open the element of a node and write its parts; the caller closes it (after a sub-process's own)."""
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
    out.start(f"bpmn:{node.kind}", _attrs(**attributes))
    _documentation(out, node.doc)
    _extensions(out, flavor.extensions(node))
    for flow in model.incoming[node.id]:
        out.leaf("bpmn:incoming", "", xml_safe(flow.id))
    for flow in model.outgoing[node.id]:
        out.leaf("bpmn:outgoing", "", xml_safe(flow.id))
    if node.kind == "userTask":
        owner = flavor.potential_owner(node)
        if owner:
            out.start("bpmn:potentialOwner")
            out.start("bpmn:resourceAssignmentExpression")
            _formal(out, "formalExpression", owner)
            out.end()
            out.end()
        if node.quorum > 1:
            out.start("bpmn:multiInstanceLoopCharacteristics", _attrs(isSequential="false"))
            _extensions(out, flavor.loop_extensions(node.quorum))
            if flavor.name != "zeebe":
                _formal(out, "loopCardinality", flavor.cardinality(node.quorum), flavor.language)
            _formal(out, "completionCondition", flavor.completion(), flavor.language)
            out.end()
    if node.kind == "scriptTask":
        script = flavor.script(node)
        if script is not None:
            out.leaf("bpmn:script", "", xml_safe(script))
    if node.event is not None:
        event = node.event
        if event.kind == "timer":
            out.start("bpmn:timerEventDefinition", _attrs(id=f"{node.id}_timer"))
            _formal(out, "timeDuration", flavor.timer(event.duration_ms or 0), flavor.timer_language)
            out.end()
        elif event.kind == "message":
            attributes_ = _attrs(id=f"{node.id}_message", messageRef=event.ref or "")
            out.leaf("bpmn:messageEventDefinition", attributes_)
        elif event.kind == "error":
            out.leaf("bpmn:errorEventDefinition", _attrs(id=f"{node.id}_error", errorRef=event.ref or ""))
        else:
            attributes_ = _attrs(id=f"{node.id}_escalation", escalationRef=event.ref or "")
            out.leaf("bpmn:escalationEventDefinition", attributes_)


def _scope(out: XmlText, scope: str, model: Model, flavor: Generic, flows: dict[str, list[Flow]]) -> None:
    for node in model.in_scope(scope):
        _node(out, node, model, flavor)
        if node.kind == "subProcess":
            _scope(out, node.id, model, flavor, flows)
        out.end()
    for flow in flows.get(scope, ()):
        attributes = _attrs(id=flow.id, name=flow.name, sourceRef=flow.source, targetRef=flow.target)
        if not flow.doc and flow.condition is None:
            out.leaf("bpmn:sequenceFlow", attributes)
            continue
        out.start("bpmn:sequenceFlow", attributes)
        _documentation(out, flow.doc)
        if flow.condition is not None:
            _formal(out, "conditionExpression", flavor.condition(flow.condition), flavor.language)
        out.end()


def _diagram(out: XmlText, model: Model, placed: Layout) -> None:
    used = {node.id for node in model.nodes} | {flow.id for flow in model.flows} | {model.process_id}

    def di_id(base: str) -> str:
        candidate = f"{base}_di"
        while candidate in used:
            candidate += "_"
        used.add(candidate)
        return candidate

    out.start("bpmndi:BPMNDiagram", _attrs(id=di_id(f"Diagram_{model.process_id}")))
    plane = _attrs(id=di_id(f"Plane_{model.process_id}"), bpmnElement=model.process_id)
    out.start("bpmndi:BPMNPlane", plane)
    for node in model.nodes:
        attributes = {"id": di_id(node.id), "bpmnElement": node.id}
        if node.kind == "subProcess":
            attributes["isExpanded"] = "true"
        if node.kind == "exclusiveGateway":
            attributes["isMarkerVisible"] = "true"
        out.start("bpmndi:BPMNShape", _attrs(**attributes))
        _bounds(out, placed.bounds[node.id])
        _label(out, placed.labels.get(node.id))
        out.end()
    for flow in model.flows:
        out.start("bpmndi:BPMNEdge", _attrs(id=di_id(flow.id), bpmnElement=flow.id))
        for px, py in placed.waypoints[flow.id]:
            out.leaf("di:waypoint", f' x="{px}" y="{py}"')
        _label(out, placed.labels.get(flow.id))
        out.end()
    out.end()
    out.end()


def _bounds(out: XmlText, box: tuple[int, int, int, int]) -> None:
    x, y, w, h = box
    out.leaf("dc:Bounds", f' x="{x}" y="{y}" width="{w}" height="{h}"')


def _label(out: XmlText, box: tuple[int, int, int, int] | None) -> None:
    """The layout's label box, so the viewer draws the label where the layout kept room for it."""
    if box is not None:
        out.start("bpmndi:BPMNLabel")
        _bounds(out, box)
        out.end()


def _root(model: Model, flavor: Generic) -> str:
    """The start tag of `bpmn:definitions` (unclosed), with every namespace the flavor writes."""
    namespaces = [("bpmn", BPMN_NS), ("bpmndi", BPMNDI_NS), ("dc", DC_NS), ("di", DI_NS), ("xsi", XSI_NS)]
    attributes = [
        ("id", f"Definitions_{model.process_id}"),
        ("targetNamespace", f"https://statewright.dev/bpmn/{model.process_id}"),
        ("exporter", "statewright"),
        ("exporterVersion", __version__),
    ]
    if flavor.name == "zeebe":
        namespaces += [("zeebe", ZEEBE_NS), ("modeler", MODELER_NS)]
        attributes += [
            ("modeler:executionPlatform", "Camunda Cloud"),
            ("modeler:executionPlatformVersion", "8.5.0"),
        ]
    declared = [(f"xmlns:{prefix}", uri) for prefix, uri in namespaces]
    return "<bpmn:definitions" + attributes_text([*declared, *attributes])


def to_xml(model: Model, placed: Layout, flavor: Generic) -> str:
    """The whole `.bpmn` document as text (UTF-8, two-space indentation, final newline)."""
    out = XmlText(_root(model, flavor))
    for item in model.roots:
        if item.kind == "message":
            extensions = flavor.message_extensions()
            attributes = _attrs(id=item.id, name=item.name)
            if extensions:
                out.start("bpmn:message", attributes)
                _extensions(out, extensions)
                out.end()
            else:
                out.leaf("bpmn:message", attributes)
        elif item.kind == "escalation":
            code = item.code or item.name
            out.leaf("bpmn:escalation", _attrs(id=item.id, name=item.name, escalationCode=code))
        else:
            out.leaf("bpmn:error", _attrs(id=item.id, name=item.name, errorCode=item.code or item.name))
    out.start("bpmn:process", _attrs(id=model.process_id, name=model.name, isExecutable="true"))
    _documentation(out, model.doc)
    flows: dict[str, list[Flow]] = {}
    for flow in model.flows:
        flows.setdefault(flow.scope, []).append(flow)
    _scope(out, model.process_id, model, flavor, flows)
    out.end()
    _diagram(out, model, placed)
    return out.text()
