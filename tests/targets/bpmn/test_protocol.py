"""The bpmn targets' public contract (`protocol.py`) holds for the processes `generate` writes.

The process map is what callers (and the SpiffWorkflow scenario engine) read
besides the `.bpmn` file, so it is checked against that file: the process id,
every flow element's id and element type, boundary attachments, timers and the
process variables the conditions use.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree

from statewright import ir
from statewright.pipeline import compile_text
from statewright.plugins.api import Target, TargetOptions
from statewright.targets import bpmn
from statewright.targets.bpmn import protocol
from tests.targets.bpmn.gen_specs import sources
from tests.targets.specs import APPROVE, CHECKS, SHOP, TRICKY, example, example_paths, machine_of

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MACHINES = {path.stem: example(path.stem) for path in example_paths()} | {
    name: machine_of(text)
    for name, text in {"shop": SHOP, "checks": CHECKS, "approve": APPROVE, "tricky": TRICKY}.items()
}
NOT_FLOW_NODES = {
    "definitions",
    "process",
    "sequenceFlow",
    "documentation",
    "incoming",
    "outgoing",
    "conditionExpression",
    "script",
    "timeDuration",
    "extensionElements",
    "multiInstanceLoopCharacteristics",
    "loopCardinality",
    "completionCondition",
    "potentialOwner",
    "resourceAssignmentExpression",
    "formalExpression",
    "message",
    "error",
    "escalation",
}


def _generate(machine: ir.Machine, target: Target = bpmn.GENERIC) -> str:
    output = target.generate(machine, TargetOptions(source_name="spec.wf"))
    files = {artifact.path: artifact.content for artifact in output.artifacts}
    assert set(files) == {protocol.process_file(machine.name)}
    return files[protocol.process_file(machine.name)]


def check_process_map(machine: ir.Machine, text: str, flavor: str = "generic") -> None:
    """Every element of the map is a flow element of the process with that type, and vice versa."""
    root = etree.fromstring(text.encode("utf-8"))
    found = protocol.process_map(machine, flavor)
    (process,) = root.findall(f"{{{BPMN_NS}}}process")
    assert process.get("id") == found.process_id
    elements: dict[str, etree._Element] = {}
    for node in process.iter(f"{{{BPMN_NS}}}*"):
        tag = etree.QName(node).localname
        if tag.endswith("EventDefinition") or tag in NOT_FLOW_NODES:
            continue
        identifier = node.get("id")
        assert identifier is not None, tag
        elements[identifier] = node
    assert set(found.elements) == set(elements)
    for identifier, element in found.elements.items():
        node = elements[identifier]
        assert element.id == identifier
        assert etree.QName(node).localname == element.kind
        if element.attached_to is not None:
            assert node.get("attachedToRef") == element.attached_to
        parent = node.getparent()
        assert parent is not None and parent.get("id") == element.scope
        if element.duration_ms is not None:
            assert node.find(f"{{{BPMN_NS}}}timerEventDefinition") is not None
        if element.role in ("milestone", "final"):
            assert element.state is not None and element.state in {s.name for s in machine.states}


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_the_process_map_describes_the_generated_process(name: str) -> None:
    """Each example and spec: the map and the `.bpmn` agree in both flavors."""
    machine = MACHINES[name]
    check_process_map(machine, _generate(machine))
    check_process_map(machine, _generate(machine, bpmn.ZEEBE), "zeebe")


def test_the_conditions_use_the_protocol_variables() -> None:
    """Message data, the decision and the work error appear in the generated conditions by these names."""
    text = "".join(
        _generate(MACHINES[name]) for name in ("expense_approval", "order_fulfilment", "publishing")
    )
    variables = (
        protocol.PERMISSIONS_VAR,
        protocol.SCOPE_VAR,
        protocol.EVIDENCE_VAR,
        protocol.DECISION_VAR,
        protocol.ERROR_VAR,
    )
    for variable in variables:
        assert variable in text, variable
    assert f"{protocol.DECISION_VAR} == 'reject'" in text or f'{protocol.DECISION_VAR} == "reject"' in text
    assert {"approve", "reject"} <= set(protocol.DECISIONS)
    zeebe = _generate(MACHINES["order_fulfilment"], bpmn.ZEEBE)
    assert f'correlationKey="={protocol.CORRELATION_VAR}"' in zeebe


def test_an_unknown_flavor_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown BPMN flavor `camunda7`"):
        protocol.process_map(MACHINES["shop"], "camunda7")


def test_the_package_re_exports_the_protocol() -> None:
    """`statewright.targets.bpmn` exposes the protocol's names (and the target objects)."""
    for name in protocol.__all__:
        assert getattr(bpmn, name) is getattr(protocol, name)
    assert set(bpmn.__all__) == {
        *protocol.__all__,
        "GENERIC",
        "JAVASCRIPT",
        "ZEEBE",
        "SVG",
        "protocol",
        "statewright_targets",
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(sources())
def test_generated_specs_keep_the_process_map(source: str) -> None:
    """On drawn workflows (compound and parallel states, timers, retries), map and XML agree."""
    result = compile_text(source, "gen.wf")
    if result.machine is None:
        return
    check_process_map(result.machine, _generate(result.machine))


def test_process_file_is_an_ncname() -> None:
    """A workflow name with characters XML ids cannot hold still gives a plain file name."""
    assert protocol.process_file("Order-Fulfilment v2") == "Order-Fulfilment_v2.bpmn"
