"""The `bpmn` and `bpmn-zeebe` targets: one `<workflow>.bpmn` per workflow, with a full diagram.

The flavor is chosen by the target name, so `--target all` writes both and
`statewright targets` lists both: `bpmn` is generic BPMN 2.0 with Python
conditions (executable in SpiffWorkflow), `bpmn-zeebe` is Camunda 8 / Zeebe
(FEEL, `zeebe:taskDefinition` with `retries`), `bpmn-javascript` is generic BPMN
with JavaScript conditions and scripts (executable in bpmn-engine, Node).
"""

from __future__ import annotations

from statewright.ir import Machine
from statewright.plugins.api import Artifact, TargetOptions, TargetOutput
from statewright.targets.bpmn.flavors import FLAVORS, Generic
from statewright.targets.bpmn.graph import ncname
from statewright.targets.bpmn.layout import layout
from statewright.targets.bpmn.lower import Lowering
from statewright.targets.bpmn.model import Model
from statewright.targets.bpmn.xml import to_xml


def build_model(machine: Machine, source_name: str = "", flavor: str = "generic") -> tuple[Model, Lowering]:
    """The BPMN graph of a machine in one flavor, with the lowering (for its findings)."""
    lowering = Lowering(machine, source_name, native_retries=FLAVORS[flavor].native_retries)
    return lowering.model(), lowering


def render_bpmn(machine: Machine, source_name: str = "", flavor: str = "generic") -> str:
    """The `.bpmn` text of one machine (byte-identical for equal machines)."""
    model, _ = build_model(machine, source_name, flavor)
    return to_xml(model, layout(model), FLAVORS[flavor])


class BpmnTarget:
    """Writes `<workflow>.bpmn` in one flavor."""

    def __init__(self, name: str, flavor: Generic, description: str) -> None:
        self.name = name
        self.flavor = flavor
        self.description = description

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Lower, lay out and serialise the machine; findings become target diagnostics."""
        model, lowering = build_model(machine, options.source_name, self.flavor.name)
        text = to_xml(model, layout(model), self.flavor)
        source = options.source_name or machine.source or machine.name
        diagnostics = tuple(finding.diagnostic(source) for finding in lowering.findings)
        return TargetOutput(
            artifacts=(Artifact(f"{ncname(machine.name)}.bpmn", text),), diagnostics=diagnostics
        )


GENERIC = BpmnTarget(
    "bpmn",
    FLAVORS["generic"],
    "BPMN 2.0 XML with a full diagram; Python conditions, executable in SpiffWorkflow",
)
JAVASCRIPT = BpmnTarget(
    "bpmn-javascript",
    FLAVORS["javascript"],
    "BPMN 2.0 XML with JavaScript conditions and scripts, executable in bpmn-engine (Node)",
)
ZEEBE = BpmnTarget(
    "bpmn-zeebe",
    FLAVORS["zeebe"],
    "BPMN 2.0 XML for Camunda 8 / Zeebe: FEEL conditions, zeebe:taskDefinition with retries",
)
