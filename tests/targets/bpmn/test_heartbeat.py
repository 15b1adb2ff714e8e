"""A missed heartbeat means the same in both BPMN engines as in the Python runtime (issue 16).

The heartbeat scenarios the Step Functions tests run (`tests/targets/heartbeats.py`),
on SpiffWorkflow and on bpmn-engine: a heartbeat is an interrupting timer on the
work, and a miss is a failed attempt. bpmn-engine used to keep the callback of the
attempt the timer interrupted, so the retried attempt's result went to it and was
lost (`every-recovers`: the `done` after two retried misses was refused).

`parallel-bare`, a region's unhandled failure while a sibling region's work (with
a retry policy and a dead letter) still runs, once diverged on both: the region's
failure was an error end event, and both engines let the sibling's catch-all
work-error boundary catch it. It is an escalation now (`test_divergences.py`).
"""

from __future__ import annotations

import pytest

from statewright import ir
from statewright.testing.bpmn_engine import BpmnEngine
from statewright.testing.bpmn_node_engine import NodeBpmnEngine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Step, Unsupported
from tests.targets.heartbeats import CASES, heartbeats

BPMN_CASES = CASES


def agree(observed: object, scenario: Scenario) -> list[Observation]:
    """`observed` equals the runtime's observations step by step; the runtime's."""
    reference = PythonEngine().run(heartbeats(), scenario)
    assert not isinstance(reference, Unsupported), reference
    assert not isinstance(observed, Unsupported), observed
    assert isinstance(observed, list | tuple)
    lines = scenario.describe()
    for index, (want, got) in enumerate(zip(reference, observed, strict=True)):
        assert got == want, "\n".join([*lines[: index + 1], f"python: {want}", f"bpmn:   {got}"])
    return list(reference)


PARAMS = pytest.mark.parametrize(
    ("context", "steps", "end"), [c[1:] for c in BPMN_CASES], ids=[c[0] for c in BPMN_CASES]
)


@PARAMS
def test_spiffworkflow_misses_heartbeats_as_the_runtime(
    context: tuple[tuple[str, ir.Value], ...], steps: tuple[Step, ...], end: tuple[tuple[str, ...], str]
) -> None:
    """SpiffWorkflow: each miss is a failed attempt, retried or dead-lettered as the runtime does."""
    scenario = Scenario(context, steps)
    observations = agree(BpmnEngine().run(heartbeats(), scenario), scenario)
    assert (observations[-1].active, observations[-1].status) == end


@PARAMS
def test_bpmn_engine_misses_heartbeats_as_the_runtime(
    node_engine: NodeBpmnEngine,
    context: tuple[tuple[str, ir.Value], ...],
    steps: tuple[Step, ...],
    end: tuple[tuple[str, ...], str],
) -> None:
    """bpmn-engine: the same, and the attempt after a missed heartbeat is the one that answers."""
    scenario = Scenario(context, steps)
    observations = agree(node_engine.run(heartbeats(), scenario), scenario)
    assert (observations[-1].active, observations[-1].status) == end
