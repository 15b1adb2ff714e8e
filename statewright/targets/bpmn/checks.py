"""The BPMN target's diagnostic codes (SW940–SW955, in `diagnostics.catalog.bpmn`); how a finding is kept.

Every construct BPMN (or one flavor of it) cannot express is reported here with
a stable code instead of being dropped silently; docs/targets/bpmn.md lists
them with the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

from statewright.diagnostics import Code, Diagnostic
from statewright.diagnostics.catalog.bpmn import BACKOFF_NOT_WAITED as BACKOFF_NOT_WAITED
from statewright.diagnostics.catalog.bpmn import COMPOUND_TIMER_RESTARTS as COMPOUND_TIMER_RESTARTS
from statewright.diagnostics.catalog.bpmn import DEEP_ENTRY as DEEP_ENTRY
from statewright.diagnostics.catalog.bpmn import JITTER_NOT_EXPRESSED as JITTER_NOT_EXPRESSED
from statewright.diagnostics.catalog.bpmn import NO_FINAL_STATE as NO_FINAL_STATE
from statewright.diagnostics.catalog.bpmn import PARALLEL_REFUSAL_RESTARTS as PARALLEL_REFUSAL_RESTARTS
from statewright.diagnostics.catalog.bpmn import REGION_EXIT_ACTIONS as REGION_EXIT_ACTIONS
from statewright.diagnostics.catalog.bpmn import SOFT_TIMEOUT_DROPPED as SOFT_TIMEOUT_DROPPED
from statewright.diagnostics.catalog.bpmn import TIMEOUT_PER_ATTEMPT as TIMEOUT_PER_ATTEMPT
from statewright.diagnostics.catalog.bpmn import WAITS_FOR_NOTHING as WAITS_FOR_NOTHING
from statewright.source import Span


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding recorded while building, turned into a `Diagnostic` by the target."""

    code: Code
    message: str
    span: Span

    def diagnostic(self, source: str) -> Diagnostic:
        """The finding as a located diagnostic."""
        return Diagnostic.of(self.code, self.message, source, self.span)
