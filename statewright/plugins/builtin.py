"""The built-in plugins, named as data so that finding them imports none of them.

`PLUGINS` lists the modules the plugin manager registers before any entry
point, in registration order (the first provider of a name wins). A module in
`TARGET_MODULES` is registered under its own name as a stand-in whose
`statewright_targets` hook returns a `TargetSpec` per target it provides: the
name and description as written here, and a loader that imports the module and
takes the target from the module's own `statewright_targets` hook when the
target is first used. A module in `ENGINE_MODULES` is registered the same way
and imported when the `statewright_engines` hook is first called. Every other module is imported
and registered as it is. So `statewright check` imports the verification rules
but no target, and not the testing layer that provides the scenario engines.
`tests/plugins/test_builtin_plugins.py` checks this table against the modules.
"""

from __future__ import annotations

from collections.abc import Mapping

PLUGINS: tuple[str, ...] = (
    "statewright.targets.ir_target",
    "statewright.targets.table",
    "statewright.targets.diagrams",
    "statewright.targets.python",
    "statewright.testing.pytest_target",
    "statewright.targets.asl",
    "statewright.targets.bpmn",
    "statewright.targets.report",
    "statewright.targets.temporal",
    "statewright.compiler.verify.rules.structure",
    "statewright.compiler.verify.rules.emits",
    "statewright.compiler.verify.rules.guards",
    "statewright.compiler.verify.rules.invariants",
    "statewright.compiler.verify.rules.sagas",
    "statewright.compiler.verify.rules.waits",
    "statewright.compiler.verify.rules.approvals",
    "statewright.compiler.verify.rules.retries",
    "statewright.compiler.verify.rules.parallel",
    "statewright.testing.engines",
)
"""Modules registered before any entry point, through the same `register` call, in this order."""

TARGET_MODULES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "statewright.targets.ir_target": (
        (
            "ir",
            "the IR as JSON (one <workflow>.ir.json), valid against the published IR JSON Schema",
        ),
    ),
    "statewright.targets.table": (
        (
            "table",
            "the full state x event transition table (<workflow>.transitions.md and .csv) and the saga "
            "compensation tables (<workflow>.sagas.md)",
        ),
    ),
    "statewright.targets.diagrams": (
        ("mermaid", "a Mermaid stateDiagram-v2 (<workflow>.mmd) that GitHub and mermaid.live render"),
        ("dot", "a Graphviz digraph (<workflow>.dot) with clusters for compound and parallel states"),
        ("svg", "the Graphviz diagram rendered as SVG (<workflow>.svg); needs Graphviz's `dot`"),
    ),
    "statewright.targets.python": (
        (
            "python",
            "a typed Python module per workflow (enums, context dataclass, compiled guards, in-memory and "
            "durable classes) on statewright.runtime",
        ),
    ),
    "statewright.testing.pytest_target": (
        (
            "pytest",
            "a standalone pytest file per workflow: the design state machine and path scenarios",
        ),
    ),
    "statewright.targets.asl": (
        (
            "asl",
            "AWS Step Functions (Amazon States Language, JSONPath): <workflow>.asl.json, a SAM template "
            "with DefinitionSubstitutions, and a resource map skeleton",
        ),
    ),
    "statewright.targets.bpmn": (
        ("bpmn", "BPMN 2.0 XML with a full diagram; Python conditions, executable in SpiffWorkflow"),
        (
            "bpmn-zeebe",
            "BPMN 2.0 XML for Camunda 8 / Zeebe: FEEL conditions, zeebe:taskDefinition with retries",
        ),
        (
            "bpmn-javascript",
            "BPMN 2.0 XML with JavaScript conditions and scripts, executable in bpmn-engine (Node)",
        ),
        ("bpmn-svg", "an SVG picture of the BPMN diagram (the same layout as the .bpmn's DI)"),
    ),
    "statewright.targets.report": (
        (
            "report",
            "a self-contained HTML design report (<workflow>.report.html): statechart, validation summary, "
            "transition and compensation tables, risks and findings; needs Graphviz's `dot`",
        ),
    ),
    "statewright.targets.temporal": (
        (
            "temporal",
            "a typed Python module per workflow for Temporal (temporalio): the workflow class on "
            "statewright's runtime, typed updates per event, the activities to implement, a worker",
        ),
    ),
}
"""Built-in target modules: each target they provide, as (name, description), in the hook's order."""

ENGINE_MODULES: tuple[str, ...] = ("statewright.testing.engines",)
"""Built-in modules that provide only scenario engines: imported when the engines are asked for."""
