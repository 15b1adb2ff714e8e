"""The built-in BPMN 2.0 targets (`bpmn`, `bpmn-zeebe`, `bpmn-javascript`, `bpmn-svg`), registered as plugins.

Their public contract for callers of a generated process (process variables,
approval decisions, what each element means) is `statewright.targets.bpmn.protocol`,
re-exported here with the target objects; every other module is the builder's own.
"""

from __future__ import annotations

from statewright.plugins.api import Target
from statewright.plugins.hookspecs import hookimpl
from statewright.targets.bpmn import protocol
from statewright.targets.bpmn.protocol import (
    CORRELATION_VAR,
    DECISION_VAR,
    DECISIONS,
    ERROR_VAR,
    EVENT_VAR,
    EVIDENCE_VAR,
    FAILURE_VAR,
    PERMISSIONS_VAR,
    REJECTED_VAR,
    RESULT_VAR,
    SCOPE_VAR,
    Element,
    ElementKind,
    ElementRole,
    ProcessMap,
    process_file,
    process_map,
)
from statewright.targets.bpmn.svg import SVG
from statewright.targets.bpmn.target import GENERIC, JAVASCRIPT, ZEEBE

__all__ = [
    "CORRELATION_VAR",
    "DECISIONS",
    "DECISION_VAR",
    "ERROR_VAR",
    "EVENT_VAR",
    "EVIDENCE_VAR",
    "FAILURE_VAR",
    "GENERIC",
    "JAVASCRIPT",
    "PERMISSIONS_VAR",
    "REJECTED_VAR",
    "RESULT_VAR",
    "SCOPE_VAR",
    "SVG",
    "ZEEBE",
    "Element",
    "ElementKind",
    "ElementRole",
    "ProcessMap",
    "process_file",
    "process_map",
    "protocol",
    "statewright_targets",
]


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the BPMN targets."""
    return [GENERIC, ZEEBE, JAVASCRIPT, SVG]
