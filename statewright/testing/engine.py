"""The contract every engine that runs scenarios keeps (Python runtime, Step Functions, BPMN)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from statewright import ir
from statewright.testing.scenario import Observation, Scenario, Unsupported


class Engine(Protocol):
    """Runs one scenario of one machine from a fresh instance and reports what it saw."""

    name: str
    """Short name used in reports and on the command line (`python`, `asl`, `bpmn`)."""

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """One observation after the start, then one per step; or why the scenario cannot run here."""
        ...
